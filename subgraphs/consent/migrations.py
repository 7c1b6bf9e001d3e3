"""Schema migrations of the consent store, the same logical schema on SQLite and PostgreSQL.

Migrations run in order, each once, recorded in `schema_migrations`; running
them again (or from two processes at once) changes nothing. Append new
migrations to `MIGRATIONS`; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joinedup.sqlite import switch_to_wal
from subgraphs.consent.records import rfc3339


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


_STATES = "('given', 'withdrawn', 'refused', 'expired')"

# The batched read looks citizens up by primary key and their records through
# the UNIQUE (nin, purpose) index; history walks UNIQUE (nin, version). No
# other index is needed, and every extra one would slow every change.

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "citizens, consent records and their hash-chained events",
        sqlite=(
            """CREATE TABLE citizen_consent (
                nin TEXT PRIMARY KEY,
                version INTEGER NOT NULL CHECK (version > 0),
                opted_out INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),
                updated_at TEXT NOT NULL
            ) WITHOUT ROWID""",
            f"""CREATE TABLE consent_record (
                record_id TEXT PRIMARY KEY,
                nin TEXT NOT NULL REFERENCES citizen_consent (nin),
                purpose TEXT NOT NULL,
                controllers TEXT NOT NULL,
                categories TEXT NOT NULL,
                lawful_basis TEXT NOT NULL,
                collection_method TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN {_STATES}),
                given_at TEXT,
                state_changed_at TEXT NOT NULL,
                expires_at TEXT,
                version INTEGER NOT NULL,
                UNIQUE (nin, purpose)
            )""",
            f"""CREATE TABLE consent_event (
                event_id TEXT PRIMARY KEY,
                nin TEXT NOT NULL,
                version INTEGER NOT NULL,
                purpose TEXT,
                state TEXT CHECK (state IN {_STATES}),
                opted_out INTEGER,
                expires_at TEXT,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                UNIQUE (nin, version)
            )""",
        ),
        postgres=(
            """CREATE TABLE citizen_consent (
                nin text PRIMARY KEY,
                version bigint NOT NULL CHECK (version > 0),
                opted_out boolean NOT NULL DEFAULT false,
                updated_at timestamptz NOT NULL
            )""",
            f"""CREATE TABLE consent_record (
                record_id uuid PRIMARY KEY,
                nin text NOT NULL REFERENCES citizen_consent (nin),
                purpose text NOT NULL,
                controllers text[] NOT NULL,
                categories text[] NOT NULL,
                lawful_basis text NOT NULL,
                collection_method text NOT NULL,
                state text NOT NULL CHECK (state IN {_STATES}),
                given_at timestamptz,
                state_changed_at timestamptz NOT NULL,
                expires_at timestamptz,
                version bigint NOT NULL,
                UNIQUE (nin, purpose)
            )""",
            f"""CREATE TABLE consent_event (
                event_id uuid PRIMARY KEY,
                nin text NOT NULL,
                version bigint NOT NULL,
                purpose text,
                state text CHECK (state IN {_STATES}),
                opted_out boolean,
                expires_at timestamptz,
                at timestamptz NOT NULL,
                actor text NOT NULL,
                prev_hash text NOT NULL,
                hash text NOT NULL,
                UNIQUE (nin, version)
            )""",
        ),
    ),
    Migration(
        2,
        "the consent service: pending consent requests, proxies and issued receipts",
        sqlite=(
            """CREATE TABLE consent_request (
                request_id TEXT PRIMARY KEY,
                nin TEXT NOT NULL,
                purpose TEXT NOT NULL,
                client TEXT NOT NULL,
                explanation TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
                requested_at TEXT NOT NULL,
                answered_at TEXT,
                answered_by TEXT,
                answer_version INTEGER
            )""",
            # One open request per service and purpose; it also finds a citizen's pending ones.
            """CREATE UNIQUE INDEX consent_request_pending
                ON consent_request (nin, purpose, client) WHERE status = 'pending'""",
            """CREATE TABLE consent_proxy (
                principal_nin TEXT NOT NULL,
                proxy_nin TEXT NOT NULL,
                reason TEXT NOT NULL,
                added_at TEXT NOT NULL,
                PRIMARY KEY (principal_nin, proxy_nin)
            ) WITHOUT ROWID""",
            """CREATE TABLE consent_receipt (
                receipt_id TEXT PRIMARY KEY,
                nin TEXT NOT NULL,
                version INTEGER NOT NULL,
                collection_method TEXT NOT NULL,
                jws TEXT NOT NULL,
                UNIQUE (nin, version)
            )""",
        ),
        postgres=(
            """CREATE TABLE consent_request (
                request_id uuid PRIMARY KEY,
                nin text NOT NULL,
                purpose text NOT NULL,
                client text NOT NULL,
                explanation text NOT NULL,
                status text NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
                requested_at timestamptz NOT NULL,
                answered_at timestamptz,
                answered_by text,
                answer_version bigint
            )""",
            """CREATE UNIQUE INDEX consent_request_pending
                ON consent_request (nin, purpose, client) WHERE status = 'pending'""",
            """CREATE TABLE consent_proxy (
                principal_nin text NOT NULL,
                proxy_nin text NOT NULL,
                reason text NOT NULL,
                added_at timestamptz NOT NULL,
                PRIMARY KEY (principal_nin, proxy_nin)
            )""",
            """CREATE TABLE consent_receipt (
                receipt_id uuid PRIMARY KEY,
                nin text NOT NULL,
                version bigint NOT NULL,
                collection_method text NOT NULL,
                jws text NOT NULL,
                UNIQUE (nin, version)
            )""",
        ),
    ),
)

_LEDGER_SQLITE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"""
_LEDGER_POSTGRES = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)"""


def migrate_sqlite(connection: sqlite3.Connection) -> list[int]:
    """Apply pending migrations in one write transaction; return the versions applied.

    `connection` must be in autocommit mode (`isolation_level=None`).
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(_LEDGER_SQLITE)
        done = {row[0] for row in connection.execute("SELECT version FROM schema_migrations")}
        applied = []
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            for statement in migration.sqlite:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (migration.version, migration.name, rfc3339(datetime.now(UTC))),
            )
            applied.append(migration.version)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return applied


def open_sqlite_file(path: str) -> None:
    """Create or migrate the consent database at `path`, and switch it to WAL."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        switch_to_wal(connection)
        migrate_sqlite(connection)
    finally:
        connection.close()


async def migrate_postgres(connection: Any) -> list[int]:
    """Apply pending migrations to the first schema on the search path (an asyncpg connection).

    An advisory lock per schema lets several processes start at once.
    """
    async with connection.transaction():
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext('joinedup.consent:' || current_schema()))"
        )
        await connection.execute(_LEDGER_POSTGRES)
        done = {row[0] for row in await connection.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            for statement in migration.postgres:
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO schema_migrations VALUES ($1, $2, now())",
                migration.version,
                migration.name,
            )
            applied.append(migration.version)
    return applied
