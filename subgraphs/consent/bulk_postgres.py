"""Load seeded consents into an empty PostgreSQL consent store fast, with COPY.

The rows are exactly those `subgraphs.consent.seed` writes to SQLite (same
people, same seed, same records and hash chains), converted to PostgreSQL
types. Keys and unique indexes are dropped for the load and built once after
it, the way `pg_restore` does, all in one transaction: a load that fails
(a key that does not hold, say) leaves no consent behind and every key in
place. The tables are vacuumed and analysed afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

import asyncpg
import orjson

from subgraphs.consent.migrations import migrate_postgres
from subgraphs.consent.records import Purposes, parse_rfc3339
from subgraphs.consent.seed import citizen_rows
from subgraphs.people import Person

CHUNK = 10_000
"""People whose rows are built and copied together."""

_TABLES = ("citizen_consent", "consent_record", "consent_event")
_CITIZEN_COLUMNS = ("nin", "version", "opted_out", "updated_at")
_RECORD_COLUMNS = (
    "record_id",
    "nin",
    "purpose",
    "controllers",
    "categories",
    "lawful_basis",
    "collection_method",
    "state",
    "given_at",
    "state_changed_at",
    "expires_at",
    "version",
)
_EVENT_COLUMNS = (
    "event_id",
    "nin",
    "version",
    "purpose",
    "state",
    "opted_out",
    "expires_at",
    "at",
    "actor",
    "prev_hash",
    "hash",
)
# Keys, unique indexes and foreign keys of the loaded tables; checks stay in place.
_KEYS = """
SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, c.contype AS kind,
       pg_get_constraintdef(c.oid) AS definition
FROM pg_constraint AS c
WHERE c.connamespace = current_schema()::regnamespace
  AND c.contype IN ('p', 'u', 'f')
  AND c.conrelid::regclass::text = ANY($1::text[])
ORDER BY c.contype = 'f', c.conname
"""


@dataclass(frozen=True, slots=True)
class Loaded:
    """How many rows a load wrote to each table."""

    citizens: int
    records: int
    events: int


class NotEmptyError(Exception):
    """The target schema already holds consents; nothing was loaded."""


def _time(text: str | None) -> datetime | None:
    return None if text is None else parse_rfc3339(text)


def _citizen(row: tuple[Any, ...]) -> tuple[Any, ...]:
    nin, version, opted_out, updated_at = row
    return nin, version, bool(opted_out), parse_rfc3339(updated_at)


def _record(row: tuple[Any, ...]) -> tuple[Any, ...]:
    (
        rid,
        nin,
        purpose,
        controllers,
        categories,
        basis,
        method,
        state,
        given,
        changed,
        expires,
        v,
    ) = row
    return (
        rid,
        nin,
        purpose,
        orjson.loads(controllers),
        orjson.loads(categories),
        basis,
        method,
        state,
        _time(given),
        parse_rfc3339(changed),
        _time(expires),
        v,
    )


def _event(row: tuple[Any, ...]) -> tuple[Any, ...]:
    (eid, nin, version, purpose, state, opted_out, expires, at, actor, prev_hash, digest) = row
    return (
        eid,
        nin,
        version,
        purpose,
        state,
        None if opted_out is None else bool(opted_out),
        _time(expires),
        parse_rfc3339(at),
        actor,
        prev_hash,
        digest,
    )


_Rows = list[tuple[Any, ...]]


def postgres_rows(
    people: Iterable[Person], seed: int, purposes: Purposes
) -> Iterator[tuple[int, _Rows, _Rows, _Rows]]:
    """Per batch of up to `CHUNK` people: their number, then citizen, record and event rows."""
    iterator = iter(people)
    while chunk := list(islice(iterator, CHUNK)):
        citizens: _Rows = []
        records: _Rows = []
        events: _Rows = []
        for person in chunk:
            citizen, person_records, person_events = citizen_rows(person, seed, purposes)
            if citizen is None:
                continue
            citizens.append(_citizen(citizen))
            records.extend(_record(r) for r in person_records)
            events.extend(_event(e) for e in person_events)
        yield len(chunk), citizens, records, events


async def bulk_load(
    connection: asyncpg.Connection,
    people: Iterable[Person],
    seed: int,
    purposes: Purposes,
    *,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Migrate the first schema on `connection`'s search path and load seeded consents into it.

    Refuses (`NotEmptyError`) a schema that already holds consents. `progress`
    is called with the number of people done after each batch. Keys are built
    after the load, then the tables vacuumed and analysed, ready to query.
    """
    await migrate_postgres(connection)
    async with connection.transaction():
        held = await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM citizen_consent)"
            " OR EXISTS (SELECT 1 FROM consent_record)"
            " OR EXISTS (SELECT 1 FROM consent_event)"
        )
        if held:
            schema = await connection.fetchval("SELECT current_schema()")
            raise NotEmptyError(f"schema {schema!r} already holds consents: load into an empty one")
        await connection.execute("SET LOCAL maintenance_work_mem = '256MB'")
        keys = await connection.fetch(_KEYS, list(_TABLES))
        for key in reversed(keys):  # foreign keys first: they depend on the primary keys
            await connection.execute(f'ALTER TABLE {key["tbl"]} DROP CONSTRAINT "{key["name"]}"')
        done = citizens = records = events = 0
        for count, citizen_batch, record_batch, event_batch in postgres_rows(
            people, seed, purposes
        ):
            await connection.copy_records_to_table(
                "citizen_consent", records=citizen_batch, columns=_CITIZEN_COLUMNS
            )
            await connection.copy_records_to_table(
                "consent_record", records=record_batch, columns=_RECORD_COLUMNS
            )
            await connection.copy_records_to_table(
                "consent_event", records=event_batch, columns=_EVENT_COLUMNS
            )
            citizens += len(citizen_batch)
            records += len(record_batch)
            events += len(event_batch)
            done += count
            if progress is not None:
                progress(done)
        for key in keys:
            await connection.execute(
                f'ALTER TABLE {key["tbl"]} ADD CONSTRAINT "{key["name"]}" {key["definition"]}'
            )
    # VACUUM as well as ANALYZE: it sets the hint bits and visibility map now, so the first
    # reads do not write pages and autovacuum does not start on the new rows mid-benchmark.
    for table in _TABLES:
        await connection.execute(f"VACUUM (ANALYZE) {table}")
    return Loaded(citizens, records, events)
