"""Schema migrations: ordered, recorded, idempotent, and the same schema on both engines."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from subgraphs.consent.migrations import MIGRATIONS, migrate_postgres, migrate_sqlite
from subgraphs.consent.records import Purposes
from subgraphs.consent.store import open_consent_store
from tests.consent.conftest import Database, postgres_schema

TABLES = (
    "citizen_consent",
    "consent_record",
    "consent_event",
    "consent_request",
    "consent_proxy",
    "consent_receipt",
    "schema_migrations",
)
NIN = "AB123456C"


def test_migrations_are_numbered_in_order_from_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert all(len(m.sqlite) == len(m.postgres) for m in MIGRATIONS)


async def test_reopening_applies_nothing_and_keeps_the_data(
    database: Database, purposes: Purposes
) -> None:
    store = await open_consent_store(database.url, purposes)
    await store.give(NIN, "gp-home-readings", collection_method="web-portal", actor="citizen")
    await store.close()
    store = await open_consent_store(database.url, purposes)
    try:
        assert (await store.read([NIN]))[NIN].version == 1
    finally:
        await store.close()
    rows = await database.execute("SELECT version FROM schema_migrations ORDER BY version")
    assert [tuple(row) for row in rows] == [(m.version,) for m in MIGRATIONS]


async def test_stores_opening_at_once_migrate_once(database: Database, purposes: Purposes) -> None:
    stores = await asyncio.gather(*(open_consent_store(database.url, purposes) for _ in range(4)))
    try:
        await asyncio.gather(
            *(s.give(NIN, "gp-home-readings", collection_method="w", actor="a") for s in stores)
        )
        assert (await stores[0].read([NIN]))[NIN].version == 4
    finally:
        for store in stores:
            await store.close()
    rows = await database.execute("SELECT count(*) FROM schema_migrations")
    assert rows[0][0] == len(MIGRATIONS)


def test_migrate_sqlite_applies_each_migration_once(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "consent.db", isolation_level=None)
    try:
        assert migrate_sqlite(connection) == [m.version for m in MIGRATIONS]
        assert migrate_sqlite(connection) == []
    finally:
        connection.close()


async def _postgres_columns(url: str) -> dict[str, list[str]]:
    connection = await asyncpg.connect(url)
    try:
        assert await migrate_postgres(connection) == [m.version for m in MIGRATIONS]
        assert await migrate_postgres(connection) == []
        rows = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
    finally:
        await connection.close()
    columns: dict[str, list[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], []).append(row["column_name"])
    return columns


async def test_both_engines_have_the_same_tables_and_columns(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "consent.db", isolation_level=None)
    try:
        migrate_sqlite(connection)
        sqlite_columns = {
            table: [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            for table in TABLES
        }
    finally:
        connection.close()
    async with postgres_schema() as url:
        postgres_columns = await _postgres_columns(url)
    assert postgres_columns == sqlite_columns


async def test_an_unsupported_url_is_refused(purposes: Purposes) -> None:
    with pytest.raises(ValueError, match="unsupported consent store URL"):
        await open_consent_store("mysql://localhost/consent", purposes)
