"""The access ledger in a SQLite file: WAL, `synchronous=FULL`, one writer thread.

A batch is one `BEGIN IMMEDIATE` transaction run whole on the writer's own
thread, so the batch costs one round trip to the thread and one disk sync.
`BEGIN IMMEDIATE` takes the database's write lock before the chain head is
read, so several processes appending to one file still make one linear chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation._ledger_chain import (
    GENESIS,
    ROW_COLUMNS,
    Batch,
    Checkpoint,
    LedgerEntry,
    VerifyReport,
    chain,
    check_chain,
    checkpoints_due,
    parse_timestamp,
    sign_checkpoint,
    timestamp,
)
from joinedup.sqlite import switch_to_wal

_CHUNK = 5000

_APPEND_ONLY = "SELECT RAISE(ABORT, 'the access ledger is append-only')"
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "entries, signed checkpoints, append-only triggers",
        (
            """CREATE TABLE ledger_entry (
                sequence INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                request_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                organisation TEXT NOT NULL,
                purpose TEXT NOT NULL,
                subject TEXT NOT NULL,
                department TEXT NOT NULL,
                released TEXT NOT NULL,
                refused TEXT NOT NULL,
                decision_id TEXT NOT NULL,
                policy_revision TEXT NOT NULL,
                consent_version INTEGER NOT NULL,
                prev_hash BLOB NOT NULL,
                hash BLOB NOT NULL
            )""",
            "CREATE INDEX ledger_entry_subject ON ledger_entry (subject, sequence)",
            """CREATE INDEX ledger_entry_department ON ledger_entry (department, sequence)
                WHERE released <> '[]'""",
            """CREATE TABLE ledger_checkpoint (
                sequence INTEGER PRIMARY KEY,
                hash BLOB NOT NULL,
                at TEXT NOT NULL,
                signature TEXT NOT NULL
            )""",
            *(
                f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table}"
                f" BEGIN {_APPEND_ONLY}; END"
                for table in ("ledger_entry", "ledger_checkpoint")
                for verb in ("update", "delete")
            ),
        ),
    ),
)

_COLUMNS = (
    "sequence, at, request_id, client_id, organisation, purpose, subject, department,"
    " released, refused, decision_id, policy_revision, consent_version, prev_hash, hash"
)
_INSERT = (
    f"INSERT INTO ledger_entry ({', '.join(ROW_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
)
_INSERT_CHECKPOINT = "INSERT OR IGNORE INTO ledger_checkpoint VALUES (?, ?, ?, ?)"
_HEAD = "SELECT sequence, hash FROM ledger_entry ORDER BY sequence DESC LIMIT 1"


def path_of(url: str) -> Path:
    path = url.removeprefix("sqlite:///")
    if not path or path.startswith(":memory:") or path.startswith("file:"):
        raise ValueError(f"the ledger needs a file: {url!r} is not sqlite:///path/to/ledger.db")
    return Path(path)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        if not path.is_file():
            raise FileNotFoundError(f"there is no ledger at {path}")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    switch_to_wal(connection)
    connection.execute("PRAGMA synchronous=FULL")
    return connection


def migrate(connection: sqlite3.Connection) -> list[int]:
    """Apply pending migrations in one write transaction; return the versions applied."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS ledger_migrations"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in connection.execute("SELECT version FROM ledger_migrations")}
        applied = []
        for version, name, statements in MIGRATIONS:
            if version in done:
                continue
            for statement in statements:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO ledger_migrations VALUES (?, ?, ?)",
                (version, name, timestamp(datetime.now(UTC))),
            )
            applied.append(version)
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        raise
    return applied


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        # The original error says more; SQLite rolls back on close anyway.
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")


def decode(row: Sequence[Any]) -> tuple[int, bytes, bytes, LedgerEntry]:
    """A stored row as (sequence, prev_hash, hash, entry)."""
    sequence = row[0]
    entry = LedgerEntry(
        at=parse_timestamp(row[1]),
        request_id=row[2],
        client_id=row[3],
        organisation=row[4],
        purpose=row[5],
        subject=row[6],
        department=row[7],
        released=tuple(orjson.loads(row[8])),
        refused=tuple((str(c), str(r)) for c, r in orjson.loads(row[9])),
        decision_id=row[10],
        policy_revision=row[11],
        consent_version=row[12],
        sequence=sequence,
    )
    # Text that decodes to the same entry in another spelling (another time zone, other
    # spacing) would pass the hash yet read differently in SQL, as the register counts.
    if (
        row[1] != timestamp(entry.at)
        or row[8] != orjson.dumps(list(entry.released)).decode()
        or row[9] != orjson.dumps([list(pair) for pair in entry.refused]).decode()
    ):
        raise ValueError("its stored text is not in the form the ledger writes")
    return sequence, bytes(row[13]), bytes(row[14]), entry


class SqliteStore:
    """The writing side: every call runs on one dedicated thread that owns the connection."""

    def __init__(self, path: Path, key: Ed25519PrivateKey, checkpoint_every: int) -> None:
        self._path = path
        self._key = key
        self._every = checkpoint_every
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="ledger-sqlite")
        self._connection: sqlite3.Connection | None = None

    async def _run(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, partial(function, *args)
        )

    async def start(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = _connect(self._path)
        try:
            migrate(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    async def append(self, batch: Batch) -> None:
        await self._run(self._append, batch)

    def _append(self, batch: Batch) -> None:
        connection = self._writer()
        connection.execute("BEGIN IMMEDIATE")
        try:
            sequence, digest = connection.execute(_HEAD).fetchone() or (0, GENESIS)
            rows = chain(sequence, bytes(digest), batch)
            connection.executemany(_INSERT, rows)
            for due, due_hash in checkpoints_due(sequence, rows, self._every):
                self._insert_checkpoint(connection, due, due_hash)
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise

    async def checkpoint_head(self) -> None:
        await self._run(self._checkpoint_head)

    def _checkpoint_head(self) -> None:
        connection = self._writer()
        connection.execute("BEGIN IMMEDIATE")
        try:
            head = connection.execute(_HEAD).fetchone()
            if head is not None:
                self._insert_checkpoint(connection, head[0], bytes(head[1]))
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise

    def _insert_checkpoint(
        self, connection: sqlite3.Connection, sequence: int, digest: bytes
    ) -> None:
        signed = sign_checkpoint(self._key, sequence, digest)
        connection.execute(
            _INSERT_CHECKPOINT, (signed.sequence, signed.hash, signed.at, signed.signature)
        )

    def _writer(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the SQLite ledger is not open")
        return self._connection

    async def close(self) -> None:
        try:
            if self._connection is not None:
                await self._run(self._connection.close)
                self._connection = None
        finally:
            self._thread.shutdown(wait=True)


async def _chunks(cursor: sqlite3.Cursor) -> AsyncIterator[list[Any]]:
    while rows := await asyncio.to_thread(cursor.fetchmany, _CHUNK):
        yield rows


async def verify(path: Path, key: Ed25519PublicKey) -> VerifyReport:
    connection = await asyncio.to_thread(_connect, path, read_only=True)
    try:
        # One read transaction: the checkpoints and the entries come from one snapshot.
        await asyncio.to_thread(connection.execute, "BEGIN")
        tables = await asyncio.to_thread(
            lambda: connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'ledger_checkpoint'"
            ).fetchone()
        )
        if not tables[0]:
            raise FileNotFoundError(f"there is no ledger in {path}")
        rows = await asyncio.to_thread(
            lambda: connection.execute("SELECT * FROM ledger_checkpoint").fetchall()
        )
        checkpoints = [Checkpoint(r[0], bytes(r[1]), r[2], r[3]) for r in rows]
        cursor = await asyncio.to_thread(
            connection.execute, f"SELECT {_COLUMNS} FROM ledger_entry ORDER BY sequence"
        )
        return await check_chain(checkpoints, _chunks(cursor), decode, key)
    finally:
        await asyncio.to_thread(connection.close)


async def _select(path: Path, where: str, order: str, args: Sequence[Any]) -> list[LedgerEntry]:
    def read() -> list[LedgerEntry]:
        connection = _connect(path, read_only=True)
        try:
            sql = f"SELECT {_COLUMNS} FROM ledger_entry WHERE {where} ORDER BY {order} LIMIT ?"
            return [decode(row)[3] for row in connection.execute(sql, args)]
        finally:
            connection.close()

    return await asyncio.to_thread(read)


async def releases(path: Path, department: str, first: int, after: int | None) -> list[LedgerEntry]:
    return await _select(
        path,
        "department = ? AND released <> '[]' AND sequence > ?",
        "sequence",
        (department, after or 0, first),
    )


async def newest(
    path: Path, subject: str | None, first: int, after: int | None
) -> list[LedgerEntry]:
    before = after if after is not None else 2**63 - 1
    if subject is None:
        return await _select(path, "sequence < ?", "sequence DESC", (before, first))
    return await _select(
        path, "subject = ? AND sequence < ?", "sequence DESC", (subject, before, first)
    )
