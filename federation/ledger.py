"""The access ledger: every release and refusal, durable, append-only and tamper-evident.

The gateway calls `Ledger.record` once per request with all of that request's
entries and answers only after it returns. A background task commits whatever
has queued up as one transaction (group commit): one disk sync serves many
requests, and each request awaits only the batch holding its entries. A
failed commit raises in every request of its batch, so none of them answers.

Storage is a SQLite file (`sqlite:///path/ledger.db`, the embedded default) or
PostgreSQL (`postgresql://...`, shared by every replica). Entries are
hash-chained and periodically checkpointed with an Ed25519 signature; `verify`
recomputes the chain. The rules of the chain are in `_ledger_chain`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from types import TracebackType
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation import _ledger_postgres, _ledger_sqlite
from federation._ledger_chain import Batch, Encoder, LedgerEntry, VerifyReport

__all__ = [
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "VerifyReport",
    "entries_for_subject",
    "latest_entries",
    "open_ledger",
    "releases_for_department",
    "verify",
]

MAX_PENDING = 10_000  # queued record calls before callers wait (back-pressure)
MAX_BATCH = 5_000  # entries per transaction, so one batch never holds the lock for long
MAX_PAGE = 1_000

log = logging.getLogger(__name__)


class LedgerError(Exception):
    """The ledger could not commit (or is closed): the caller must not release anything."""


class _Store(Protocol):
    async def start(self) -> None: ...
    async def append(self, batch: Batch) -> None: ...
    async def checkpoint_head(self) -> None: ...
    async def close(self) -> None: ...


_Pending = tuple[Batch, "asyncio.Future[None]"]


class Ledger:
    """One per gateway process. `commits` counts committed transactions (disk syncs)."""

    def __init__(self, store: _Store, *, max_pending: int = MAX_PENDING) -> None:
        self._store = store
        self._encoder = Encoder()
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue(max_pending)
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.commits = 0
        self.entries_committed = 0

    @property
    def pending(self) -> int:
        """Record calls queued for the next batch (at most `max_pending`)."""
        return self._queue.qsize()

    async def start(self) -> None:
        if self._writer is not None or self._closed:
            raise LedgerError("the ledger has already been started")
        await self._store.start()
        self._writer = asyncio.create_task(self._write_batches(), name="ledger-writer")

    async def record(self, entries: Sequence[LedgerEntry]) -> None:
        """Return once every entry is durably committed; raise `LedgerError` if not.

        When the queue is full the caller waits for room (back-pressure). A caller
        cancelled while waiting for the commit does not withdraw its entries.
        """
        batch = self._encoder.encode(entries)
        writer = self._writer
        if writer is None or self._closed or writer.done():
            raise LedgerError("the ledger is not open")
        if not batch:
            return
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._enqueue((batch, committed), writer)
        if writer.done() and not committed.done():  # queued after the writer's last look
            committed.set_exception(LedgerError("the ledger closed before committing"))
        await committed

    async def _enqueue(self, item: _Pending | None, writer: asyncio.Task[None]) -> None:
        try:
            self._queue.put_nowait(item)
            return
        except asyncio.QueueFull:
            pass
        # Wait for room, unless the writer stops first: then no room will ever come.
        put = asyncio.ensure_future(self._queue.put(item))
        try:
            await asyncio.wait((put, writer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not put.done():
                put.cancel()
        if put.cancelled():
            raise LedgerError("the ledger closed before committing")

    async def close(self) -> None:
        """Commit everything queued, write a checkpoint at the chain head, and close."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._writer is not None:
                if not self._writer.done():
                    await self._enqueue(None, self._writer)
                await self._writer
                await self._store.checkpoint_head()
        finally:
            await self._store.close()

    async def __aenter__(self) -> Ledger:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

    async def _write_batches(self) -> None:
        try:
            while batch := await self._next_batch():
                await self._commit(batch)
        finally:
            # Whatever is still queued (raced with close, or the writer was cancelled).
            while not self._queue.empty():
                leftover = self._queue.get_nowait()
                if leftover is not None and not leftover[1].done():
                    leftover[1].set_exception(LedgerError("the ledger closed before committing"))

    async def _next_batch(self) -> list[_Pending]:
        """Everything queued, up to `MAX_BATCH` entries; empty once the ledger is closing."""
        item = await self._queue.get()
        if item is None:
            return []
        batch = [item]
        size = len(item[0])
        while size < MAX_BATCH and not self._queue.empty():
            following = self._queue.get_nowait()
            if following is None:
                self._queue.put_nowait(None)  # room is certain: one was just taken
                break
            batch.append(following)
            size += len(following[0])
        return batch

    async def _commit(self, batch: list[_Pending]) -> None:
        entries = Batch()
        for encoded, _ in batch:
            entries.extend(encoded)
        try:
            await self._store.append(entries)
        except BaseException as error:
            log.error("ledger commit failed, %d requests refused: %r", len(batch), error)
            failure = LedgerError(f"the access ledger could not commit: {error}")
            failure.__cause__ = error
            for _, committed in batch:
                if not committed.done():  # a cancelled caller no longer waits
                    committed.set_exception(failure)
            if not isinstance(error, Exception):
                raise
            return
        self.commits += 1
        self.entries_committed += len(entries)
        for _, committed in batch:
            if not committed.done():
                committed.set_result(None)


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _check_url(url: str) -> None:
    if not (url.startswith("sqlite:///") or _is_postgres(url)):
        raise ValueError(f"unsupported ledger URL {url!r}: use sqlite:///path or postgresql://")


async def open_ledger(
    url: str,
    signing_key: Ed25519PrivateKey,
    *,
    checkpoint_every: int = 1000,
    max_pending: int = MAX_PENDING,
) -> Ledger:
    """Open (creating and migrating) the ledger at `url` and start its writer.

    `max_pending` bounds the record calls queued while a batch commits.
    """
    _check_url(url)
    if isinstance(checkpoint_every, bool) or not (
        isinstance(checkpoint_every, int) and checkpoint_every >= 1
    ):
        raise ValueError("checkpoint_every must be a positive integer")
    if isinstance(max_pending, bool) or not (isinstance(max_pending, int) and max_pending >= 1):
        raise ValueError("max_pending must be a positive integer")
    store: _Store
    if _is_postgres(url):
        store = _ledger_postgres.PostgresStore(url, signing_key, checkpoint_every)
    else:
        store = _ledger_sqlite.SqliteStore(
            _ledger_sqlite.path_of(url), signing_key, checkpoint_every
        )
    ledger = Ledger(store, max_pending=max_pending)
    try:
        await ledger.start()
    except BaseException:
        await store.close()
        raise
    return ledger


async def verify(url: str, public_key: Ed25519PublicKey) -> VerifyReport:
    """Recompute the whole chain and check every checkpoint (`FileNotFoundError` if none)."""
    _check_url(url)
    if _is_postgres(url):
        return await _ledger_postgres.verify(url, public_key)
    return await _ledger_sqlite.verify(_ledger_sqlite.path_of(url), public_key)


def _check_page(first: int, after: int | None) -> None:
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_PAGE:
        raise ValueError(f"first must be between 1 and {MAX_PAGE}")
    if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
        raise ValueError("after must be a non-negative sequence number")


async def releases_for_department(
    url: str, department: str, *, first: int, after: int | None = None
) -> list[LedgerEntry]:
    """Entries that released `department`'s fields, oldest first after sequence `after`.

    Refusals are left out: they say nothing about the department's own data and
    their reasons (a withdrawn consent) belong to the citizen.
    """
    _check_url(url)
    _check_page(first, after)
    if _is_postgres(url):
        found = await _ledger_postgres.releases(url, department, first, after)
    else:
        found = await _ledger_sqlite.releases(_ledger_sqlite.path_of(url), department, first, after)
    return [_without_refusals(entry) for entry in found]


def _without_refusals(entry: LedgerEntry) -> LedgerEntry:
    return replace(entry, refused=())


async def entries_for_subject(
    url: str, nin: str, *, first: int, after: int | None = None
) -> list[LedgerEntry]:
    """Every entry about citizen `nin`, newest first, before sequence `after`."""
    _check_url(url)
    _check_page(first, after)
    if not nin:
        raise ValueError("a subject's NIN is required")
    return await _newest(url, nin, first, after)


async def latest_entries(url: str, *, first: int, after: int | None = None) -> list[LedgerEntry]:
    """The newest entries of the whole ledger, before sequence `after`."""
    _check_url(url)
    _check_page(first, after)
    return await _newest(url, None, first, after)


async def _newest(
    url: str, subject: str | None, first: int, after: int | None
) -> list[LedgerEntry]:
    if _is_postgres(url):
        return await _ledger_postgres.newest(url, subject, first, after)
    return await _ledger_sqlite.newest(_ledger_sqlite.path_of(url), subject, first, after)
