"""Identity's store: one row per citizen, households by a shared id."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from strawberry.dataloader import DataLoader

from subgraphs.department import Loaders
from subgraphs.people import Person
from subgraphs.rights import SCHEMA as RIGHTS_SCHEMA
from subgraphs.store import Row, Store, insert

SCHEMA = (
    """
CREATE TABLE citizens (
    nin TEXT PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    nhs_number TEXT NOT NULL,
    address_line TEXT NOT NULL,
    town TEXT NOT NULL,
    postcode TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    household INTEGER NOT NULL
) WITHOUT ROWID;
"""
    + RIGHTS_SCHEMA
)
INDEXES = "CREATE INDEX citizens_household ON citizens (household);"


def seed(connection: sqlite3.Connection, people: Iterable[Person], seed: int) -> None:
    del seed  # identity holds only the shared facts, which need no randomness of their own
    insert(
        connection,
        "citizens",
        (
            (
                p.nin,
                p.given_name,
                p.family_name,
                p.date_of_birth.isoformat(),
                p.nhs_number,
                p.address_line,
                p.town,
                p.postcode,
                p.email,
                p.phone,
                p.household,
            )
            for p in people
        ),
    )


def loaders(store: Store) -> Loaders:
    async def citizens(nins: Sequence[str]) -> list[Row | None]:
        rows = await store.fetch_by_keys("SELECT * FROM citizens WHERE nin IN ({keys})", nins)
        by_nin = {row["nin"]: row for row in rows}
        return [by_nin.get(nin) for nin in nins]

    async def households(ids: Sequence[int]) -> list[list[Row]]:
        rows = await store.fetch_by_keys(
            "SELECT * FROM citizens WHERE household IN ({keys}) ORDER BY nin",
            ids,
        )
        members: dict[int, list[Row]] = {i: [] for i in ids}
        for row in rows:
            members[row["household"]].append(row)
        return [members[i] for i in ids]

    return {"citizen": DataLoader(citizens), "household": DataLoader(households)}
