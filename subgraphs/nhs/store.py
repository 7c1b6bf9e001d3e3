"""The NHS store: GP registrations, readings, vaccinations, eye tests and conditions."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from subgraphs.department import Loaders
from subgraphs.nhs import history
from subgraphs.nhs.practices import insert_sql
from subgraphs.people import Person
from subgraphs.rights import SCHEMA as RIGHTS_SCHEMA
from subgraphs.store import Row, Store, insert

SCHEMA = (
    """
CREATE TABLE gp_practices (
    ods_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address_line TEXT NOT NULL,
    town TEXT NOT NULL,
    postcode TEXT NOT NULL,
    district TEXT NOT NULL,
    phone TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX gp_practices_district ON gp_practices (district);
CREATE TABLE citizens (nin TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE patients (
    nin TEXT PRIMARY KEY REFERENCES citizens (nin),
    ods_code TEXT REFERENCES gp_practices (ods_code),
    registered_on TEXT,
    next_of_kin TEXT
) WITHOUT ROWID;
CREATE TABLE blood_pressure_readings (
    id INTEGER PRIMARY KEY,
    nin TEXT NOT NULL REFERENCES citizens (nin),
    taken_at TEXT NOT NULL,
    systolic INTEGER NOT NULL,
    diastolic INTEGER NOT NULL,
    pulse INTEGER,
    source TEXT NOT NULL
);
CREATE TABLE blood_glucose_readings (
    id INTEGER PRIMARY KEY,
    nin TEXT NOT NULL REFERENCES citizens (nin),
    taken_at TEXT NOT NULL,
    mmol_per_l REAL NOT NULL,
    fasting INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE vaccinations (
    id INTEGER PRIMARY KEY,
    nin TEXT NOT NULL REFERENCES citizens (nin),
    given_on TEXT NOT NULL,
    snomed_code TEXT NOT NULL,
    dose INTEGER NOT NULL
);
CREATE TABLE eye_tests (
    id INTEGER PRIMARY KEY,
    nin TEXT NOT NULL REFERENCES citizens (nin),
    tested_on TEXT NOT NULL,
    optometrist TEXT NOT NULL,
    outcome TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE conditions (
    nin TEXT NOT NULL REFERENCES citizens (nin),
    snomed_code TEXT NOT NULL,
    diagnosed_on TEXT NOT NULL,
    PRIMARY KEY (nin, snomed_code)
) WITHOUT ROWID;
"""
    + insert_sql()
    + RIGHTS_SCHEMA
)
INDEXES = """
CREATE INDEX blood_pressure_by_citizen ON blood_pressure_readings (nin, taken_at);
CREATE INDEX blood_glucose_by_citizen ON blood_glucose_readings (nin, taken_at);
CREATE INDEX vaccinations_by_citizen ON vaccinations (nin, given_on);
CREATE INDEX eye_tests_by_citizen ON eye_tests (nin, tested_on);
"""


def seed(connection: sqlite3.Connection, people: Iterable[Person], seed: int) -> None:
    tables: dict[str, history.Rows] = defaultdict(list)
    for person in people:
        history.record(person, seed, tables)
    for table, rows in tables.items():
        insert(connection, table, rows)


CITIZEN = """
SELECT c.nin, p.ods_code, p.registered_on, p.next_of_kin,
       g.name, g.address_line, g.town, g.postcode, g.phone
FROM citizens c
LEFT JOIN patients p ON p.nin = c.nin
LEFT JOIN gp_practices g ON g.ods_code = p.ods_code
WHERE c.nin IN ({keys})
"""


def _latest(table: str) -> str:
    return (
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY nin"
        f" ORDER BY taken_at DESC, id DESC) AS position FROM {table} WHERE nin IN ({{keys}}))"
        " WHERE position <= ? ORDER BY nin, position"
    )


def loaders(store: Store) -> Loaders:
    async def citizens(nins: Sequence[str]) -> list[Row | None]:
        rows = await store.fetch_by_keys(CITIZEN, nins)
        by_nin = {row["nin"]: row for row in rows}
        return [by_nin.get(nin) for nin in nins]

    async def practices(ods_codes: Sequence[str]) -> list[Row | None]:
        rows = await store.fetch_by_keys(
            "SELECT * FROM gp_practices WHERE ods_code IN ({keys})", ods_codes
        )
        by_code = {row["ods_code"]: row for row in rows}
        return [by_code.get(code) for code in ods_codes]

    def latest(table: str) -> Callable[[Sequence[tuple[str, int]]], Any]:
        sql = _latest(table)

        async def load(keys: Sequence[tuple[str, int]]) -> list[list[Row]]:
            """Each (nin, last) key's newest `last` rows, from one query for the batch."""
            nins = list(dict.fromkeys(nin for nin, _ in keys))
            rows = await store.fetch_by_keys(sql, nins, [max(last for _, last in keys)])
            by_nin: dict[str, list[Row]] = defaultdict(list)
            for row in rows:
                by_nin[row["nin"]].append(row)
            return [by_nin[nin][:last] for nin, last in keys]

        return load

    def by_citizen(sql: str) -> Callable[[Sequence[str]], Any]:
        async def load(nins: Sequence[str]) -> list[list[Row]]:
            rows = await store.fetch_by_keys(sql, nins)
            by_nin: dict[str, list[Row]] = defaultdict(list)
            for row in rows:
                by_nin[row["nin"]].append(row)
            return [by_nin[nin] for nin in nins]

        return load

    return {
        "citizen": DataLoader(citizens),
        "practice": DataLoader(practices),
        "blood_pressure": DataLoader(latest("blood_pressure_readings")),
        "blood_glucose": DataLoader(latest("blood_glucose_readings")),
        "vaccinations": DataLoader(
            by_citizen(
                "SELECT * FROM vaccinations WHERE nin IN ({keys}) ORDER BY given_on DESC, id DESC"
            )
        ),
        "eye_tests": DataLoader(
            by_citizen(
                "SELECT * FROM eye_tests WHERE nin IN ({keys}) ORDER BY tested_on DESC, id DESC"
            )
        ),
        "conditions": DataLoader(
            by_citizen(
                "SELECT * FROM conditions WHERE nin IN ({keys}) ORDER BY diagnosed_on, snomed_code"
            )
        ),
    }
