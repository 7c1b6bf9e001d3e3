"""The chain's bytes are fixed: existing ledgers must keep verifying, byte for byte."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

from federation._ledger_chain import (
    GENESIS,
    ROW_COLUMNS,
    Encoder,
    LedgerEntry,
    canonical,
    chain,
    link,
)
from federation.ledger import Ledger
from tests.ledger.conftest import Database

OpenLedger = Callable[..., Awaitable[Ledger]]

PLAIN = LedgerEntry(
    at=datetime(2026, 3, 31, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-5))),
    request_id="req-7",
    client_id="universal-credit-service",
    organisation="Department for Work and Pensions",
    purpose="universal-credit-assessment",
    subject="AB123456C",
    department="hmrc",
    released=("Citizen.taxCode", "Citizen.selfAssessment"),
    refused=(("Citizen.bloodPressure", "consent_withdrawn"),),
    decision_id="dec-7",
    policy_revision="rev-abc123",
    consent_version=3,
)
ESCAPED = LedgerEntry(
    at=datetime(2026, 1, 1, tzinfo=UTC),
    request_id='r"\u00e9\u2603',
    client_id="c\\/",
    organisation="\u00d8rg \u2028",
    purpose="p\n\t",
    subject="",
    department="council",
    released=(),
    refused=(("Citizen.x", "no</script>"), ("Citizen.y", "z")),
    decision_id="",
    policy_revision="",
    consent_version=2**63 - 1,
)

PLAIN_CANONICAL = (
    b'{"at":"2026-04-01T04:59:59.123456Z","client_id":"universal-credit-service",'
    b'"consent_version":3,"decision_id":"dec-7","department":"hmrc",'
    b'"organisation":"Department for Work and Pensions","policy_revision":"rev-abc123",'
    b'"purpose":"universal-credit-assessment",'
    b'"refused":[["Citizen.bloodPressure","consent_withdrawn"]],'
    b'"released":["Citizen.taxCode","Citizen.selfAssessment"],'
    b'"request_id":"req-7","subject":"AB123456C"}'
)
ESCAPED_CANONICAL = (
    b'{"at":"2026-01-01T00:00:00.000000Z","client_id":"c\\\\/",'
    b'"consent_version":9223372036854775807,"decision_id":"","department":"council",'
    b'"organisation":"\xc3\x98rg \xe2\x80\xa8","policy_revision":"","purpose":"p\\n\\t",'
    b'"refused":[["Citizen.x","no</script>"],["Citizen.y","z"]],"released":[],'
    b'"request_id":"r\\"\xc3\xa9\xe2\x98\x83","subject":""}'
)
PLAIN_HASH = "50674adeb6d6d5c8362faf9a4800631e6ca7ffebb0e4b1ca95fe48835b4a54d9"
ESCAPED_HASH = "7e3c5cae3801fa9d67e681196c32705bf566ae5b178c82506e59fc55ac060866"


def test_the_canonical_form_is_pinned() -> None:
    assert canonical(PLAIN) == PLAIN_CANONICAL
    assert canonical(ESCAPED) == ESCAPED_CANONICAL


def test_links_from_genesis_are_pinned() -> None:
    assert link(GENESIS, PLAIN).hex() == PLAIN_HASH
    assert link(GENESIS, ESCAPED).hex() == ESCAPED_HASH


def test_a_chain_after_a_head_is_pinned() -> None:
    rows = chain(41, bytes(range(32)), Encoder().encode([PLAIN, ESCAPED, PLAIN]))
    sequence, prev_hash, digest = (ROW_COLUMNS.index(c) for c in ("sequence", "prev_hash", "hash"))
    assert [row[sequence] for row in rows] == [42, 43, 44]
    assert [row[digest].hex() for row in rows] == [
        "7f21b6cdf296eb85e49c595ccd14b9f9fd44f7cbe151656a2fcfc4bde4efd350",
        "37e2c575511b5d8043dd704a7222c91b022ae1429e481cda234f4044c68af33f",
        "d73bfbebe19adf5c19157ba430ab2d373b5796f49b081edea0f9aa90ecb6efd0",
    ]
    assert [row[prev_hash] for row in rows[1:]] == [row[digest] for row in rows[:-1]]


async def test_stored_rows_are_pinned(database: Database, open_one: OpenLedger) -> None:
    ledger = await open_one()
    await ledger.record([PLAIN, ESCAPED])
    rows = await database.query(
        "SELECT sequence, at, request_id, client_id, organisation, purpose, subject, department,"
        " released, refused, decision_id, policy_revision, consent_version, prev_hash, hash"
        " FROM ledger_entry ORDER BY sequence"
    )
    stored = [list(row) for row in rows]
    for row in stored:
        row[13:] = [bytes(row[13]).hex(), bytes(row[14]).hex()]
    # at, released, refused of each entry, as each engine stores them.
    plain: tuple[object, ...]
    escaped: tuple[object, ...]
    if database.engine == "sqlite":
        plain = (
            "2026-04-01T04:59:59.123456Z",
            '["Citizen.taxCode","Citizen.selfAssessment"]',
            '[["Citizen.bloodPressure","consent_withdrawn"]]',
        )
        escaped = (
            "2026-01-01T00:00:00.000000Z",
            "[]",
            '[["Citizen.x","no</script>"],["Citizen.y","z"]]',
        )
    else:  # jsonb prints its own text
        plain = (
            PLAIN.at,
            ["Citizen.taxCode", "Citizen.selfAssessment"],
            '[["Citizen.bloodPressure", "consent_withdrawn"]]',
        )
        escaped = (ESCAPED.at, [], '[["Citizen.x", "no</script>"], ["Citizen.y", "z"]]')
    assert stored == [
        [
            1,
            plain[0],
            "req-7",
            "universal-credit-service",
            "Department for Work and Pensions",
            "universal-credit-assessment",
            "AB123456C",
            "hmrc",
            plain[1],
            plain[2],
            "dec-7",
            "rev-abc123",
            3,
            GENESIS.hex(),
            PLAIN_HASH,
        ],
        [
            2,
            escaped[0],
            'r"\u00e9\u2603',
            "c\\/",
            "\u00d8rg \u2028",
            "p\n\t",
            "",
            "council",
            escaped[1],
            escaped[2],
            "",
            "",
            2**63 - 1,
            PLAIN_HASH,
            "61052e1bc98839f7b5e15ff0716536e819659a053dd09a36b16940882e44ca91",
        ],
    ]
