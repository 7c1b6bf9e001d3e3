"""DVLA's store: the driver record (licence, entitlements, endorsements) and vehicle keepers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from subgraphs.department import Loaders
from subgraphs.dvla.history import history
from subgraphs.people import Person, rng_for
from subgraphs.rights import SCHEMA as RIGHTS_SCHEMA
from subgraphs.store import Row, Store, insert

SCHEMA = (
    """
CREATE TABLE citizens (nin TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE licences (
    nin TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('VALID', 'PROVISIONAL', 'REVOKED', 'DISQUALIFIED', 'EXPIRED')),
    passed_on TEXT,
    photocard_expires_on TEXT NOT NULL,
    disqualified_until TEXT,
    address_line TEXT NOT NULL CHECK (length(trim(address_line)) > 0),
    town TEXT NOT NULL,
    postcode TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE entitlements (
    nin TEXT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL
);
CREATE TABLE endorsements (
    nin TEXT NOT NULL,
    offence_code TEXT NOT NULL,
    offence_date TEXT NOT NULL,
    conviction_date TEXT NOT NULL,
    points INTEGER NOT NULL,
    removed_on TEXT NOT NULL
);
CREATE TABLE vehicles (
    registration TEXT NOT NULL,
    nin TEXT NOT NULL,
    make TEXT NOT NULL,
    model TEXT NOT NULL,
    colour TEXT NOT NULL,
    fuel TEXT NOT NULL,
    first_registered TEXT NOT NULL,
    tax_status TEXT NOT NULL,
    tax_due_on TEXT,
    mot_status TEXT NOT NULL,
    mot_due_on TEXT NOT NULL
);
CREATE TABLE reminders (
    nin TEXT PRIMARY KEY,
    email TEXT NOT NULL CHECK (email LIKE '%_@_%')
) WITHOUT ROWID;
"""
    + RIGHTS_SCHEMA
)
INDEXES = """
CREATE INDEX entitlements_nin ON entitlements (nin);
CREATE INDEX endorsements_nin ON endorsements (nin);
CREATE INDEX vehicles_nin ON vehicles (nin, registration);
"""


def seed(connection: sqlite3.Connection, people: Iterable[Person], seed: int) -> None:
    citizens: list[tuple[str]] = []
    licences: list[Sequence[Any]] = []
    entitlements: list[Sequence[Any]] = []
    endorsements: list[Sequence[Any]] = []
    vehicles: list[Sequence[Any]] = []
    reminders: list[tuple[str, str]] = []
    for person in people:
        citizens.append((person.nin,))
        found = history(person, rng_for(person, "dvla", seed))
        if found.licence is not None:
            licences.append(found.licence)
        entitlements.extend(found.entitlements)
        endorsements.extend(found.endorsements)
        vehicles.extend(found.vehicles)
        if found.reminder_email is not None:
            reminders.append((person.nin, found.reminder_email))
    insert(connection, "citizens", citizens)
    insert(connection, "licences", licences)
    insert(connection, "entitlements", entitlements)
    insert(connection, "endorsements", endorsements)
    insert(connection, "vehicles", vehicles)
    insert(connection, "reminders", reminders)


CITIZENS = """
SELECT c.nin, r.email AS reminder_email, l.nin AS licence_nin, l.number, l.status, l.passed_on,
       l.photocard_expires_on, l.disqualified_until, l.address_line, l.town, l.postcode
FROM citizens c
LEFT JOIN licences l ON l.nin = c.nin
LEFT JOIN reminders r ON r.nin = c.nin
WHERE c.nin IN ({keys})
"""


def _by_nin(store: Store, sql: str) -> DataLoader[str, list[Row]]:
    """A loader answering a batch of NINs with one query, a list of rows for each."""

    async def load(nins: Sequence[str]) -> list[list[Row]]:
        found: dict[str, list[Row]] = {nin: [] for nin in nins}
        for row in await store.fetch_by_keys(sql, nins):
            found[row["nin"]].append(row)
        return [found[nin] for nin in nins]

    return DataLoader(load)


def loaders(store: Store) -> Loaders:
    async def citizens(nins: Sequence[str]) -> list[Row | None]:
        rows = await store.fetch_by_keys(CITIZENS, nins)
        by_nin = {row["nin"]: row for row in rows}
        return [by_nin.get(nin) for nin in nins]

    return {
        "citizen": DataLoader(citizens),
        "entitlements": _by_nin(
            store, "SELECT * FROM entitlements WHERE nin IN ({keys}) ORDER BY nin, rowid"
        ),
        "endorsements": _by_nin(
            store,
            "SELECT * FROM endorsements WHERE nin IN ({keys}) ORDER BY nin, offence_date",
        ),
        "vehicles": _by_nin(
            store, "SELECT * FROM vehicles WHERE nin IN ({keys}) ORDER BY nin, first_registered"
        ),
    }
