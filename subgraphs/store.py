"""A department's own SQLite store: one file per department, never shared."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

Row = sqlite3.Row


class Store:
    """An open connection to one department's database, counting its queries.

    The count lets a department (and its tests) see that a batch of entity
    keys was answered by one query, not one per key.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self.queries = 0
        # One connection serves every request; a lock keeps one request's
        # transaction from committing or rolling back another's writes.
        self._writing = asyncio.Lock()

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.queries += 1
        # One hop to aiosqlite's thread instead of three (execute, fetch, close).
        return list(await self.connection.execute_fetchall(sql, params))

    async def fetch_by_keys(
        self, sql: str, keys: Sequence[Any], extra: Sequence[Any] = ()
    ) -> list[Row]:
        """Run `sql`, whose `{keys}` placeholder expands to one `?` per key, once."""
        if not keys:
            return []
        return await self.fetch(sql.format(keys=placeholders(len(keys))), [*keys, *extra])

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write in its own transaction; return the affected row count."""
        async with self.transaction() as db:
            cursor = await db.execute(sql, params)
            return cursor.rowcount

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Writes that commit together or not at all, one transaction at a time."""
        async with self._writing:
            self.queries += 1
            try:
                yield self.connection
            except BaseException:
                await self.connection.rollback()
                raise
            await self.connection.commit()

    async def close(self) -> None:
        await self.connection.close()


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


async def open_store(path: Path) -> Store:
    """Open an existing department database read-write."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `joinedup seed` first")
    connection = await aiosqlite.connect(path)
    connection.row_factory = sqlite3.Row
    await connection.execute("PRAGMA journal_mode=WAL")
    await connection.execute("PRAGMA foreign_keys=ON")
    return Store(connection)


def create_database(path: Path, schema: str) -> sqlite3.Connection:
    """Create a fresh database for seeding: fast, unsafe pragmas until `finish`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.executescript(schema)
    return connection


def insert(connection: sqlite3.Connection, table: str, rows: Iterable[Sequence[Any]]) -> None:
    rows = list(rows)
    if rows:
        values = placeholders(len(rows[0]))
        connection.executemany(f"INSERT INTO {table} VALUES ({values})", rows)


def finish(connection: sqlite3.Connection, indexes: str = "") -> None:
    """Build indexes after the bulk load and make the file safe to serve."""
    connection.executescript(indexes)
    connection.commit()
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
