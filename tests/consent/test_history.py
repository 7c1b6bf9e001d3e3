"""The hash-chained history: newest first, and any rewrite of it is found."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from subgraphs.consent.records import GENESIS_HASH, ConsentState
from subgraphs.consent.store import ConsentError, ConsentStore
from tests.consent.conftest import Database

NIN = "AB123456C"
OTHER = "CE654321A"


async def _five_changes(store: ConsentStore) -> None:
    await store.give(NIN, "blue-badge-eligibility", collection_method="web-portal", actor="citizen")
    await store.refuse(NIN, "gp-home-readings", actor="gp-practice")
    await store.set_opted_out(NIN, True, actor="citizen")
    await store.withdraw(NIN, "blue-badge-eligibility", actor="council-officer")
    await store.set_opted_out(NIN, False, actor="citizen")
    await store.give(OTHER, "gp-home-readings", collection_method="web-portal", actor="citizen")


async def test_history_is_newest_first_and_chained(store: ConsentStore) -> None:
    await _five_changes(store)
    history = await store.history(NIN)
    assert [e.version for e in history] == [5, 4, 3, 2, 1]
    assert [(e.purpose, e.state, e.opted_out, e.actor) for e in history] == [
        (None, None, False, "citizen"),
        ("blue-badge-eligibility", ConsentState.WITHDRAWN, None, "council-officer"),
        (None, None, True, "citizen"),
        ("gp-home-readings", ConsentState.REFUSED, None, "gp-practice"),
        ("blue-badge-eligibility", ConsentState.GIVEN, None, "citizen"),
    ]
    assert history[-1].prev_hash == GENESIS_HASH
    for newer, older in itertools.pairwise(history):
        assert newer.prev_hash == older.hash
        assert newer.at >= older.at
    assert all(e.digest() == e.hash for e in history)
    assert len({e.event_id for e in history}) == 5
    assert await store.verify_history(NIN) is None
    assert [e.version for e in await store.history(OTHER)] == [1]


async def test_the_event_of_a_consent_given_carries_its_expiry(store: ConsentStore) -> None:
    expires = datetime(2030, 6, 1, tzinfo=UTC)
    await store.give(
        NIN, "gp-home-readings", collection_method="web", actor="c", expires_at=expires
    )
    await store.withdraw(NIN, "gp-home-readings", actor="c")
    withdrawn, given = await store.history(NIN)
    assert (given.expires_at, withdrawn.expires_at) == (expires, None)
    assert await store.verify_history(NIN) is None


async def test_an_edited_entry_is_found(store: ConsentStore, database: Database) -> None:
    await _five_changes(store)
    await database.execute(
        f"UPDATE consent_event SET actor = 'someone-else' WHERE nin = '{NIN}' AND version = 3"
    )
    assert await store.verify_history(NIN) == 3
    assert await store.verify_history(OTHER) is None


async def test_an_edited_entry_with_its_hash_recomputed_is_found_at_the_next(
    store: ConsentStore, database: Database
) -> None:
    await _five_changes(store)
    third = next(e for e in await store.history(NIN) if e.version == 3)
    forged = dataclasses.replace(third, opted_out=False)
    await database.execute(
        f"UPDATE consent_event SET opted_out = {'false' if database.engine == 'postgresql' else 0},"
        f" hash = '{forged.digest()}' WHERE nin = '{NIN}' AND version = 3"
    )
    assert await store.verify_history(NIN) == 4


async def test_a_deleted_entry_is_found(store: ConsentStore, database: Database) -> None:
    await _five_changes(store)
    await database.execute(f"DELETE FROM consent_event WHERE nin = '{NIN}' AND version = 2")
    assert await store.verify_history(NIN) == 2


async def test_a_deleted_latest_entry_is_found(store: ConsentStore, database: Database) -> None:
    await _five_changes(store)
    await database.execute(f"DELETE FROM consent_event WHERE nin = '{NIN}' AND version = 5")
    assert await store.verify_history(NIN) == 5


async def test_reordered_entries_are_found(store: ConsentStore, database: Database) -> None:
    await _five_changes(store)
    for sql in (
        "UPDATE consent_event SET version = -1 WHERE nin = '{nin}' AND version = 3",
        "UPDATE consent_event SET version = 3 WHERE nin = '{nin}' AND version = 4",
        "UPDATE consent_event SET version = 4 WHERE nin = '{nin}' AND version = -1",
    ):
        await database.execute(sql.format(nin=NIN))
    assert [e.version for e in await store.history(NIN)] == [5, 4, 3, 2, 1]
    assert await store.verify_history(NIN) == 3


async def test_a_rewound_citizen_version_is_found(store: ConsentStore, database: Database) -> None:
    await _five_changes(store)
    await database.execute(f"UPDATE citizen_consent SET version = 4 WHERE nin = '{NIN}'")
    assert await store.verify_history(NIN) == 5


async def test_history_of_a_malformed_nin_is_a_clear_error(store: ConsentStore) -> None:
    for ask in (store.history, store.verify_history):
        with pytest.raises(ConsentError) as raised:
            await ask("AB1234")
        assert raised.value.code == "INVALID_NIN"


async def test_changes_that_wait_for_each_other_are_timed_in_version_order(
    open_store: Callable[[], Awaitable[ConsentStore]],
) -> None:
    # Two gateways' changes to one citizen queue for its lock: each is timed when it takes
    # effect, so a later version never carries an earlier time.
    first, second = await open_store(), await open_store()
    nin, purpose = "AB123456C", "blue-badge-eligibility"
    await first.give(nin, purpose, collection_method="web-portal", actor=nin)
    changes = [
        (first, second)[i % 2].give(nin, purpose, collection_method="web-portal", actor=f"a{i}")
        for i in range(16)
    ]
    await asyncio.gather(*changes)
    events = list(reversed(await first.history(nin)))
    assert [e.version for e in events] == list(range(1, 18))
    assert all(older.at <= newer.at for older, newer in itertools.pairwise(events))
