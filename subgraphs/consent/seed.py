"""Realistic consent for the synthetic citizens, written straight into a SQLite consent store.

Each person's choices come from their own random stream (`rng_for(person,
"consent", seed)`), so the same seed gives the same records. Only purposes
that make sense for the person are considered: Pension Credit outreach from
66, Blue Badge mostly for older people, free school meals for parents' ages.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from subgraphs.consent.migrations import migrate_sqlite
from subgraphs.consent.records import (
    GENESIS_HASH,
    ConsentRecord,
    ConsentState,
    Purpose,
    Purposes,
    rfc3339,
    sealed_event,
)
from subgraphs.consent.sqlite import event_row, record_row
from subgraphs.people import REFERENCE_DATE, Person, rng_for

CHUNK = 10_000
ACTOR = "demo-seed"
OPTED_OUT_SHARE = 0.03
GIVEN, WITHDRAWN, REFUSED = 0.55, 0.10, 0.05  # the rest of those asked have no record
EXPIRING_SHARE = 0.3  # of consents given, how many carry an expiry
EXPIRED_SHARE = 0.1  # of those, how many had expired by the reference date

_REFERENCE = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, 9, tzinfo=UTC)


def relevance(purpose: str, age: int) -> float:
    """How likely a person of `age` is to have been asked about `purpose` at all."""
    if purpose == "blue-badge-eligibility":
        return 0.35 if age >= 65 else 0.12 if age >= 50 else 0.03
    if purpose == "pension-credit-outreach":
        return 0.6 if age >= 66 else 0.0
    if purpose == "driving-medical-review":
        return 0.4 if age >= 70 else 0.08 if age >= 17 else 0.0
    if purpose == "free-school-meals":
        return 0.25 if 20 <= age <= 55 else 0.0
    if purpose == "gp-home-readings":
        return 0.5 if age >= 40 else 0.2
    return 0.3


def _moment(rng: random.Random, days_before: tuple[int, int]) -> datetime:
    days = rng.randint(*days_before)
    return _REFERENCE - timedelta(days=days, seconds=rng.randint(0, 36_000))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# One choice: (purpose or None for the opt-out switch, state, at, expires_at).
_Choice = tuple[Purpose | None, ConsentState | None, datetime, datetime | None]


def _choices(person: Person, rng: random.Random, asked: Iterable[Purpose]) -> list[_Choice]:
    """Every change this person made, in the order they made them."""
    made: list[_Choice] = []
    for purpose in asked:
        if rng.random() >= relevance(purpose.purpose_id, person.age):
            continue
        roll = rng.random()
        if roll < GIVEN:
            given_at = _moment(rng, (1, 1_100))
            expires_at = None
            if rng.random() < EXPIRING_SHARE:
                if rng.random() < EXPIRED_SHARE:
                    expires_at = given_at + (_REFERENCE - given_at) * rng.random()
                else:
                    expires_at = _REFERENCE + timedelta(days=rng.randint(30, 730))
            made.append((purpose, ConsentState.GIVEN, given_at, expires_at))
        elif roll < GIVEN + WITHDRAWN:
            given_at = _moment(rng, (60, 1_100))
            withdrawn_at = given_at + timedelta(days=rng.randint(1, 59))
            made.append((purpose, ConsentState.GIVEN, given_at, None))
            made.append((purpose, ConsentState.WITHDRAWN, withdrawn_at, None))
        elif roll < GIVEN + WITHDRAWN + REFUSED:
            made.append((purpose, ConsentState.REFUSED, _moment(rng, (1, 1_100)), None))
    if rng.random() < OPTED_OUT_SHARE:
        made.append((None, None, _moment(rng, (0, 365)), None))
    made.sort(key=lambda choice: choice[2])
    return made


def _citizen_rows(
    person: Person, seed: int, asked: tuple[Purpose, ...]
) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The citizen row (None if they never chose), record rows and event rows of one person."""
    rng = rng_for(person, "consent", seed)
    choices = _choices(person, rng, asked)
    if not choices:
        return None, [], []
    records: dict[str, ConsentRecord] = {}
    events = []
    prev_hash = GENESIS_HASH
    opted_out = False
    for version, (purpose, state, at, expires_at) in enumerate(choices, start=1):
        if purpose is None or state is None:
            opted_out = True
        else:
            current = records.get(purpose.purpose_id)
            records[purpose.purpose_id] = ConsentRecord(
                record_id=current.record_id if current else _uuid(rng),
                nin=person.nin,
                purpose=purpose.purpose_id,
                controllers=purpose.controllers,
                categories=purpose.categories,
                lawful_basis=purpose.lawful_basis,
                collection_method=ACTOR,
                state=state,
                given_at=at
                if state is ConsentState.GIVEN
                else (current.given_at if current else None),
                state_changed_at=at,
                expires_at=expires_at,
                version=version,
            )
        event = sealed_event(
            _uuid(rng),
            person.nin,
            version,
            purpose=None if purpose is None else purpose.purpose_id,
            state=state,
            opted_out=True if purpose is None else None,
            expires_at=expires_at,
            at=at,
            actor=ACTOR,
            prev_hash=prev_hash,
        )
        prev_hash = event.hash
        events.append(event_row(event))
    citizen = (person.nin, len(choices), int(opted_out), rfc3339(choices[-1][2]))
    return citizen, [record_row(r) for r in records.values()], events


def _chunks(people: Iterable[Person]) -> Iterator[list[Person]]:
    iterator = iter(people)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def seed_consents(path: Path, people: Iterable[Person], seed: int, purposes: Purposes) -> None:
    """Replace the consent database at `path` with seeded consents for `people`."""
    asked = tuple(p for p in purposes.values() if p.consent_based)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        migrate_sqlite(connection)
        # Nothing else can see the file yet: trade crash safety for load speed until WAL.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-200000")
        connection.execute("BEGIN")
        for chunk in _chunks(people):
            citizens, records, events = [], [], []
            for person in chunk:
                citizen, person_records, person_events = _citizen_rows(person, seed, asked)
                if citizen is not None:
                    citizens.append(citizen)
                    records.extend(person_records)
                    events.extend(person_events)
            connection.executemany("INSERT INTO citizen_consent VALUES (?, ?, ?, ?)", citizens)
            connection.executemany(
                "INSERT INTO consent_record VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", records
            )
            connection.executemany(
                "INSERT INTO consent_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events
            )
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def citizen_rows(
    person: Person, seed: int, purposes: Purposes
) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows `seed_consents` writes for one person, in SQLite's spelling, for other loaders.

    The citizen row is None when the person never made a choice.
    """
    asked = tuple(p for p in purposes.values() if p.consent_based)
    return _citizen_rows(person, seed, asked)
