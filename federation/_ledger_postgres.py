"""The access ledger on PostgreSQL (asyncpg), shared by every gateway replica.

Each batch is one transaction that first locks the single chain-head row
(`SELECT ... FOR UPDATE`), so batches from many processes queue on that row
and the chain stays linear; the head row also saves a scan for the last entry.

`ledger_entry` is partitioned by month on `at` (`PARTITION BY RANGE`); its
primary key is `(sequence, at)` because a partitioned table's unique keys must
include the partition key (uniqueness of `sequence` alone is what the head row
guarantees). A batch creates the partition of any month it is the first to
reach, under the head lock, and also the next month's, so the DDL lock is
rarely taken at a month boundary. Old months can be detached and archived whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation._ledger_chain import (
    FIELDS,
    GENESIS,
    ROW_COLUMNS,
    Batch,
    Checkpoint,
    LedgerEntry,
    Stored,
    VerifyReport,
    chain,
    check_chain,
    checkpoints_due,
    parse_timestamp,
    sign_checkpoint,
)

_CHUNK = 5000

MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "chain head, monthly-partitioned entries, signed checkpoints, append-only triggers",
        (
            """CREATE TABLE ledger_head (
                id smallint PRIMARY KEY CHECK (id = 1),
                sequence bigint NOT NULL,
                hash bytea NOT NULL
            )""",
            "INSERT INTO ledger_head VALUES (1, 0, '\\x" + GENESIS.hex() + "'::bytea)",
            """CREATE TABLE ledger_entry (
                sequence bigint NOT NULL,
                at timestamptz NOT NULL,
                request_id text NOT NULL,
                client_id text NOT NULL,
                organisation text NOT NULL,
                purpose text NOT NULL,
                subject text NOT NULL,
                department text NOT NULL,
                released text[] NOT NULL,
                refused jsonb NOT NULL,
                decision_id text NOT NULL,
                policy_revision text NOT NULL,
                consent_version bigint NOT NULL,
                prev_hash bytea NOT NULL,
                hash bytea NOT NULL,
                PRIMARY KEY (sequence, at)
            ) PARTITION BY RANGE (at)""",
            "CREATE INDEX ledger_entry_subject ON ledger_entry (subject, sequence)",
            """CREATE INDEX ledger_entry_department ON ledger_entry (department, sequence)
                WHERE cardinality(released) > 0""",
            """CREATE TABLE ledger_checkpoint (
                sequence bigint PRIMARY KEY,
                hash bytea NOT NULL,
                at text NOT NULL,
                signature text NOT NULL
            )""",
            """CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the access ledger is append-only'; END $$""",
            *(
                f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"""
                for table in ("ledger_entry", "ledger_checkpoint")
            ),
            *(
                f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"""
                for table in ("ledger_entry", "ledger_checkpoint")
            ),
        ),
    ),
)

_COLUMNS = (
    "sequence, at, request_id, client_id, organisation, purpose, subject, department,"
    " released, refused, decision_id, policy_revision, consent_version, prev_hash, hash"
)
_INSERT_CHECKPOINT = "INSERT INTO ledger_checkpoint VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"


async def migrate(connection: Any) -> list[int]:
    """Apply pending migrations to the first schema on the search path.

    An advisory lock per schema lets several processes start at once.
    """
    async with connection.transaction():
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext('joinedup.ledger:' || current_schema()))"
        )
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS ledger_migrations"
            " (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)"
        )
        done = {row[0] for row in await connection.fetch("SELECT version FROM ledger_migrations")}
        applied = []
        for version, name, statements in MIGRATIONS:
            if version in done:
                continue
            for statement in statements:
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO ledger_migrations VALUES ($1, $2, now())", version, name
            )
            applied.append(version)
    return applied


def _month(at: datetime) -> tuple[int, int]:
    utc = at.astimezone(UTC)
    return utc.year, utc.month


def _next(month: tuple[int, int]) -> tuple[int, int]:
    year, number = month
    return (year + 1, 1) if number == 12 else (year, number + 1)


def partition_name(month: tuple[int, int]) -> str:
    return f"ledger_entry_y{month[0]:04d}m{month[1]:02d}"


async def _create_partition(connection: Any, month: tuple[int, int]) -> None:
    upper = _next(month)
    await connection.execute(
        f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF ledger_entry"
        f" FOR VALUES FROM ('{month[0]:04d}-{month[1]:02d}-01 00:00:00+00')"
        f" TO ('{upper[0]:04d}-{upper[1]:02d}-01 00:00:00+00')"
    )


_AT = FIELDS.index("at")
_RELEASED = FIELDS.index("released")


def _records(rows: Sequence[Stored]) -> list[tuple[Any, ...]]:
    """Rows as COPY takes them: the time as a timestamp, `released` as an array.

    A request's entries share one time and mostly the same `released` (the very
    same string objects), so each distinct one is converted once.
    """
    times: dict[str, datetime] = {}
    arrays: dict[str, list[str]] = {}
    records = []
    for row in rows:
        at = times.get(row[_AT])
        if at is None:
            at = times[row[_AT]] = parse_timestamp(row[_AT])
        released = arrays.get(row[_RELEASED])
        if released is None:
            released = arrays[row[_RELEASED]] = orjson.loads(row[_RELEASED])
        records.append((at, *row[_AT + 1 : _RELEASED], released, *row[_RELEASED + 1 :]))
    return records


def decode(row: Any) -> tuple[int, bytes, bytes, LedgerEntry]:
    """A stored row as (sequence, prev_hash, hash, entry)."""
    sequence = row["sequence"]
    entry = LedgerEntry(
        at=row["at"].astimezone(UTC),
        request_id=row["request_id"],
        client_id=row["client_id"],
        organisation=row["organisation"],
        purpose=row["purpose"],
        subject=row["subject"],
        department=row["department"],
        released=tuple(row["released"]),
        refused=tuple((str(c), str(r)) for c, r in orjson.loads(row["refused"])),
        decision_id=row["decision_id"],
        policy_revision=row["policy_revision"],
        consent_version=row["consent_version"],
        sequence=sequence,
    )
    return sequence, bytes(row["prev_hash"]), bytes(row["hash"]), entry


class PostgresStore:
    """The writing side: one connection, replaced after any failure."""

    def __init__(self, url: str, key: Ed25519PrivateKey, checkpoint_every: int) -> None:
        self._url = url
        self._key = key
        self._every = checkpoint_every
        self._connection: Any = None
        self._months: set[tuple[int, int]] = set()

    async def start(self) -> None:
        connection = await self._connect()
        async with connection.transaction():
            await connection.execute("SELECT sequence FROM ledger_head WHERE id = 1 FOR UPDATE")
            await self._ensure_months(connection, [datetime.now(UTC)])

    async def _connect(self) -> Any:
        if self._connection is None or self._connection.is_closed():
            connection = await asyncpg.connect(self._url)
            try:
                await migrate(connection)
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
        return self._connection

    async def _ensure_months(self, connection: Any, times: Iterable[datetime]) -> None:
        for month in sorted({_month(at) for at in times} - self._months):
            for wanted in (month, _next(month)):
                if wanted not in self._months:
                    await _create_partition(connection, wanted)
                    self._months.add(wanted)

    async def append(self, batch: Batch) -> None:
        try:
            connection = await self._connect()
            async with connection.transaction():
                head = await connection.fetchrow(
                    "SELECT sequence, hash FROM ledger_head WHERE id = 1 FOR UPDATE"
                )
                rows = chain(head["sequence"], bytes(head["hash"]), batch)
                records = _records(rows)
                await self._ensure_months(connection, {r[_AT] for r in records})
                await connection.copy_records_to_table(
                    "ledger_entry", records=records, columns=ROW_COLUMNS
                )
                await connection.execute(
                    "UPDATE ledger_head SET sequence = $1, hash = $2 WHERE id = 1",
                    rows[-1][-3],
                    rows[-1][-1],
                )
                for due, due_hash in checkpoints_due(head["sequence"], rows, self._every):
                    await self._insert_checkpoint(connection, due, due_hash)
        except BaseException:
            await self._discard()
            raise

    async def checkpoint_head(self) -> None:
        try:
            connection = await self._connect()
            async with connection.transaction():
                head = await connection.fetchrow(
                    "SELECT sequence, hash FROM ledger_head WHERE id = 1 FOR SHARE"
                )
                if head["sequence"] > 0:
                    await self._insert_checkpoint(connection, head["sequence"], bytes(head["hash"]))
        except BaseException:
            await self._discard()
            raise

    async def _insert_checkpoint(self, connection: Any, sequence: int, digest: bytes) -> None:
        signed = sign_checkpoint(self._key, sequence, digest)
        await connection.execute(
            _INSERT_CHECKPOINT, signed.sequence, signed.hash, signed.at, signed.signature
        )

    async def _discard(self) -> None:
        """Drop the connection after a failure: the next batch starts on a fresh one."""
        connection, self._connection = self._connection, None
        self._months.clear()  # a rolled-back batch may have created no partition after all
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
            if not connection.is_closed():
                connection.terminate()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


@contextlib.asynccontextmanager
async def _reading(url: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(url)
    try:
        yield connection
    finally:
        await connection.close()


async def verify(url: str, key: Ed25519PublicKey) -> VerifyReport:
    # One snapshot for the checkpoints and the entries.
    async with (
        _reading(url) as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        if await connection.fetchval("SELECT to_regclass('ledger_entry')") is None:
            raise FileNotFoundError("there is no ledger in this database schema")
        rows = await connection.fetch("SELECT * FROM ledger_checkpoint")
        checkpoints = [
            Checkpoint(r["sequence"], bytes(r["hash"]), r["at"], r["signature"]) for r in rows
        ]
        cursor = await connection.cursor(f"SELECT {_COLUMNS} FROM ledger_entry ORDER BY sequence")

        async def chunks() -> AsyncIterator[list[Any]]:
            while rows := await cursor.fetch(_CHUNK):
                yield rows

        return await check_chain(checkpoints, chunks(), decode, key)


async def _select(url: str, where: str, order: str, *args: Any) -> list[LedgerEntry]:
    async with _reading(url) as connection:
        rows = await connection.fetch(
            f"SELECT {_COLUMNS} FROM ledger_entry WHERE {where} ORDER BY {order}"
            f" LIMIT ${len(args)}",
            *args,
        )
    return [decode(row)[3] for row in rows]


async def releases(url: str, department: str, first: int, after: int | None) -> list[LedgerEntry]:
    return await _select(
        url,
        "department = $1 AND cardinality(released) > 0 AND sequence > $2",
        "sequence",
        department,
        after or 0,
        first,
    )


async def newest(url: str, subject: str | None, first: int, after: int | None) -> list[LedgerEntry]:
    before = after if after is not None else 2**63 - 1
    if subject is None:
        return await _select(url, "sequence < $1", "sequence DESC", before, first)
    return await _select(
        url, "subject = $1 AND sequence < $2", "sequence DESC", subject, before, first
    )
