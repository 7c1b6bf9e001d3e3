"""Seeded demo consents: deterministic, sensible per person, and consistent with their history."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from subgraphs.consent.migrations import MIGRATIONS
from subgraphs.consent.records import ConsentState, Purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.consent.store import open_consent_store
from subgraphs.people import REFERENCE_DATE, Person, people

CITIZENS = 400
SEED = 7


@pytest.fixture(scope="module")
def population() -> list[Person]:
    return list(people(CITIZENS, SEED))


@pytest.fixture(scope="module")
def seeded(
    population: list[Person], purposes: Purposes, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("consent") / "consent.db"
    seed_consents(path, population, SEED, purposes)
    return path


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("citizen_consent", "consent_record", "consent_event")
        }


def test_the_same_seed_gives_the_same_consents(
    seeded: Path, population: list[Person], purposes: Purposes, tmp_path: Path
) -> None:
    again = tmp_path / "again.db"
    seed_consents(again, iter(population), SEED, purposes)
    assert _dump(again) == _dump(seeded)
    other = tmp_path / "other.db"
    seed_consents(other, population, SEED + 1, purposes)
    assert _dump(other)["consent_record"] != _dump(seeded)["consent_record"]


def test_seeding_replaces_an_existing_file(
    seeded: Path, population: list[Person], purposes: Purposes, tmp_path: Path
) -> None:
    path = tmp_path / "consent.db"
    seed_consents(path, population[:50], SEED, purposes)
    seed_consents(path, population, SEED, purposes)
    assert _dump(path) == _dump(seeded)


def test_the_seeded_file_is_in_wal_mode_and_fully_migrated(seeded: Path) -> None:
    with sqlite3.connect(seeded) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        versions = connection.execute("SELECT version FROM schema_migrations").fetchall()
        assert versions == [(m.version,) for m in MIGRATIONS]


def test_only_sensible_consent_based_purposes_are_seeded(
    seeded: Path, population: list[Person], purposes: Purposes
) -> None:
    age = {p.nin: p.age for p in population}
    rows = _dump(seeded)["consent_record"]
    by_purpose = Counter(row[2] for row in rows)
    assert set(by_purpose) <= {p for p, facts in purposes.items() if facts.consent_based}
    assert by_purpose["gp-home-readings"] > 0
    pension = [row[1] for row in rows if row[2] == "pension-credit-outreach"]
    assert pension and all(age[nin] >= 66 for nin in pension)
    badges = [age[row[1]] for row in rows if row[2] == "blue-badge-eligibility"]
    assert sum(a >= 50 for a in badges) > sum(a < 50 for a in badges)
    states = Counter(row[7] for row in rows)
    assert states["given"] > states["withdrawn"] > 0 and states["refused"] > 0
    assert all(row[6] == "demo-seed" for row in rows)


async def test_the_store_reads_what_was_seeded_and_every_history_verifies(
    seeded: Path, population: list[Person], purposes: Purposes
) -> None:
    store = await open_consent_store(f"sqlite:///{seeded}", purposes)
    try:
        nins = [p.nin for p in population]
        found = await store.read(nins)
        dump = _dump(seeded)
        citizens = {row[0]: row for row in dump["citizen_consent"]}
        records = Counter(row[1] for row in dump["consent_record"])
        assert sum(records.values()) == sum(len(c.records) for c in found.values())
        assert 0 < len(citizens) < CITIZENS
        assert any(c.opted_out for c in found.values())
        reference = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, 2, tzinfo=UTC)
        expiries = [
            r.state_at(reference)
            for c in found.values()
            for r in c.records.values()
            if r.expires_at is not None
        ]
        assert ConsentState.EXPIRED in expiries and ConsentState.GIVEN in expiries
        for nin, consent in found.items():
            if nin not in citizens:
                assert consent.version == 0 and not consent.records
                continue
            assert consent.version == citizens[nin][1]
            assert consent.opted_out is bool(citizens[nin][2])
            history = await store.history(nin)
            assert [e.version for e in history] == list(range(consent.version, 0, -1))
            assert await store.verify_history(nin) is None
            for purpose, record in consent.records.items():
                last = next(e for e in history if e.purpose == purpose)
                assert (record.state, record.version, record.state_changed_at) == (
                    last.state,
                    last.version,
                    last.at,
                )
                assert record.controllers == purposes[purpose].controllers
                if record.state is ConsentState.WITHDRAWN:
                    given = next(e for e in history if e.purpose == purpose and e.state == "given")
                    assert record.given_at == given.at < record.state_changed_at
            switches = [e.opted_out for e in history if e.purpose is None]
            assert consent.opted_out is (switches[0] if switches else False)
    finally:
        await store.close()


async def test_a_seeded_store_takes_changes(
    seeded: Path, population: list[Person], purposes: Purposes, tmp_path: Path
) -> None:
    path = tmp_path / "consent.db"
    seed_consents(path, population[:30], SEED, purposes)
    store = await open_consent_store(f"sqlite:///{path}", purposes)
    try:
        found = await store.read([p.nin for p in population[:30]])
        nin, consent = next((n, c) for n, c in found.items() if c.version > 0)
        version = await store.set_opted_out(nin, not consent.opted_out, actor="citizen")
        assert version == consent.version + 1
        assert await store.verify_history(nin) is None
    finally:
        await store.close()
