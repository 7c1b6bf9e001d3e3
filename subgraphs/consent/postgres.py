"""The consent store on PostgreSQL (asyncpg pool), for many gateway replicas.

A change locks its citizen's row first (`INSERT ... ON CONFLICT DO UPDATE`
takes the row lock), so concurrent changes to one citizen queue on that
row: none is lost and versions have no gaps. Reads take no locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from subgraphs.consent.migrations import migrate_postgres
from subgraphs.consent.records import (
    GENESIS_HASH,
    CitizenConsent,
    ConsentEvent,
    ConsentRecord,
    ConsentState,
    Purposes,
    first_broken,
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

_RECORD_COLUMNS = (
    "record_id, nin, purpose, controllers, categories, lawful_basis, collection_method,"
    " state, given_at, state_changed_at, expires_at, version"
)
_EVENT_COLUMNS = (
    "event_id, nin, version, purpose, state, opted_out, expires_at, at, actor, prev_hash, hash"
)
# One statement for any number of citizens: the NINs travel as one array.
_READ = """
SELECT c.nin, c.version AS citizen_version, c.opted_out,
       r.record_id, r.purpose, r.controllers, r.categories, r.lawful_basis,
       r.collection_method, r.state, r.given_at, r.state_changed_at, r.expires_at, r.version
FROM citizen_consent AS c
LEFT JOIN consent_record AS r ON r.nin = c.nin AND ($2::text IS NULL OR r.purpose = $2)
WHERE c.nin = ANY($1::text[])
"""
# One change per citizen at a time, across processes: held until the transaction ends.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
_BUMP = """
INSERT INTO citizen_consent AS c (nin, version, opted_out, updated_at) VALUES ($1, 1, false, $2)
ON CONFLICT (nin) DO UPDATE SET version = c.version + 1, updated_at = excluded.updated_at
RETURNING version
"""
_BUMP_OPTED_OUT = """
INSERT INTO citizen_consent AS c (nin, version, opted_out, updated_at) VALUES ($1, 1, $2, $3)
ON CONFLICT (nin) DO UPDATE SET version = c.version + 1, opted_out = excluded.opted_out,
    updated_at = excluded.updated_at
RETURNING version
"""
_CURRENT = f"""
SELECT {_RECORD_COLUMNS},
       (SELECT hash FROM consent_event WHERE nin = $1 ORDER BY version DESC LIMIT 1) AS last_hash
FROM (SELECT $1::text AS k) AS key
LEFT JOIN consent_record ON consent_record.nin = key.k AND consent_record.purpose = $2
"""
_UPSERT_RECORD = f"""
INSERT INTO consent_record ({_RECORD_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (nin, purpose) DO UPDATE SET
    controllers = excluded.controllers, categories = excluded.categories,
    lawful_basis = excluded.lawful_basis, collection_method = excluded.collection_method,
    state = excluded.state, given_at = excluded.given_at,
    state_changed_at = excluded.state_changed_at, expires_at = excluded.expires_at,
    version = excluded.version
"""
_INSERT_EVENT = f"""
INSERT INTO consent_event ({_EVENT_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""
_LAST_HASH = "SELECT hash FROM consent_event WHERE nin = $1 ORDER BY version DESC LIMIT 1"
_HISTORY = f"SELECT {_EVENT_COLUMNS} FROM consent_event WHERE nin = $1 ORDER BY version DESC"
# The chain and the citizen's version in one statement, so one snapshot.
_CHAIN = """
SELECT c.version AS citizen_version, e.event_id, e.nin, e.version, e.purpose, e.state,
       e.opted_out, e.expires_at, e.at, e.actor, e.prev_hash, e.hash
FROM (SELECT $1::text AS nin) AS k
LEFT JOIN citizen_consent AS c ON c.nin = k.nin
LEFT JOIN consent_event AS e ON e.nin = k.nin
ORDER BY e.version
"""


def record_from_row(row: asyncpg.Record) -> ConsentRecord:
    return ConsentRecord(
        record_id=str(row["record_id"]),
        nin=row["nin"],
        purpose=row["purpose"],
        controllers=tuple(row["controllers"]),
        categories=tuple(row["categories"]),
        lawful_basis=row["lawful_basis"],
        collection_method=row["collection_method"],
        state=ConsentState(row["state"]),
        given_at=row["given_at"],
        state_changed_at=row["state_changed_at"],
        expires_at=row["expires_at"],
        version=row["version"],
    )


def record_row(record: ConsentRecord) -> tuple[Any, ...]:
    return (
        record.record_id,
        record.nin,
        record.purpose,
        list(record.controllers),
        list(record.categories),
        record.lawful_basis,
        record.collection_method,
        record.state.value,
        record.given_at,
        record.state_changed_at,
        record.expires_at,
        record.version,
    )


def event_from_row(row: asyncpg.Record) -> ConsentEvent:
    return ConsentEvent(
        event_id=str(row["event_id"]),
        nin=row["nin"],
        version=row["version"],
        purpose=row["purpose"],
        state=None if row["state"] is None else ConsentState(row["state"]),
        opted_out=row["opted_out"],
        expires_at=row["expires_at"],
        at=row["at"],
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
        event.opted_out,
        event.expires_at,
        event.at,
        event.actor,
        event.prev_hash,
        event.hash,
    )


class PostgresConsentStore(StateChanges):
    """`ConsentStore` on PostgreSQL; see `subgraphs.consent.store.ConsentStore`."""

    def __init__(self, pool: asyncpg.Pool, purposes: Purposes) -> None:
        self._pool = pool
        self._purposes = purposes
        self.queries = 0

    async def read(
        self, nins: Sequence[str], purpose: str | None = None
    ) -> dict[str, CitizenConsent]:
        wanted = valid_nins(nins)
        if not wanted:
            return unseen(nins)
        self.queries += 1
        rows = await self._pool.fetch(_READ, wanted, purpose)
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
        async with self._pool.acquire() as connection, connection.transaction():
            self.queries += 5
            now = await _locked_now(connection, nin)
            if state is ConsentState.GIVEN:
                check_give(collection_method or "", expires_at, now)
            version: int = await connection.fetchval(_BUMP, nin, now)
            row = await connection.fetchrow(_CURRENT, nin, purpose)
            current = None if row["record_id"] is None else record_from_row(row)
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
            event = record_event(record, prev_hash=row["last_hash"] or GENESIS_HASH, actor=actor)
            await connection.execute(_UPSERT_RECORD, *record_row(record))
            await connection.execute(_INSERT_EVENT, *event_row(event))
        return record

    async def set_opted_out(self, nin: str, opted_out: bool, *, actor: str) -> int:
        check_opt_out(nin, opted_out, actor)
        async with self._pool.acquire() as connection, connection.transaction():
            self.queries += 4
            now = await _locked_now(connection, nin)
            version: int = await connection.fetchval(_BUMP_OPTED_OUT, nin, opted_out, now)
            prev_hash = await connection.fetchval(_LAST_HASH, nin) or GENESIS_HASH
            event = opt_out_event(
                nin, opted_out, version=version, now=now, prev_hash=prev_hash, actor=actor
            )
            await connection.execute(_INSERT_EVENT, *event_row(event))
        return version

    async def history(self, nin: str) -> list[ConsentEvent]:
        check_nin(nin)
        self.queries += 1
        return [event_from_row(row) for row in await self._pool.fetch(_HISTORY, nin)]

    async def verify_history(self, nin: str) -> int | None:
        check_nin(nin)
        self.queries += 1
        rows = await self._pool.fetch(_CHAIN, nin)
        events = [event_from_row(row) for row in rows if row["event_id"] is not None]
        return first_broken(events, rows[0]["citizen_version"] or 0)

    async def close(self) -> None:
        await self._pool.close()


async def open_postgres_store(url: str, purposes: Purposes) -> PostgresConsentStore:
    """Connect a pool to `url` (its `search_path` query parameter picks the schema) and migrate."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
    try:
        async with pool.acquire() as connection:
            await migrate_postgres(connection)
    except BaseException:
        await pool.close()
        raise
    return PostgresConsentStore(pool, purposes)


async def _locked_now(connection: asyncpg.Connection, nin: str) -> datetime:
    """Lock the citizen's consent for this transaction, then read the clock: a change that
    waited behind another is timed when it takes effect, in version order."""
    await connection.execute(_LOCK, nin)
    return datetime.now(UTC)
