"""DWP's store: Universal Credit, Personal Independence Payment and State Pension claims.

Amounts are integer pence: Universal Credit a month, PIP and State Pension a
week. Rates are around 2026-27 levels; dates are relative to `REFERENCE_DATE`.
"""

from __future__ import annotations

import calendar
import random
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from strawberry.dataloader import DataLoader

from subgraphs.department import Loaders
from subgraphs.people import REFERENCE_DATE, Person, rng_for
from subgraphs.rights import SCHEMA as RIGHTS_SCHEMA
from subgraphs.store import Row, Store, insert

Values = tuple[Any, ...]

SCHEMA = (
    """
CREATE TABLE citizens (nin TEXT PRIMARY KEY, date_of_birth TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE state_pensions (
    nin TEXT PRIMARY KEY,
    scheme TEXT NOT NULL,
    status TEXT NOT NULL,
    claimed_on TEXT NOT NULL,
    awarded_on TEXT,
    weekly INTEGER
) WITHOUT ROWID;
CREATE TABLE reminder_phones (nin TEXT PRIMARY KEY, phone TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE uc_claims (
    nin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    claimed_on TEXT NOT NULL,
    awarded_on TEXT,
    monthly INTEGER,
    period_starts_on TEXT,
    period_ends_on TEXT,
    review_on TEXT,
    ended_on TEXT,
    PRIMARY KEY (nin, seq)
) WITHOUT ROWID;
CREATE TABLE pip_claims (
    nin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    claimed_on TEXT NOT NULL,
    awarded_on TEXT,
    daily_living TEXT,
    mobility TEXT,
    review_on TEXT,
    ended_on TEXT,
    PRIMARY KEY (nin, seq)
) WITHOUT ROWID;
"""
    + RIGHTS_SCHEMA
)
INDEXES = ""

# Pence a week.
NEW_STATE_PENSION = 24_130
BASIC_STATE_PENSION = 18_490
PIP_DAILY_LIVING = {"STANDARD": 7_670, "ENHANCED": 11_460}
PIP_MOBILITY = {"STANDARD": 3_030, "ENHANCED": 7_995}
# Pence a month.
_UC_STANDARD = {"under_25": 33_858, "25_plus": 42_490}
_UC_FIRST_CHILD = 35_188
_UC_OTHER_CHILD = 30_394
_UC_WORK_ALLOWANCE = {True: 41_100, False: 68_400}  # with and without a housing element
_UC_TAPER = 0.55

# State Pension age rises from 66 to 67 month by month for people born from
# 6 April 1960 to 5 March 1961 (Pensions Act 2014, s.26).
_RISE_FROM = date(1960, 4, 6)
_RISE_TO = date(1961, 3, 6)


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def state_pension_date(born: date) -> date:
    """The day someone born on `born` reaches State Pension age."""
    if born < _RISE_FROM:
        return add_months(born, 66 * 12)
    if born >= _RISE_TO:
        return add_months(born, 67 * 12)
    months = (born.year - 1960) * 12 + born.month - 4 - (born.day < 6)
    return add_months(born, 66 * 12 + months + 1)


def _new_scheme(person: Person) -> bool:
    """The new State Pension is for people reaching State Pension age from 6 April 2016."""
    return person.date_of_birth >= (date(1951, 4, 6) if person.sex == "M" else date(1953, 4, 6))


def _state_pension(person: Person, due: date, rng: random.Random) -> Values | None:
    """A claim for someone who reached State Pension age (on `due`) by REFERENCE_DATE."""
    if due > REFERENCE_DATE or rng.random() < 0.03:  # not yet of age, or deferring
        return None
    new = _new_scheme(person)
    claimed = due - timedelta(days=rng.randint(0, 120))
    if REFERENCE_DATE - due < timedelta(days=42) and rng.random() < 0.5:
        return (person.nin, "NEW" if new else "BASIC", "APPLIED", claimed.isoformat(), None, None)
    if new:
        years = 35 if rng.random() < 0.7 else rng.randint(10, 34)  # qualifying years
        weekly = NEW_STATE_PENSION * years // 35
    else:
        # The basic State Pension plus an additional (earnings-related) State Pension.
        weekly = BASIC_STATE_PENSION * rng.choice((30, 30, 30, 25, 20)) // 30
        weekly += rng.randint(0, 6_000)
    status = "SUSPENDED" if rng.random() < 0.01 else "IN_PAYMENT"
    scheme = "NEW" if new else "BASIC"
    return (person.nin, scheme, status, claimed.isoformat(), due.isoformat(), weekly)


def _period(claimed: date) -> tuple[date, date]:
    """The monthly assessment period, counted from the claim date, that holds REFERENCE_DATE."""
    months = (REFERENCE_DATE.year - claimed.year) * 12 + REFERENCE_DATE.month - claimed.month
    if add_months(claimed, months) > REFERENCE_DATE:
        months -= 1
    return add_months(claimed, months), add_months(claimed, months + 1) - timedelta(days=1)


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _birthday(person: Person, age: int) -> date:
    return add_months(person.date_of_birth, age * 12)


def _uc_award(person: Person, rng: random.Random) -> int:
    housing = rng.random() < 0.65
    award = _UC_STANDARD["25_plus" if person.age >= 25 else "under_25"]
    children = rng.choice((0, 0, 0, 1, 1, 2, 3))
    if children:
        award += _UC_FIRST_CHILD + _UC_OTHER_CHILD * (children - 1)
    if housing:
        award += rng.randint(300, 950) * 100
    if rng.random() < 0.4:  # in work: earnings above the work allowance are tapered
        earnings = rng.randint(200, 1_200) * 100
        award -= round(max(earnings - _UC_WORK_ALLOWANCE[housing], 0) * _UC_TAPER)
    return max(award, 2_500)


def _uc_claims(person: Person, due: date, rng: random.Random) -> list[Values]:
    """Universal Credit for working-age adults: perhaps an ended claim, perhaps a live one."""
    if person.age < 18 or due <= REFERENCE_DATE:
        return []
    if rng.random() >= 0.20:
        return []
    rows: list[Values] = []
    earliest = max(_birthday(person, 18), REFERENCE_DATE - timedelta(days=8 * 365))
    live = rng.random() < 0.8
    if not live or (rng.random() < 0.25 and REFERENCE_DATE - earliest > timedelta(days=400)):
        claimed = _between(rng, earliest, REFERENCE_DATE - timedelta(days=200))
        awarded = claimed + timedelta(days=35)
        ended = _between(rng, awarded + timedelta(days=30), REFERENCE_DATE - timedelta(days=60))
        award = _uc_award(person, rng)
        rows.append(("ENDED", claimed, awarded, award, None, None, None, ended))
        earliest = ended + timedelta(days=30)
    if live:
        claimed = _between(rng, min(earliest, REFERENCE_DATE), REFERENCE_DATE)
        start, end = _period(claimed)
        review = REFERENCE_DATE + timedelta(days=rng.randint(7, 180))
        if REFERENCE_DATE - claimed < timedelta(days=35):  # paid after the first five weeks
            rows.append(("APPLIED", claimed, None, None, start, end, review, None))
        else:
            status = "SUSPENDED" if rng.random() < 0.05 else "IN_PAYMENT"
            award = _uc_award(person, rng)
            awarded = claimed + timedelta(days=35)
            rows.append((status, claimed, awarded, award, start, end, review, None))
    return [
        (person.nin, seq, status, claimed.isoformat(), _iso(awarded), award, *map(_iso, rest))
        for seq, (status, claimed, awarded, award, *rest) in enumerate(rows)
    ]


def _pip_rates(rng: random.Random) -> tuple[str | None, str | None]:
    daily = rng.choices((None, "STANDARD", "ENHANCED"), (15, 40, 45))[0]
    mobility = rng.choices((None, "STANDARD", "ENHANCED"), (30, 30, 40))[0]
    if daily is None and mobility is None:
        return "STANDARD", None
    return daily, mobility


def _pip_claims(person: Person, due: date, rng: random.Random) -> list[Values]:
    """PIP is claimed between 16 and State Pension age; an award can run on after it."""
    age = person.age
    if rng.random() >= (0.05 if age < 30 else 0.09 if age < 50 else 0.14):
        return []
    earliest = max(_birthday(person, 16), date(2013, 4, 8))
    latest = min(REFERENCE_DATE, due - timedelta(days=1))
    if latest < earliest:  # reached State Pension age before PIP began in April 2013
        return []
    rows: list[tuple[Any, ...]] = []
    if rng.random() < 0.2 and latest - earliest > timedelta(days=900):  # an ended award
        claimed = _between(rng, earliest, latest - timedelta(days=900))
        awarded = claimed + timedelta(days=rng.randint(60, 150))
        ended = _between(rng, awarded + timedelta(days=365), latest - timedelta(days=200))
        rows.append(("ENDED", claimed, awarded, *_pip_rates(rng), None, ended))
        earliest = ended + timedelta(days=30)
    claimed = _between(rng, min(earliest, latest), latest)
    if REFERENCE_DATE - claimed < timedelta(days=120):  # assessment not yet decided
        rows.append(("APPLIED", claimed, None, None, None, None, None))
    else:
        awarded = claimed + timedelta(days=rng.randint(60, 150))
        review = awarded + timedelta(days=rng.randint(1, 10) * 365)
        if review <= REFERENCE_DATE:  # the review is under way
            review = REFERENCE_DATE + timedelta(days=rng.randint(14, 365))
        roll = rng.random()
        if roll < 0.04 and REFERENCE_DATE - awarded > timedelta(days=365):  # lost at a review
            ended = _between(rng, awarded + timedelta(days=365), REFERENCE_DATE)
            rows.append(("ENDED", claimed, awarded, *_pip_rates(rng), None, ended))
        else:
            status = "SUSPENDED" if roll < 0.06 else "IN_PAYMENT"
            rows.append((status, claimed, awarded, *_pip_rates(rng), review, None))
    return [
        (
            person.nin,
            seq,
            status,
            claimed.isoformat(),
            _iso(awarded),
            daily,
            mobility,
            *map(_iso, rest),
        )
        for seq, (status, claimed, awarded, daily, mobility, *rest) in enumerate(rows)
    ]


def seed(connection: sqlite3.Connection, people: Iterable[Person], seed: int) -> None:
    citizens: list[Values] = []
    pensions: list[Values] = []
    phones: list[Values] = []
    universal_credit: list[Values] = []
    pip: list[Values] = []
    for person in people:
        rng = rng_for(person, "dwp", seed)
        citizens.append((person.nin, person.date_of_birth.isoformat()))
        due = state_pension_date(person.date_of_birth)
        pension = _state_pension(person, due, rng)
        if pension is not None:
            pensions.append(pension)
        universal_credit.extend(_uc_claims(person, due, rng))
        pip.extend(_pip_claims(person, due, rng))
        if rng.random() < 0.25:
            phones.append((person.nin, person.phone))
    insert(connection, "citizens", citizens)
    insert(connection, "state_pensions", pensions)
    insert(connection, "reminder_phones", phones)
    insert(connection, "uc_claims", universal_credit)
    insert(connection, "pip_claims", pip)


CITIZEN = """
SELECT c.nin, c.date_of_birth, p.scheme, p.status, p.claimed_on, p.awarded_on, p.weekly,
       r.phone AS reminder_phone
FROM citizens c
LEFT JOIN state_pensions p ON p.nin = c.nin
LEFT JOIN reminder_phones r ON r.nin = c.nin
WHERE c.nin IN ({keys})
"""


def _grouped(rows: Sequence[Row], nins: Sequence[str]) -> list[list[Row]]:
    by_nin: dict[str, list[Row]] = {nin: [] for nin in nins}
    for row in rows:
        by_nin[row["nin"]].append(row)
    return [by_nin[nin] for nin in nins]


def loaders(store: Store) -> Loaders:
    async def citizens(nins: Sequence[str]) -> list[Row | None]:
        rows = await store.fetch_by_keys(CITIZEN, nins)
        by_nin = {row["nin"]: row for row in rows}
        return [by_nin.get(nin) for nin in nins]

    async def uc_claims(nins: Sequence[str]) -> list[list[Row]]:
        sql = "SELECT * FROM uc_claims WHERE nin IN ({keys}) ORDER BY nin, seq DESC"
        return _grouped(await store.fetch_by_keys(sql, nins), nins)

    async def pip_claims(nins: Sequence[str]) -> list[list[Row]]:
        sql = "SELECT * FROM pip_claims WHERE nin IN ({keys}) ORDER BY nin, seq DESC"
        return _grouped(await store.fetch_by_keys(sql, nins), nins)

    return {
        "citizen": DataLoader(citizens),
        "uc_claims": DataLoader(uc_claims),
        "pip_claims": DataLoader(pip_claims),
    }
