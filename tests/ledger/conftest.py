"""Every ledger test runs on SQLite (a temporary file) and on a real PostgreSQL.

PostgreSQL tests each get their own schema, created for the test and dropped
after it, so runs never collide and no other schema is touched. Set
`LEDGER_TEST_POSTGRES_URL` to test against another server.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import Ledger, LedgerEntry, open_ledger

POSTGRES_URL = os.environ.get(
    "LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
_SQLITE_TRIGGERS = [
    f"{table}_no_{verb}"
    for table in ("ledger_entry", "ledger_checkpoint")
    for verb in ("update", "delete")
]


class Database:
    """One empty ledger database: its URL, and raw SQL that bypasses append-only guards."""

    def __init__(
        self, engine: str, url: str, path: Path | None = None, application_name: str = ""
    ) -> None:
        self.engine = engine
        self.url = url
        self.path = path
        self.application_name = application_name  # PostgreSQL: names the ledger's connections

    async def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.path is not None:
            connection = sqlite3.connect(self.path)
            try:
                return connection.execute(sql).fetchall()
            finally:
                connection.close()
        connection = await asyncpg.connect(self.url)
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    async def tamper(self, *statements: str) -> None:
        """Run `statements` as someone with raw access to the database would."""
        if self.path is not None:
            connection = sqlite3.connect(self.path, isolation_level=None)
            try:
                for trigger in _SQLITE_TRIGGERS:
                    connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                for statement in statements:
                    connection.execute(statement)
            finally:
                connection.close()
            return
        connection = await asyncpg.connect(self.url)
        try:
            await connection.execute("SET session_replication_role = replica")  # skip triggers
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    @contextlib.asynccontextmanager
    async def writes_held(self) -> AsyncIterator[None]:
        """Hold the ledger's write lock, as another writer in a long transaction would."""
        if self.path is not None:
            connection = sqlite3.connect(self.path, isolation_level=None)
            try:
                connection.execute("BEGIN IMMEDIATE")
                yield
                connection.execute("ROLLBACK")
            finally:
                connection.close()
            return
        connection = await asyncpg.connect(self.url)
        try:
            async with connection.transaction():
                await connection.execute("SELECT * FROM ledger_head FOR UPDATE")
                yield
        finally:
            await connection.close()

    def blob(self, data: bytes) -> str:
        """A SQL literal for bytes."""
        return f"X'{data.hex()}'" if self.path is not None else f"'\\x{data.hex()}'::bytea"


@contextlib.asynccontextmanager
async def postgres_schema(**settings: str) -> AsyncIterator[str]:
    """A fresh schema for one test, dropped afterwards; yields a URL that uses it."""
    schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in POSTGRES_URL else "?"
        extra = "".join(f"&{name}={value}" for name, value in settings.items())
        try:
            yield f"{POSTGRES_URL}{separator}search_path={schema}{extra}"
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def _postgres_database() -> AsyncIterator[Database]:
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    async with postgres_schema(application_name=name) as url:
        yield Database("postgresql", url, application_name=name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        yield Database("sqlite", f"sqlite:///{path}", path)
        return
    async with _postgres_database() as database:
        yield database


@pytest.fixture
async def postgres_database() -> AsyncIterator[Database]:
    """For behaviour only PostgreSQL has (server connections, several replicas)."""
    async with _postgres_database() as database:
        yield database


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
async def open_one(
    database: Database, signing_key: Ed25519PrivateKey
) -> AsyncIterator[Callable[..., Awaitable[Ledger]]]:
    """Open a ledger on the test database, like a gateway process would; closed afterwards."""
    opened: list[Ledger] = []

    async def open_ledger_here(checkpoint_every: int = 1000) -> Ledger:
        ledger = await open_ledger(database.url, signing_key, checkpoint_every=checkpoint_every)
        opened.append(ledger)
        return ledger

    yield open_ledger_here
    for ledger in opened:
        with contextlib.suppress(Exception):
            await ledger.close()


def entry(
    request_id: str,
    *,
    subject: str = "AB123456C",
    department: str = "hmrc",
    released: tuple[str, ...] = ("Citizen.taxCode",),
    refused: tuple[tuple[str, str], ...] = (),
    at: datetime | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        at=at or datetime.now(UTC),
        request_id=request_id,
        client_id="blue-badge-service",
        organisation="council",
        purpose="blue-badge-eligibility",
        subject=subject,
        department=department,
        released=released,
        refused=refused,
        decision_id=f"decision-{request_id}",
        policy_revision="rev-1",
        consent_version=7,
    )
