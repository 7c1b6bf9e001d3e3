"""Outcomes services report for their accesses, in the access service's own table.

The ledger is append-only and belongs to the gateway, so an outcome never edits
it: it is a row keyed by the access (request id and citizen NIN) that the
ledger entries of that access share. A later report for the same access
replaces the earlier one. SQLite (`sqlite:///path`) or PostgreSQL
(`postgresql://...`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import asyncpg

Key = tuple[str, str]  # (request id, NIN)

_CREATE = """CREATE TABLE IF NOT EXISTS access_outcome (
    request_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (request_id, subject)
)"""


@dataclass(frozen=True)
class Outcome:
    request_id: str
    subject: str
    client_id: str
    outcome: str
    recorded_at: datetime


class OutcomeStore(Protocol):
    async def read(self, keys: Sequence[Key]) -> dict[Key, Outcome]: ...
    async def record(self, outcome: Outcome) -> None: ...
    async def close(self) -> None: ...


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class _Sqlite:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def read(self, keys: Sequence[Key]) -> dict[Key, Outcome]:
        if not keys:
            return {}
        marks = ",".join("(?, ?)" for _ in keys)
        args = [part for key in keys for part in key]
        sql = (
            "SELECT request_id, subject, client_id, outcome, recorded_at FROM access_outcome"
            f" WHERE (request_id, subject) IN (VALUES {marks})"
        )
        return _by_key(await self._db.execute_fetchall(sql, args))

    async def record(self, outcome: Outcome) -> None:
        await self._db.execute(
            "INSERT INTO access_outcome VALUES (?, ?, ?, ?, ?)" + _REPLACING, _values(outcome)
        )
        await self._db.commit()

    async def close(self) -> None:
        await self._db.close()


class _Postgres:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def read(self, keys: Sequence[Key]) -> dict[Key, Outcome]:
        if not keys:
            return {}
        rows = await self._pool.fetch(
            "SELECT o.request_id, o.subject, o.client_id, o.outcome, o.recorded_at"
            " FROM access_outcome o JOIN unnest($1::text[], $2::text[]) AS k(r, s)"
            " ON o.request_id = k.r AND o.subject = k.s",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        return _by_key(rows)

    async def record(self, outcome: Outcome) -> None:
        await self._pool.execute(
            "INSERT INTO access_outcome VALUES ($1, $2, $3, $4, $5)" + _REPLACING,
            *_values(outcome),
        )

    async def close(self) -> None:
        await self._pool.close()


async def open_outcome_store(url: str) -> OutcomeStore:
    """Open (creating the table if needed) the outcome store at `url`."""
    if url.startswith(("postgresql://", "postgres://")):
        pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
        await pool.execute(_CREATE)
        return _Postgres(pool)
    if not url.startswith("sqlite:///"):
        raise ValueError(f"unsupported outcome store URL {url!r}: use sqlite:/// or postgresql://")
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = await aiosqlite.connect(path)
    try:
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA busy_timeout=30000")
        await connection.execute(_CREATE)
        await connection.commit()
    except BaseException:
        await connection.close()
        raise
    return _Sqlite(connection)


# A service reporting again on the same access replaces its earlier outcome.
_REPLACING = (
    " ON CONFLICT (request_id, subject) DO UPDATE SET"
    " client_id = excluded.client_id, outcome = excluded.outcome,"
    " recorded_at = excluded.recorded_at"
)


def _values(outcome: Outcome) -> tuple[str, str, str, str, str]:
    return (
        outcome.request_id,
        outcome.subject,
        outcome.client_id,
        outcome.outcome,
        _stamp(outcome.recorded_at),
    )


def _by_key(rows: Iterable[Any]) -> dict[Key, Outcome]:
    """Stored rows (request_id, subject, client_id, outcome, recorded_at) by access."""
    return {
        (r[0], r[1]): Outcome(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4])) for r in rows
    }
