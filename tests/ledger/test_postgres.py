"""PostgreSQL layout: entries partitioned by month, each month created when first reached."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import entries_for_subject, open_ledger, verify
from tests.ledger.conftest import Database, entry


async def _partitions(database: Database) -> dict[str, int]:
    rows = await database.query(
        "SELECT c.relname, (SELECT count(*) FROM ledger_entry e WHERE e.tableoid = c.oid)"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'ledger_entry'::regclass"
    )
    return dict(rows)


async def test_entries_land_in_monthly_partitions_created_on_demand(
    postgres_database: Database, signing_key: Ed25519PrivateKey
) -> None:
    database = postgres_database
    now = datetime.now(UTC)
    this_month = f"ledger_entry_y{now.year:04d}m{now.month:02d}"
    async with await open_ledger(database.url, signing_key) as ledger:
        opened = await _partitions(database)
        assert this_month in opened and len(opened) == 2  # this month and the next
        await ledger.record(
            [
                entry("late", at=datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC)),
                entry("early", at=datetime(2025, 1, 1, 0, 0, tzinfo=UTC)),
                entry("now"),
            ]
        )

    partitions = await _partitions(database)
    assert partitions["ledger_entry_y2027m12"] == 1
    assert partitions["ledger_entry_y2028m01"] == 0
    assert partitions["ledger_entry_y2025m01"] == 1
    assert partitions[this_month] == 1
    kind = await database.query(
        "SELECT relkind::text FROM pg_class WHERE oid = 'ledger_entry'::regclass"
    )
    assert kind == [("p",)]
    # Newest first means by sequence, whatever the timestamps say.
    found = await entries_for_subject(database.url, "AB123456C", first=10)
    assert [e.request_id for e in found] == ["now", "early", "late"]
    assert (await verify(database.url, signing_key.public_key())).ok


async def test_migrations_run_once_for_processes_starting_together(
    postgres_database: Database, signing_key: Ed25519PrivateKey
) -> None:
    ledgers = await asyncio.gather(
        *(open_ledger(postgres_database.url, signing_key) for _ in range(3))
    )
    for ledger in ledgers:
        await ledger.record([entry("hello")])
        await ledger.close()
    applied = await postgres_database.query("SELECT version FROM ledger_migrations")
    assert applied == [(1,)]
    assert (await verify(postgres_database.url, signing_key.public_key())).entries == 3
