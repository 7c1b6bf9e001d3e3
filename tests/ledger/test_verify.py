"""Tamper evidence: `verify` passes an untouched ledger and names the first bad entry."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import Ledger, LedgerEntry, VerifyReport, latest_entries, verify
from tests.ledger.conftest import Database, entry

OpenLedger = Callable[..., Awaitable[Ledger]]


def canonical(e: LedgerEntry) -> bytes:
    """The documented canonical form, written out independently of the ledger's code."""
    return orjson.dumps(
        {
            "at": e.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "client_id": e.client_id,
            "consent_version": e.consent_version,
            "decision_id": e.decision_id,
            "department": e.department,
            "organisation": e.organisation,
            "policy_revision": e.policy_revision,
            "purpose": e.purpose,
            "refused": [list(p) for p in e.refused],
            "released": list(e.released),
            "request_id": e.request_id,
            "subject": e.subject,
        },
        option=orjson.OPT_SORT_KEYS,
    )


async def _twenty(open_one: OpenLedger) -> None:
    """Twenty entries, checkpointed at 5, 10, 15 and 20."""
    ledger = await open_one(checkpoint_every=5)
    for batch in range(4):
        await ledger.record([entry(f"r{batch * 5 + i}") for i in range(5)])
    await ledger.close()


async def test_an_untouched_ledger_verifies(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    report = await verify(database.url, signing_key.public_key())
    assert (report.ok, report.entries, report.checkpoints) == (True, 20, 4)
    assert (report.problem, report.first_bad_sequence) == (None, None)


async def test_hashes_follow_the_documented_chain(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    entries = sorted(await latest_entries(database.url, first=100), key=lambda e: e.sequence or 0)
    stored = dict(await database.query("SELECT sequence, hash FROM ledger_entry"))
    prev = bytes(32)
    for e in entries:
        prev = hashlib.sha256(prev + canonical(e)).digest()
        assert bytes(stored[e.sequence]) == prev
    sequence, digest, at, signature = (
        await database.query("SELECT * FROM ledger_checkpoint WHERE sequence = 20")
    )[0]
    payload = orjson.dumps(
        {"at": at, "hash": bytes(digest).hex(), "sequence": sequence}, option=orjson.OPT_SORT_KEYS
    )
    signing_key.public_key().verify(base64.b64decode(signature), payload)  # raises if wrong


async def test_another_key_does_not_verify(database: Database, open_one: OpenLedger) -> None:
    await _twenty(open_one)
    report = await verify(database.url, Ed25519PrivateKey.generate().public_key())
    assert not report.ok
    assert report.first_bad_sequence == 5
    assert "signature" in (report.problem or "")


async def _expect(
    database: Database, signing_key: Ed25519PrivateKey, sequence: int, word: str
) -> VerifyReport:
    report = await verify(database.url, signing_key.public_key())
    assert not report.ok
    assert report.first_bad_sequence == sequence, report
    assert word in (report.problem or ""), report
    return report


async def test_an_edited_entry_is_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await database.tamper("UPDATE ledger_entry SET purpose = 'marketing' WHERE sequence = 7")
    await _expect(database, signing_key, 7, "altered")


async def test_an_edited_timestamp_is_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    if database.engine == "sqlite":
        await database.tamper("UPDATE ledger_entry SET at = 'yesterday' WHERE sequence = 12")
    else:
        await database.tamper(
            "UPDATE ledger_entry SET at = at - interval '1 second' WHERE sequence = 12"
        )
    await _expect(database, signing_key, 12, "altered")


async def test_a_row_respelled_to_the_same_entry_is_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    # The same instant in another zone, the same list with a space: the hash still matches,
    # but SQL reading the text (the register counts by month) would see something else.
    if database.engine != "sqlite":
        pytest.skip("PostgreSQL stores typed values, not their spelling")
    await _twenty(open_one)
    await database.tamper(
        "UPDATE ledger_entry SET at = replace(at, 'Z', '+00:00') WHERE sequence = 5",
    )
    await _expect(database, signing_key, 5, "altered")


async def test_a_deleted_entry_is_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await database.tamper("DELETE FROM ledger_entry WHERE sequence = 9")
    report = await _expect(database, signing_key, 9, "missing")
    assert report.entries == 8


async def test_a_deleted_entry_with_the_rest_renumbered_is_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await database.tamper(
        "DELETE FROM ledger_entry WHERE sequence = 9",
        "UPDATE ledger_entry SET sequence = -sequence WHERE sequence > 9",
        "UPDATE ledger_entry SET sequence = -sequence - 1 WHERE sequence < 0",
    )
    await _expect(database, signing_key, 9, "out of place")


async def test_swapped_entries_are_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await database.tamper(
        "UPDATE ledger_entry SET sequence = -1 WHERE sequence = 14",
        "UPDATE ledger_entry SET sequence = 14 WHERE sequence = 15",
        "UPDATE ledger_entry SET sequence = 15 WHERE sequence = -1",
    )
    await _expect(database, signing_key, 14, "out of place")


async def test_removed_tail_is_caught_by_the_last_checkpoint(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await database.tamper("DELETE FROM ledger_entry WHERE sequence > 17")
    await _expect(database, signing_key, 18, "missing")


async def _rewrite_from(database: Database, sequence: int) -> None:
    """Edit entry `sequence` and recompute every hash after it, as a careful forger would."""
    await database.tamper(
        f"UPDATE ledger_entry SET purpose = 'marketing' WHERE sequence = {sequence}"
    )
    entries = sorted(await latest_entries(database.url, first=100), key=lambda e: e.sequence or 0)
    prev = bytes(32)
    statements = []
    for e in entries:
        digest = hashlib.sha256(prev + canonical(e)).digest()
        if (e.sequence or 0) >= sequence:
            statements.append(
                f"UPDATE ledger_entry SET prev_hash = {database.blob(prev)},"
                f" hash = {database.blob(digest)} WHERE sequence = {e.sequence}"
            )
        prev = digest
    await database.tamper(*statements)


async def test_a_rewritten_chain_disagrees_with_its_checkpoint(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await _rewrite_from(database, 7)
    await _expect(database, signing_key, 10, "does not match the chain")


async def test_a_forged_checkpoint_is_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await _rewrite_from(database, 7)
    # The forger re-signs the checkpoints after the edit, without the gateway's key.
    forger = Ed25519PrivateKey.generate()
    rows = await database.query("SELECT sequence, at FROM ledger_entry ORDER BY sequence")
    hashes = dict(await database.query("SELECT sequence, hash FROM ledger_entry"))
    statements = []
    for sequence, _ in rows:
        if sequence % 5 == 0 and sequence >= 10:
            at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            digest = bytes(hashes[sequence])
            payload = orjson.dumps(
                {"at": at, "hash": digest.hex(), "sequence": sequence},
                option=orjson.OPT_SORT_KEYS,
            )
            signature = base64.b64encode(forger.sign(payload)).decode()
            statements.append(
                f"UPDATE ledger_checkpoint SET hash = {database.blob(digest)}, at = '{at}',"
                f" signature = '{signature}' WHERE sequence = {sequence}"
            )
    await database.tamper(*statements)
    await _expect(database, signing_key, 10, "invalid signature")


async def test_a_corrupted_signature_is_named(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    await database.tamper(
        "UPDATE ledger_checkpoint SET signature = 'bm90IGEgc2lnbmF0dXJl' WHERE sequence = 15"
    )
    await _expect(database, signing_key, 15, "invalid signature")


async def test_the_ledger_refuses_ordinary_changes(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    await _twenty(open_one)
    for statement in (
        "UPDATE ledger_entry SET purpose = 'marketing' WHERE sequence = 3",
        "DELETE FROM ledger_entry WHERE sequence = 3",
        "DELETE FROM ledger_checkpoint WHERE sequence = 5",
    ):
        with pytest.raises(Exception, match="append-only"):
            await database.query(statement)
    assert (await verify(database.url, signing_key.public_key())).ok


async def test_verifying_a_missing_ledger_is_a_clear_error(
    database: Database, signing_key: Ed25519PrivateKey
) -> None:
    with pytest.raises(FileNotFoundError, match="no ledger"):
        await verify(database.url, signing_key.public_key())


async def test_verifying_a_file_that_holds_no_ledger_is_a_clear_error(
    tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE unrelated (x)").connection.close()
    with pytest.raises(FileNotFoundError, match="no ledger"):
        await verify(f"sqlite:///{other}", signing_key.public_key())
