"""The encoder gives every entry exactly the bytes and fields the definitions give it,
and refuses exactly what `check_entry` refuses, with the same message."""

from __future__ import annotations

import dataclasses
import enum
from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from federation import _ledger_chain
from federation._ledger_chain import (
    FIELDS,
    Encoder,
    LedgerEntry,
    canonical,
    check_entry,
    timestamp,
)
from tests.ledger.conftest import entry


class Text(str):
    pass


class Version(enum.IntEnum):
    SEVENTH = 7


Pair = namedtuple("Pair", "coordinate reason")
AT = datetime(2026, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)


def _fields(e: LedgerEntry) -> list[Any]:
    """The stored fields of an entry, from the definitions (in `FIELDS` order)."""
    values = {
        "at": timestamp(e.at),
        "request_id": e.request_id,
        "client_id": e.client_id,
        "organisation": e.organisation,
        "purpose": e.purpose,
        "decision_id": e.decision_id,
        "policy_revision": e.policy_revision,
        "subject": e.subject,
        "department": e.department,
        "released": orjson.dumps(list(e.released)).decode(),
        "refused": orjson.dumps([list(pair) for pair in e.refused]).decode(),
        "consent_version": e.consent_version,
    }
    return [values[name] for name in FIELDS]


def _request(number: int, **change: Any) -> list[LedgerEntry]:
    """A request's entries: several subjects and departments, values shared or merely equal."""
    released = ("Citizen.taxCode", "Citizen.selfAssessment")
    entries = []
    for subject in ("AB000001C", "AB000002C", ""):
        for department in ("hmrc", "dwp"):
            entries.append(
                LedgerEntry(
                    at=AT,
                    request_id=f"req-{number}",  # equal, never the same object
                    client_id="universal-credit-service",
                    organisation="Department for Work and Pensions",
                    purpose="universal-credit-assessment",
                    subject=subject,
                    department=department,
                    released=tuple(c for c in released) if department == "hmrc" else (),
                    refused=(("Citizen.bloodPressure", "consent_withdrawn"),)
                    if department == "dwp"
                    else (),
                    decision_id=f"decision-{number}-{department}",
                    policy_revision="rev-9",
                    consent_version=len(subject) % 4,
                    **change,
                )
            )
    return entries


UNUSUAL = [
    entry("r-unicode", subject="AB123456C", department="d\u00e9partement"),
    entry("r-escapes", released=('Citizen."quoted"\\', "Citizen.tab\t"), refused=(("a\nb", "c"),)),
    entry("r-text", subject=Text("AB123456C"), released=(Text("Citizen.taxCode"),)),
    entry("r-pair", refused=(Pair("Citizen.taxCode", "consent_withdrawn"),)),
    dataclasses.replace(entry("r-enum"), consent_version=Version.SEVENTH),
    entry("r-zone", at=AT),
    entry("r-zone", at=AT.astimezone(timezone(timedelta(hours=-8)))),  # the same instant
    entry("r-edge", at=datetime(9999, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))),
    dataclasses.replace(entry("r-max"), consent_version=2**63 - 1),
]


def _check(encoder: Encoder, entries: list[LedgerEntry]) -> None:
    batch = encoder.encode(entries)
    assert batch.bodies == [canonical(e) for e in entries]
    assert [row[: len(FIELDS)] for row in batch.rows] == [_fields(e) for e in entries]
    for row in batch.rows:  # SQLite keeps JSON as TEXT only if it is bound as str
        assert type(row[FIELDS.index("released")]) is type(row[FIELDS.index("refused")]) is str


def test_requests_encode_as_defined() -> None:
    encoder = Encoder()
    for number in range(3):  # the second and third reuse what the first left behind
        _check(encoder, _request(number))


def test_unusual_entries_encode_as_defined() -> None:
    encoder = Encoder()
    _check(encoder, UNUSUAL)
    _check(encoder, [*_request(1), *UNUSUAL, *_request(1)])
    _check(encoder, [dataclasses.replace(e, at=AT) for e in UNUSUAL])


def test_encoding_holds_when_the_caches_start_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ledger_chain, "_CACHE_LIMIT", 2)
    encoder = Encoder()
    for number in range(4):
        _check(encoder, [*_request(number), *UNUSUAL])


class Anything:
    """Claims to equal whatever it is compared with."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


BAD: list[dict[str, Any]] = [
    {"at": datetime(2026, 1, 1)},
    {"at": "2026-01-01T00:00:00Z"},
    {"at": datetime.min.replace(tzinfo=timezone(timedelta(hours=1)))},
    {"request_id": ""},
    {"client_id": ""},
    {"department": ""},
    {"request_id": None},
    {"organisation": 7},
    {"purpose": ["a"]},
    {"purpose": "a\x00b"},
    {"policy_revision": "\ud800"},
    {"decision_id": Anything()},
    {"subject": None},
    {"subject": "AB\x00"},
    {"subject": "\udfff"},
    {"department": 7},
    {"department": Anything()},
    {"released": ["Citizen.taxCode"]},
    {"released": ("Citizen.taxCode", 1)},
    {"released": ("Citizen.taxCode", ["x"])},
    {"released": ("Citizen.taxCode\x00",)},
    {"released": (Anything(),)},
    {"refused": [("Citizen.taxCode", "consent_withdrawn")]},
    {"refused": (("Citizen.taxCode",),)},
    {"refused": (["Citizen.taxCode", "consent_withdrawn"],)},
    {"refused": (("Citizen.taxCode", None),)},
    {"refused": (("Citizen.taxCode", "\ud800"),)},
    {"consent_version": -1},
    {"consent_version": 2**63},
    {"consent_version": True},
    {"consent_version": 7.0},
    {"consent_version": "7"},
]


def _refusal(bad: object, index: int) -> tuple[type[BaseException], str]:
    with pytest.raises((TypeError, ValueError)) as refused:
        check_entry(bad, index)
    return refused.type, str(refused.value)


@pytest.mark.parametrize("change", BAD, ids=lambda change: repr(change)[:40])
def test_bad_entries_are_refused_as_check_entry_refuses(change: dict[str, Any]) -> None:
    good = _request(1)
    bad = dataclasses.replace(good[1], **change)
    expected = _refusal(bad, 3)
    warm = Encoder()
    warm.encode(good)  # every good value is known to this one
    for encoder in (Encoder(), warm):
        with pytest.raises((TypeError, ValueError)) as refused:
            encoder.encode([good[0], good[1], good[2], bad, good[3]])
        assert (refused.type, str(refused.value)) == expected


def test_what_is_not_an_entry_is_refused() -> None:
    expected = _refusal("an entry", 1)
    assert expected == (TypeError, "entry 1 is a str, not a LedgerEntry")
    with pytest.raises(TypeError) as refused:
        Encoder().encode([entry("good"), "an entry"])
    assert str(refused.value) == expected[1]


def test_only_the_first_bad_entry_is_named() -> None:
    good = _request(1)
    entries = [good[0], dataclasses.replace(good[1], department=""), good[2], "an entry"]
    with pytest.raises(ValueError, match="entry 1: `department` must not be empty"):
        Encoder().encode(entries)
