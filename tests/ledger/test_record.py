"""Recording: entries come back as written, batched into few commits, bad input refused."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import (
    Ledger,
    LedgerError,
    entries_for_subject,
    latest_entries,
    open_ledger,
    verify,
)
from tests.ledger.conftest import Database, entry

OpenLedger = Callable[..., Awaitable[Ledger]]


async def test_entries_are_read_back_as_recorded(database: Database, open_one: OpenLedger) -> None:
    ledger = await open_one()
    first = entry(
        "req-1",
        released=("Citizen.taxCode", "Citizen.selfAssessment"),
        refused=(("Citizen.bloodPressure", "consent_withdrawn"),),
        at=datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    )
    second = entry("req-2", subject="", department="council", released=("Council.name",))
    await ledger.record([first, second])

    newest = await latest_entries(database.url, first=10)
    assert newest == [second, first]
    assert [e.sequence for e in newest] == [2, 1]
    assert newest[1].at == first.at  # the same instant, read back in UTC
    assert newest[1].at.tzinfo == UTC


async def test_concurrent_records_share_commits(database: Database, open_one: OpenLedger) -> None:
    ledger = await open_one()
    await ledger.record([entry("warm-up")])
    before = ledger.commits

    await asyncio.gather(*(ledger.record([entry(f"r{i}"), entry(f"r{i}b")]) for i in range(200)))

    commits = ledger.commits - before
    assert 1 <= commits <= 20, commits
    assert ledger.entries_committed == 401
    ids = {e.request_id for e in await latest_entries(database.url, first=1000)}
    assert {f"r{i}" for i in range(200)} | {f"r{i}b" for i in range(200)} <= ids


async def test_sequences_continue_across_reopen(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    ledger = await open_one(checkpoint_every=3)
    await ledger.record([entry(f"a{i}") for i in range(4)])
    await ledger.close()
    again = await open_one(checkpoint_every=3)
    await again.record([entry(f"b{i}") for i in range(4)])
    await again.close()

    sequences = [e.sequence for e in await latest_entries(database.url, first=100)]
    assert sequences == list(range(8, 0, -1))
    # Checkpoints at 3 and 6 (every three), at 4 and 8 (each close).
    checkpoints = await database.query("SELECT sequence FROM ledger_checkpoint ORDER BY sequence")
    assert [row[0] for row in checkpoints] == [3, 4, 6, 8]
    report = await verify(database.url, signing_key.public_key())
    assert (report.ok, report.entries, report.checkpoints) == (True, 8, 4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"request_id": ""}, "request_id"),
        ({"department": 7}, "department"),
        ({"released": ["Citizen.taxCode"]}, "released"),
        ({"refused": (("Citizen.taxCode",),)}, "pair"),
        ({"consent_version": -1}, "consent_version"),
        ({"consent_version": True}, "consent_version"),
        ({"purpose": "a\x00b"}, "NUL"),
        ({"purpose": "\ud800"}, "cannot be recorded"),
        ({"at": datetime.min.replace(tzinfo=timezone(timedelta(hours=1)))}, "cannot be recorded"),
    ],
)
async def test_bad_entries_are_refused_and_change_nothing(
    database: Database, open_one: OpenLedger, change: dict[str, object], message: str
) -> None:
    ledger = await open_one()
    good = entry("good")
    bad = dataclasses.replace(entry("bad"), **change)  # type: ignore[arg-type]
    with pytest.raises((ValueError, TypeError), match=message):
        await ledger.record([good, bad])
    with pytest.raises(TypeError, match="not a LedgerEntry"):
        await ledger.record([good, "an entry"])  # type: ignore[list-item]
    assert await latest_entries(database.url, first=10) == []
    assert ledger.commits == 0


async def test_a_bad_request_does_not_fail_the_batch_it_would_share(
    database: Database, open_one: OpenLedger
) -> None:
    ledger = await open_one()
    results = await asyncio.gather(
        *(ledger.record([entry(f"r{i}")]) for i in range(10)),
        ledger.record([entry("bad", subject="\ud800")]),
        *(ledger.record([entry(f"s{i}")]) for i in range(10)),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["NoneType"] * 10 + ["ValueError"] + [
        "NoneType"
    ] * 10
    assert len(await latest_entries(database.url, first=100)) == 20


async def test_a_closed_ledger_refuses_records(database: Database, open_one: OpenLedger) -> None:
    ledger = await open_one()
    await ledger.record([entry("before")])
    await ledger.close()
    with pytest.raises(LedgerError, match="not open"):
        await ledger.record([entry("after")])
    assert [e.request_id for e in await latest_entries(database.url, first=10)] == ["before"]


async def test_close_commits_what_is_queued(
    database: Database, signing_key: Ed25519PrivateKey
) -> None:
    ledger = await open_ledger(database.url, signing_key)
    pending = [asyncio.create_task(ledger.record([entry(f"q{i}")])) for i in range(50)]
    await asyncio.sleep(0)  # let every record call queue its entries
    await ledger.close()
    await asyncio.gather(*pending)
    assert len(await latest_entries(database.url, first=100)) == 50


async def test_bad_urls_and_pages_are_refused(
    database: Database, signing_key: Ed25519PrivateKey
) -> None:
    with pytest.raises(ValueError, match="unsupported ledger URL"):
        await open_ledger("mysql://x/y", signing_key)
    with pytest.raises(ValueError, match="file"):
        await open_ledger("sqlite:///:memory:", signing_key)
    with pytest.raises(ValueError, match="checkpoint_every"):
        await open_ledger(database.url, signing_key, checkpoint_every=0)
    with pytest.raises(ValueError, match="first"):
        await entries_for_subject(database.url, "AB123456C", first=0)
    with pytest.raises(ValueError, match="after"):
        await entries_for_subject(database.url, "AB123456C", first=1, after=-1)
    with pytest.raises(ValueError, match="NIN"):
        await entries_for_subject(database.url, "", first=1)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_a_full_queue_makes_callers_wait(
    database: Database, signing_key: Ed25519PrivateKey
) -> None:
    async with await open_ledger(database.url, signing_key, max_pending=2) as ledger:
        await ledger.record([entry("warm-up")])
        async with database.writes_held():
            callers = [asyncio.create_task(ledger.record([entry(f"r{i}")])) for i in range(10)]
            # The writer holds the first call in a blocked commit; two more fill the queue.
            await _until(lambda: ledger.pending == 2)
            await asyncio.sleep(0.05)
            assert ledger.pending == 2
            assert not any(caller.done() for caller in callers)
        await asyncio.gather(*callers)
        # Batches were at most one in commit plus two queued.
        assert ledger.commits - 1 >= 4
    assert len(await latest_entries(database.url, first=100)) == 11


async def test_closing_with_callers_waiting_for_room_commits_them(
    database: Database, signing_key: Ed25519PrivateKey
) -> None:
    ledger = await open_ledger(database.url, signing_key, max_pending=2)
    await ledger.record([entry("warm-up")])
    async with database.writes_held():
        callers = [asyncio.create_task(ledger.record([entry(f"r{i}")])) for i in range(10)]
        await _until(lambda: ledger.pending == 2)
        closing = asyncio.create_task(ledger.close())
        await asyncio.sleep(0.05)
        assert not closing.done()
    await asyncio.wait_for(asyncio.gather(closing, *callers), timeout=30)
    assert len(await latest_entries(database.url, first=100)) == 11
    report = await verify(database.url, signing_key.public_key())
    assert report.ok and report.checkpoints == 1
