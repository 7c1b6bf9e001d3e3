"""Every consent test runs on SQLite (a temporary file) and on a real PostgreSQL.

PostgreSQL tests each get their own schema, created for the test and dropped
after it, so runs never collide and no other schema is touched. Set
`CONSENT_TEST_POSTGRES_URL` to test against another server.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from subgraphs.consent.records import Purposes, load_purposes
from subgraphs.consent.store import ConsentStore, open_consent_store

POSTGRES_URL = os.environ.get(
    "CONSENT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


class Database:
    """One empty consent database: its store URL and raw SQL access for tampering."""

    def __init__(self, engine: str, url: str, raw: Callable[[str], Awaitable[Any]]) -> None:
        self.engine = engine
        self.url = url
        self.execute = raw


@pytest.fixture(scope="session")
def purposes() -> Purposes:
    return load_purposes()


async def _sqlite_database(directory: Path) -> AsyncIterator[Database]:
    import aiosqlite

    path = directory / "consent.db"

    async def raw(sql: str) -> Any:
        async with aiosqlite.connect(path) as connection:
            cursor = await connection.execute(sql)
            rows = await cursor.fetchall()
            await connection.commit()
            return rows

    yield Database("sqlite", f"sqlite:///{path}", raw)


@contextlib.asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A fresh schema for one test, dropped afterwards; yields a URL that uses it."""
    schema = f"consent_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in POSTGRES_URL else "?"
        try:
            yield f"{POSTGRES_URL}{separator}search_path={schema}"
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


async def _postgres_database() -> AsyncIterator[Database]:
    async with postgres_schema() as url:

        async def raw(sql: str) -> Any:
            connection = await asyncpg.connect(url)
            try:
                return await connection.fetch(sql)
            finally:
                await connection.close()

        yield Database("postgresql", url, raw)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    source = _sqlite_database(tmp_path) if request.param == "sqlite" else _postgres_database()
    async for db in source:
        yield db


@pytest.fixture
async def open_store(
    database: Database, purposes: Purposes
) -> AsyncIterator[Callable[[], Awaitable[ConsentStore]]]:
    """Open another store on the same database, like another gateway process would."""
    opened: list[ConsentStore] = []

    async def open_one() -> ConsentStore:
        store = await open_consent_store(database.url, purposes)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: Callable[[], Awaitable[ConsentStore]]) -> ConsentStore:
    return await open_store()
