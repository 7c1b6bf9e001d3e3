"""Concurrent changes to one citizen: none lost, no version gaps, the last one wins."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import aiosqlite
import asyncpg

from subgraphs.consent.records import ConsentState
from subgraphs.consent.store import ConsentStore
from tests.consent.conftest import Database

NIN = "AB123456C"
PURPOSE = "blue-badge-eligibility"
PAIRS = 100


async def _pair(store: ConsentStore, i: int) -> None:
    await store.give(NIN, PURPOSE, collection_method="web-portal", actor=f"actor-{i}")
    await store.withdraw(NIN, PURPOSE, actor=f"actor-{i}")


async def _check_final_state(store: ConsentStore, initial: int) -> None:
    consent = (await store.read([NIN]))[NIN]
    assert consent.version == initial + 2 * PAIRS
    history = await store.history(NIN)
    assert [e.version for e in history] == list(range(consent.version, 0, -1))
    assert await store.verify_history(NIN) is None
    last = next(e for e in history if e.purpose == PURPOSE)
    record = consent.records[PURPOSE]
    assert record.state is last.state
    assert record.version == last.version
    assert record.state_changed_at == last.at
    # Every pair's give and withdraw landed exactly once.
    actors = [(e.actor, e.state) for e in history if e.purpose == PURPOSE][: 2 * PAIRS]
    for i in range(PAIRS):
        assert actors.count((f"actor-{i}", ConsentState.GIVEN)) == 1
        assert actors.count((f"actor-{i}", ConsentState.WITHDRAWN)) == 1


async def test_concurrent_pairs_on_one_store(store: ConsentStore) -> None:
    await store.refuse(NIN, "gp-home-readings", actor="citizen")
    await store.set_opted_out(NIN, True, actor="citizen")
    initial = 2
    await asyncio.gather(*(_pair(store, i) for i in range(PAIRS)))
    await _check_final_state(store, initial)
    consent = (await store.read([NIN]))[NIN]
    assert consent.opted_out is True
    assert consent.records["gp-home-readings"].state is ConsentState.REFUSED


async def test_concurrent_pairs_from_two_stores(
    open_store: Callable[[], Awaitable[ConsentStore]],
) -> None:
    first, second = await open_store(), await open_store()
    await first.give(NIN, PURPOSE, collection_method="web-portal", actor="citizen")
    stores = (first, second)
    await asyncio.gather(*(_pair(stores[i % 2], i) for i in range(PAIRS)))
    await _check_final_state(second, 1)
    assert (await first.read([NIN])) == (await second.read([NIN]))


async def test_a_citizens_first_changes_race_to_create_them(
    open_store: Callable[[], Awaitable[ConsentStore]],
) -> None:
    first, second = await open_store(), await open_store()
    purposes = ("blue-badge-eligibility", "gp-home-readings", "council-tax-reduction")
    await asyncio.gather(
        *(
            store.give(NIN, purpose, collection_method="web-portal", actor="citizen")
            for purpose in purposes
            for store in (first, second)
        )
    )
    consent = (await first.read([NIN]))[NIN]
    assert consent.version == 6
    assert set(consent.records) == set(purposes)
    assert await first.verify_history(NIN) is None


@contextlib.asynccontextmanager
async def _citizen_locked(database: Database, nin: str) -> AsyncIterator[None]:
    """Hold the lock a change to `nin` needs, from outside the store."""
    if database.engine == "sqlite":
        async with aiosqlite.connect(database.url.removeprefix("sqlite:///")) as connection:
            await connection.execute("BEGIN IMMEDIATE")
            yield
            await connection.execute("ROLLBACK")
    else:
        connection = await asyncpg.connect(database.url)
        try:
            async with connection.transaction():
                await connection.execute(
                    "SELECT version FROM citizen_consent WHERE nin = $1 FOR UPDATE", nin
                )
                yield
        finally:
            await connection.close()


async def test_a_change_cancelled_while_waiting_leaves_no_trace(
    store: ConsentStore, database: Database
) -> None:
    await store.give(NIN, PURPOSE, collection_method="web-portal", actor="citizen")
    async with _citizen_locked(database, NIN):
        waiting = asyncio.create_task(store.withdraw(NIN, PURPOSE, actor="citizen"))
        await asyncio.sleep(0.2)
        waiting.cancel()
    # On SQLite the cancelled change rolls back once its BEGIN has the lock.
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    record = await store.refuse(NIN, PURPOSE, actor="citizen")
    assert record.version == 2
    assert [e.state for e in await store.history(NIN)] == [
        ConsentState.REFUSED,
        ConsentState.GIVEN,
    ]
    assert await store.verify_history(NIN) is None
