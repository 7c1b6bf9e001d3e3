"""The consent store on one SQLite file (WAL), the embedded default.

Two connections: changes go through a writer, one `BEGIN IMMEDIATE`
transaction at a time (a busy timeout waits for other processes); reads go
through a reader that, in WAL mode, sees every committed change and never
waits for a writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import orjson

from subgraphs.consent.migrations import open_sqlite_file
from subgraphs.consent.records import (
    GENESIS_HASH,
    CitizenConsent,
    ConsentEvent,
    ConsentRecord,
    ConsentState,
    Purposes,
    first_broken,
    parse_rfc3339,
    rfc3339,
)
from subgraphs.consent.store import (
    StateChanges,
    changed_record,
    check_give,
    check_nin,
    check_opt_out,
    citizens_from_rows,
    consent_purpose,
    opt_out_event,
    record_event,
    unseen,
    valid_nins,
)

BUSY_TIMEOUT_SECONDS = 30.0

_RECORD_COLUMNS = (
    "record_id, nin, purpose, controllers, categories, lawful_basis, collection_method,"
    " state, given_at, state_changed_at, expires_at, version"
)
_EVENT_COLUMNS = (
    "event_id, nin, version, purpose, state, opted_out, expires_at, at, actor, prev_hash, hash"
)
# One statement for any number of citizens: the NINs travel as one JSON array.
_READ = """
SELECT c.nin, c.version AS citizen_version, c.opted_out,
       r.record_id, r.purpose, r.controllers, r.categories, r.lawful_basis,
       r.collection_method, r.state, r.given_at, r.state_changed_at, r.expires_at, r.version
FROM citizen_consent AS c
LEFT JOIN consent_record AS r ON r.nin = c.nin AND (?2 IS NULL OR r.purpose = ?2)
WHERE c.nin IN (SELECT value FROM json_each(?1))
"""
_BUMP = """
INSERT INTO citizen_consent (nin, version, opted_out, updated_at) VALUES (?, 1, 0, ?)
ON CONFLICT (nin) DO UPDATE SET version = version + 1, updated_at = excluded.updated_at
RETURNING version
"""
_BUMP_OPTED_OUT = """
INSERT INTO citizen_consent (nin, version, opted_out, updated_at) VALUES (?, 1, ?, ?)
ON CONFLICT (nin) DO UPDATE SET version = version + 1, opted_out = excluded.opted_out,
    updated_at = excluded.updated_at
RETURNING version
"""
_UPSERT_RECORD = f"""
INSERT INTO consent_record ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (nin, purpose) DO UPDATE SET
    controllers = excluded.controllers, categories = excluded.categories,
    lawful_basis = excluded.lawful_basis, collection_method = excluded.collection_method,
    state = excluded.state, given_at = excluded.given_at,
    state_changed_at = excluded.state_changed_at, expires_at = excluded.expires_at,
    version = excluded.version
"""
_INSERT_EVENT = (
    f"INSERT INTO consent_event ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The chain and the citizen's version in one statement, so one snapshot.
_CHAIN = """
SELECT c.version AS citizen_version, e.event_id, e.nin, e.version, e.purpose, e.state,
       e.opted_out, e.expires_at, e.at, e.actor, e.prev_hash, e.hash
FROM (SELECT ? AS nin) AS k
LEFT JOIN citizen_consent AS c ON c.nin = k.nin
LEFT JOIN consent_event AS e ON e.nin = k.nin
ORDER BY e.version
"""
_LAST_HASH = "SELECT hash FROM consent_event WHERE nin = ? ORDER BY version DESC LIMIT 1"


def _time(value: str | None) -> datetime | None:
    return None if value is None else parse_rfc3339(value)


def _text(value: datetime | None) -> str | None:
    return None if value is None else rfc3339(value)


def record_from_row(row: sqlite3.Row) -> ConsentRecord:
    return ConsentRecord(
        record_id=row["record_id"],
        nin=row["nin"],
        purpose=row["purpose"],
        controllers=tuple(orjson.loads(row["controllers"])),
        categories=tuple(orjson.loads(row["categories"])),
        lawful_basis=row["lawful_basis"],
        collection_method=row["collection_method"],
        state=ConsentState(row["state"]),
        given_at=_time(row["given_at"]),
        state_changed_at=parse_rfc3339(row["state_changed_at"]),
        expires_at=_time(row["expires_at"]),
        version=row["version"],
    )


def record_row(record: ConsentRecord) -> tuple[Any, ...]:
    return (
        record.record_id,
        record.nin,
        record.purpose,
        orjson.dumps(record.controllers).decode(),
        orjson.dumps(record.categories).decode(),
        record.lawful_basis,
        record.collection_method,
        record.state.value,
        _text(record.given_at),
        rfc3339(record.state_changed_at),
        _text(record.expires_at),
        record.version,
    )


def event_from_row(row: sqlite3.Row) -> ConsentEvent:
    return ConsentEvent(
        event_id=row["event_id"],
        nin=row["nin"],
        version=row["version"],
        purpose=row["purpose"],
        state=None if row["state"] is None else ConsentState(row["state"]),
        opted_out=None if row["opted_out"] is None else bool(row["opted_out"]),
        expires_at=_time(row["expires_at"]),
        at=parse_rfc3339(row["at"]),
        actor=row["actor"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def event_row(event: ConsentEvent) -> tuple[Any, ...]:
    return (
        event.event_id,
        event.nin,
        event.version,
        event.purpose,
        None if event.state is None else event.state.value,
        None if event.opted_out is None else int(event.opted_out),
        _text(event.expires_at),
        rfc3339(event.at),
        event.actor,
        event.prev_hash,
        event.hash,
    )


class SqliteConsentStore(StateChanges):
    """`ConsentStore` on a SQLite file; see `subgraphs.consent.store.ConsentStore`."""

    def __init__(
        self, reader: aiosqlite.Connection, writer: aiosqlite.Connection, purposes: Purposes
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._purposes = purposes
        self._writing = asyncio.Lock()  # one transaction at a time on the writer
        self.queries = 0

    async def _fetch(
        self, connection: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
    ) -> list[sqlite3.Row]:
        self.queries += 1
        # One hop to aiosqlite's thread instead of three (execute, fetch, close).
        return list(await connection.execute_fetchall(sql, params))

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.queries += 1
        await self._writer.execute(sql, params)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._writing:
            try:
                await self._write("BEGIN IMMEDIATE")
                yield
                await self._write("COMMIT")
            except BaseException:
                # aiosqlite runs statements in order, so this follows even a BEGIN
                # whose caller was cancelled while it waited for the lock.
                with contextlib.suppress(sqlite3.OperationalError):
                    await self._write("ROLLBACK")
                raise

    async def _bump(self, nin: str, now: datetime, opted_out: bool | None = None) -> int:
        if opted_out is None:
            rows = await self._fetch(self._writer, _BUMP, (nin, rfc3339(now)))
        else:
            rows = await self._fetch(
                self._writer, _BUMP_OPTED_OUT, (nin, int(opted_out), rfc3339(now))
            )
        version: int = rows[0][0]
        return version

    async def _last_hash(self, nin: str) -> str:
        rows = await self._fetch(self._writer, _LAST_HASH, (nin,))
        return str(rows[0][0]) if rows else GENESIS_HASH

    async def read(
        self, nins: Sequence[str], purpose: str | None = None
    ) -> dict[str, CitizenConsent]:
        wanted = valid_nins(nins)
        if not wanted:
            return unseen(nins)
        rows = await self._fetch(self._reader, _READ, (orjson.dumps(wanted).decode(), purpose))
        return citizens_from_rows(nins, rows, record_from_row)

    async def _change(
        self,
        nin: str,
        purpose: str,
        state: ConsentState,
        *,
        actor: str,
        collection_method: str | None = None,
        expires_at: datetime | None = None,
    ) -> ConsentRecord:
        facts = consent_purpose(self._purposes, nin, purpose, actor)
        async with self._transaction():
            now = datetime.now(UTC)  # the write lock is held: changes are timed in order
            if state is ConsentState.GIVEN:
                check_give(collection_method or "", expires_at, now)
            version = await self._bump(nin, now)
            rows = await self._fetch(
                self._writer,
                f"SELECT {_RECORD_COLUMNS} FROM consent_record WHERE nin = ? AND purpose = ?",
                (nin, purpose),
            )
            current = record_from_row(rows[0]) if rows else None
            record = changed_record(
                current,
                facts,
                nin,
                state,
                version=version,
                now=now,
                collection_method=collection_method,
                expires_at=expires_at,
            )
            event = record_event(record, prev_hash=await self._last_hash(nin), actor=actor)
            await self._write(_UPSERT_RECORD, record_row(record))
            await self._write(_INSERT_EVENT, event_row(event))
        return record

    async def set_opted_out(self, nin: str, opted_out: bool, *, actor: str) -> int:
        check_opt_out(nin, opted_out, actor)
        async with self._transaction():
            now = datetime.now(UTC)
            version = await self._bump(nin, now, opted_out)
            event = opt_out_event(
                nin,
                opted_out,
                version=version,
                now=now,
                prev_hash=await self._last_hash(nin),
                actor=actor,
            )
            await self._write(_INSERT_EVENT, event_row(event))
        return version

    async def history(self, nin: str) -> list[ConsentEvent]:
        check_nin(nin)
        rows = await self._fetch(
            self._reader,
            f"SELECT {_EVENT_COLUMNS} FROM consent_event WHERE nin = ? ORDER BY version DESC",
            (nin,),
        )
        return [event_from_row(row) for row in rows]

    async def verify_history(self, nin: str) -> int | None:
        check_nin(nin)
        rows = await self._fetch(self._reader, _CHAIN, (nin,))
        events = [event_from_row(row) for row in rows if row["event_id"] is not None]
        return first_broken(events, rows[0]["citizen_version"] or 0)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()


async def _connect(path: str) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
    connection.row_factory = sqlite3.Row
    await connection.execute("PRAGMA foreign_keys=ON")
    return connection


async def open_sqlite_store(path: str, purposes: Purposes) -> SqliteConsentStore:
    """Open the consent database at `path`, creating and migrating it first."""
    if not path or path.endswith("/") or path.startswith(":memory:") or path.startswith("file:"):
        # Readers and the writer are separate connections: they must share one file.
        raise ValueError(f"a SQLite consent store needs a file path, not {path!r}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(open_sqlite_file, path)
    reader = await _connect(path)
    try:
        writer = await _connect(path)
    except BaseException:
        await reader.close()
        raise
    return SqliteConsentStore(reader, writer, purposes)
