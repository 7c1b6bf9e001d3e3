"""The COPY loader: the same consents as SQLite seeding, deterministic, and a usable store after."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from subgraphs.consent.bulk_postgres import Loaded, NotEmptyError, bulk_load
from subgraphs.consent.postgres import open_postgres_store
from subgraphs.consent.records import Purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.consent.store import open_consent_store
from subgraphs.people import Person, people
from tests.consent.conftest import postgres_schema

CITIZENS = 300
SEED = 11
_DUMPS = {
    "citizen_consent": "SELECT * FROM citizen_consent ORDER BY nin",
    "consent_record": "SELECT * FROM consent_record ORDER BY nin, purpose",
    "consent_event": "SELECT * FROM consent_event ORDER BY nin, version",
}
_KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2
"""
_READY = """
SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema()
  AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL
"""
_INDEXES = """
SELECT tablename, indexname, regexp_replace(indexdef, ' ON \\S+\\.', ' ON ')
FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1, 2
"""


@pytest.fixture(scope="module")
def population() -> list[Person]:
    return list(people(CITIZENS, SEED))


async def _load(url: str, population: Iterable[Person], seed: int, purposes: Purposes) -> Loaded:
    connection = await asyncpg.connect(url)
    try:
        return await bulk_load(connection, population, seed, purposes)
    finally:
        await connection.close()


async def _fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {table: await _fetch(url, sql) for table, sql in _DUMPS.items()}


async def test_reads_agree_with_sqlite_seeding(
    population: list[Person], purposes: Purposes, tmp_path: Path
) -> None:
    path = tmp_path / "consent.db"
    seed_consents(path, population, SEED, purposes)
    # Beyond the population: people never seen, who must read as empty on both.
    nins = [p.nin for p in population] + [p.nin for p in people(CITIZENS + 5, SEED, CITIZENS)]
    async with postgres_schema() as url:
        await _load(url, population, SEED, purposes)
        sqlite = await open_consent_store(f"sqlite:///{path}", purposes)
        postgres = await open_postgres_store(url, purposes)
        try:
            from_postgres = await postgres.read(nins)
            assert from_postgres == await sqlite.read(nins)
            assert sum(1 for c in from_postgres.values() if c.records) > CITIZENS // 4
            for nin in nins[:40]:
                assert await postgres.history(nin) == await sqlite.history(nin)
                assert await postgres.verify_history(nin) is None
        finally:
            await sqlite.close()
            await postgres.close()


async def test_the_counts_are_the_rows_written(
    population: list[Person], purposes: Purposes
) -> None:
    async with postgres_schema() as url:
        loaded = await _load(url, population, SEED, purposes)
        dump = await _dump(url)
        ready = await _fetch(url, _READY)
    assert sorted(row[0] for row in ready) == sorted(_DUMPS)  # vacuumed and analysed
    assert loaded == Loaded(
        len(dump["citizen_consent"]), len(dump["consent_record"]), len(dump["consent_event"])
    )
    assert 0 < loaded.citizens < CITIZENS
    versions = sum(row[1] for row in dump["citizen_consent"])
    assert loaded.events == versions  # one event per version of every citizen


async def test_the_same_seed_loads_the_same_rows(
    population: list[Person], purposes: Purposes
) -> None:
    async with postgres_schema() as first, postgres_schema() as second:
        await _load(first, population, SEED, purposes)
        await _load(second, iter(population), SEED, purposes)
        assert await _dump(first) == await _dump(second)
        async with postgres_schema() as other:
            await _load(other, population, SEED + 1, purposes)
            assert (await _dump(other))["consent_record"] != (await _dump(first))["consent_record"]


async def test_keys_and_indexes_match_a_migrated_store(
    population: list[Person], purposes: Purposes
) -> None:
    async with postgres_schema() as loaded, postgres_schema() as migrated:
        await _load(loaded, population, SEED, purposes)
        await (await open_postgres_store(migrated, purposes)).close()
        assert await _fetch(loaded, _KEYS) == await _fetch(migrated, _KEYS)
        assert await _fetch(loaded, _INDEXES) == await _fetch(migrated, _INDEXES)
        assert len(await _fetch(loaded, _INDEXES)) >= 6


async def test_a_schema_holding_consents_is_refused_and_unchanged(
    population: list[Person], purposes: Purposes
) -> None:
    async with postgres_schema() as url:
        store = await open_postgres_store(url, purposes)
        try:
            await store.give(
                population[0].nin, "gp-home-readings", collection_method="portal", actor="test"
            )
        finally:
            await store.close()
        before = await _dump(url)
        with pytest.raises(NotEmptyError, match="already holds consents"):
            await _load(url, population, SEED, purposes)
        assert await _dump(url) == before
        assert await _fetch(url, _KEYS) != []


async def test_changes_after_a_load_extend_the_seeded_chains(
    population: list[Person], purposes: Purposes
) -> None:
    async with postgres_schema() as url:
        await _load(url, population, SEED, purposes)
        store = await open_postgres_store(url, purposes)
        try:
            before = await store.read([p.nin for p in population])
            nin = next(n for n, c in before.items() if c.version >= 2)
            record = await store.give(
                nin, "gp-home-readings", collection_method="portal", actor="test"
            )
            assert record.version == before[nin].version + 1
            assert await store.verify_history(nin) is None
            with pytest.raises(asyncpg.UniqueViolationError):  # the rebuilt key holds
                await _fetch(url, f"INSERT INTO citizen_consent VALUES ('{nin}', 1, false, now())")
        finally:
            await store.close()


async def test_a_load_that_breaks_a_key_leaves_nothing_behind(
    population: list[Person], purposes: Purposes
) -> None:
    chosen = [p for p in population[:40] if p.age >= 40]  # all likely to have consent
    async with postgres_schema() as url, postgres_schema() as migrated:
        await (await open_postgres_store(migrated, purposes)).close()
        with pytest.raises(asyncpg.UniqueViolationError):
            await _load(url, chosen + chosen[:3], SEED, purposes)
        assert await _dump(url) == {table: [] for table in _DUMPS}
        assert await _fetch(url, _KEYS) == await _fetch(migrated, _KEYS)
        loaded = await _load(url, chosen, SEED, purposes)  # and the schema is still usable
        assert loaded.citizens == len(await _fetch(url, _DUMPS["citizen_consent"])) > 0
