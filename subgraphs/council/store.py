"""The council's store: residents, council tax by household, housing register, Blue Badges.

Council tax belongs to a dwelling: the people sharing a household share one
account (its band, status and instalments), drawn from the household's own
random stream so every member sees the same account whichever seeding chunk
they fall in. Only adults are liable; a home of one adult gets the 25%
single person discount; a home of students alone is exempt (Class N). Northern
Ireland has domestic rates instead of council tax, and its Blue Badges and
social housing are not the council's, so residents there have none of these.
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from strawberry.dataloader import DataLoader

from subgraphs.council.areas import (
    BAND_RATIOS,
    BAND_WEIGHTS,
    annual_charge,
    council_code,
    council_name,
    nation,
)
from subgraphs.department import Loaders
from subgraphs.people import HOUSEHOLD_SIZE, REFERENCE_DATE, Person, person, rng_for
from subgraphs.rights import SCHEMA as RIGHTS_SCHEMA
from subgraphs.store import Row, Store, insert

TENURES = ("OWNER_OCCUPIER", "PRIVATE_RENT", "HOUSING_ASSOCIATION", "COUNCIL_TENANT")
_TENURE_WEIGHTS = (62, 20, 10, 8)
YEAR_STARTS = date(2026, 4, 1)
"""Council tax year 2026-27: ten instalments on the 1st, April to January."""
INSTALMENT_DAYS = tuple(
    date(YEAR_STARTS.year + (m > 12), (m - 1) % 12 + 1, 1) for m in range(4, 14)
)

SCHEMA = (
    """
CREATE TABLE citizens (nin TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE residents (
    nin TEXT PRIMARY KEY,
    household INTEGER NOT NULL,
    council TEXT NOT NULL,
    nation TEXT NOT NULL,
    liable INTEGER NOT NULL,
    tenure TEXT CHECK (tenure IN
        ('OWNER_OCCUPIER', 'PRIVATE_RENT', 'HOUSING_ASSOCIATION', 'COUNCIL_TENANT'))
) WITHOUT ROWID;
CREATE TABLE council_tax (
    household INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    band TEXT NOT NULL,
    status TEXT NOT NULL,
    annual_charge TEXT NOT NULL,
    balance TEXT NOT NULL
);
CREATE TABLE instalments (
    household INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    amount TEXT NOT NULL,
    paid_on TEXT
);
CREATE TABLE housing_register (
    nin TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    band TEXT NOT NULL,
    registered_on TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE blue_badges (
    nin TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    number TEXT,
    applied_on TEXT NOT NULL,
    issued_on TEXT,
    expires_on TEXT
) WITHOUT ROWID;
"""
    + RIGHTS_SCHEMA
)
INDEXES = """
CREATE INDEX residents_household ON residents (household);
CREATE INDEX instalments_household ON instalments (household, due_on);
"""


def _household_rng(household: int, seed: int) -> random.Random:
    return random.Random(f"council/{seed}/{household}")  # str seeds hash the same in any process


def _members(chunk: list[Person], seed: int) -> dict[int, list[Person]]:
    """Each household in the chunk with all its members, also those seeded in other chunks.

    Members are regenerated from their index, so a last household cut short by the
    population size still counts the members it would have had.
    """
    homes: dict[int, dict[int, Person]] = defaultdict(dict)
    for p in chunk:
        homes[p.household][p.index] = p
    for household, found in homes.items():
        for index in range(household * HOUSEHOLD_SIZE, (household + 1) * HOUSEHOLD_SIZE):
            if index not in found:
                found[index] = person(index, seed)
    return {
        household: sorted(found.values(), key=lambda p: p.index)
        for household, found in homes.items()
    }


def _instalments(
    household: int, total_pence: int, missed: int
) -> tuple[list[tuple[int, str, str, str | None]], int]:
    """Ten instalments of the year's charge (the first takes the odd pence); the unpaid sum."""
    each = total_pence // 10
    amounts = [total_pence - 9 * each] + [each] * 9
    due = [d for d in INSTALMENT_DAYS if d <= REFERENCE_DATE]
    unpaid = set(range(len(due) - missed, len(due)))
    rows = []
    balance = 0
    for n, (when, pence) in enumerate(zip(INSTALMENT_DAYS, amounts, strict=True)):
        paid = when.isoformat() if when <= REFERENCE_DATE and n not in unpaid else None
        if when <= REFERENCE_DATE and paid is None:
            balance += pence
        rows.append((household, when.isoformat(), _pounds(pence), paid))
    return rows, balance


def _pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def _account(
    household: int, members: list[Person], seed: int
) -> tuple[tuple[Any, ...], list[tuple[int, str, str, str | None]], str]:
    """The household's council tax account, its instalments, and its tenure."""
    rng = _household_rng(household, seed)
    head = members[0]
    where = nation(head.postcode)
    tenure = rng.choices(TENURES, _TENURE_WEIGHTS)[0]
    bands = tuple(BAND_RATIOS[where])
    band = rng.choices(bands, tuple(BAND_WEIGHTS[b] for b in bands))[0]
    adults = [p for p in members if p.age >= 18]
    students = bool(adults) and all(p.age <= 22 for p in adults) and rng.random() < 0.6
    if not adults or students:
        status = "EXEMPT"
    elif len(adults) == 1:
        status = "SINGLE_PERSON_DISCOUNT"
    else:
        status = "ARREARS" if rng.random() < 0.07 else "PAYING"
    charge = 0 if status == "EXEMPT" else int(annual_charge(where, band) * 100)
    if status == "SINGLE_PERSON_DISCOUNT":
        charge = charge * 3 // 4
    missed = rng.randint(1, 3) if status == "ARREARS" else 0
    instalments, balance = _instalments(household, charge, missed) if charge else ([], 0)
    reference = f"5{(household * 7_919 + seed * 104_729) % 1_000_000_000:09d}"
    account = (household, reference, band, status, _pounds(charge), _pounds(balance))
    return account, instalments, tenure


def _housing_register(p: Person, tenure: str, rng: random.Random) -> tuple[Any, ...] | None:
    chance = {"PRIVATE_RENT": 0.18, "OWNER_OCCUPIER": 0.01}.get(tenure, 0.1)
    if p.age < 18 or rng.random() >= chance:
        return None
    status = rng.choices(("ACTIVE", "SUSPENDED", "OFFER_MADE"), (80, 10, 10))[0]
    band = rng.choices("ABCD", (5, 20, 35, 40))[0]
    registered = REFERENCE_DATE - timedelta(days=int(rng.triangular(7, 8 * 365, 365)))
    return (p.nin, status, band, registered.isoformat())


def _blue_badge(p: Person, council: str, rng: random.Random) -> tuple[Any, ...] | None:
    chance = 0.015 if p.age < 60 else 0.06 if p.age < 75 else 0.14 if p.age < 85 else 0.28
    if rng.random() >= chance:
        return None
    kind = rng.random()
    number = f"{council_code(council)}{(p.index * 7_919 + 13) % 10_000_000:07d}"
    if kind < 0.1:  # an application still being assessed (councils aim for 12 weeks)
        applied = REFERENCE_DATE - timedelta(days=rng.randint(3, 80))
        return (p.nin, "APPLIED", None, applied.isoformat(), None, None)
    if kind < 0.25:
        expired = REFERENCE_DATE - timedelta(days=rng.randint(1, 700))
        issued = expired - timedelta(days=3 * 365)
    else:
        issued = REFERENCE_DATE - timedelta(days=rng.randint(0, 3 * 365 - 1))
        expired = issued + timedelta(days=3 * 365)
    status = "EXPIRED" if expired <= REFERENCE_DATE else "ISSUED"
    applied = issued - timedelta(days=rng.randint(14, 84))
    return (p.nin, status, number, applied.isoformat(), issued.isoformat(), expired.isoformat())


def seed(connection: sqlite3.Connection, people: Iterable[Person], seed: int) -> None:
    chunk = list(people)
    seeded = {p.index for p in chunk}
    residents: list[tuple[Any, ...]] = []
    accounts: list[tuple[Any, ...]] = []
    instalments: list[tuple[Any, ...]] = []
    register: list[tuple[Any, ...]] = []
    badges: list[tuple[Any, ...]] = []
    for household, members in _members(chunk, seed).items():
        head = members[0]
        where = nation(head.postcode)
        council = council_name(head.postcode, head.town)
        if where == "NORTHERN_IRELAND":
            for p in members:
                if p.index in seeded:
                    residents.append((p.nin, household, council, where, 0, None))
            continue
        account, paid, tenure = _account(household, members, seed)
        # A household in two chunks is written by the chunk holding its first member.
        if household * HOUSEHOLD_SIZE in seeded:
            accounts.append(account)
            instalments.extend(paid)
        for p in members:
            if p.index not in seeded:
                continue
            residents.append((p.nin, household, council, where, int(p.age >= 18), tenure))
            rng = rng_for(p, "council", seed)
            for found, rows in (
                (_housing_register(p, tenure, rng), register),
                (_blue_badge(p, council, rng), badges),
            ):
                if found is not None:
                    rows.append(found)
    insert(connection, "citizens", [(p.nin,) for p in chunk])
    insert(connection, "residents", residents)
    insert(connection, "council_tax", accounts)
    insert(connection, "instalments", instalments)
    insert(connection, "housing_register", register)
    insert(connection, "blue_badges", badges)


CITIZENS = """
SELECT c.nin, r.household, r.council, r.nation, r.liable, r.tenure,
       t.reference, t.band, t.status AS tax_status, t.annual_charge, t.balance,
       h.status AS register_status, h.band AS register_band, h.registered_on,
       b.status AS badge_status, b.number AS badge_number, b.applied_on AS badge_applied_on,
       b.issued_on AS badge_issued_on, b.expires_on AS badge_expires_on
FROM citizens c
LEFT JOIN residents r ON r.nin = c.nin
LEFT JOIN council_tax t ON t.household = r.household AND r.liable
LEFT JOIN housing_register h ON h.nin = c.nin
LEFT JOIN blue_badges b ON b.nin = c.nin
WHERE c.nin IN ({keys})
"""


def loaders(store: Store) -> Loaders:
    async def citizens(nins: Sequence[str]) -> list[Row | None]:
        rows = await store.fetch_by_keys(CITIZENS, nins)
        by_nin = {row["nin"]: row for row in rows}
        return [by_nin.get(nin) for nin in nins]

    async def instalments(households: Sequence[int]) -> list[list[Row]]:
        found: dict[int, list[Row]] = {h: [] for h in households}
        rows = await store.fetch_by_keys(
            "SELECT * FROM instalments WHERE household IN ({keys}) ORDER BY household, due_on",
            households,
        )
        for row in rows:
            found[row["household"]].append(row)
        return [found[h] for h in households]

    return {"citizen": DataLoader(citizens), "instalments": DataLoader(instalments)}
