"""HMRC's store: tax codes, PAYE income this tax year, Self Assessment, past income.

Amounts are integer pence. The current tax year is the one holding
`people.REFERENCE_DATE` (2026-27); income history covers completed years.
"""

from __future__ import annotations

import math
import random
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
CREATE TABLE citizens (nin TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE tax_codes (nin TEXT PRIMARY KEY, code TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE self_assessments (
    nin TEXT PRIMARY KEY,
    utr TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    return_tax_year TEXT NOT NULL,
    return_status TEXT NOT NULL,
    return_due_on TEXT NOT NULL,
    return_filed_on TEXT
) WITHOUT ROWID;
CREATE TABLE paperless (
    nin TEXT PRIMARY KEY, email TEXT NOT NULL, opted_in_on TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE paye_incomes (
    nin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payer TEXT NOT NULL,
    paye_reference TEXT NOT NULL,
    tax_code TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT,
    pay_to_date INTEGER NOT NULL,
    tax_to_date INTEGER NOT NULL,
    PRIMARY KEY (nin, seq)
) WITHOUT ROWID;
CREATE TABLE incomes (
    nin TEXT NOT NULL,
    tax_year TEXT NOT NULL,
    employment INTEGER NOT NULL,
    self_employment INTEGER NOT NULL,
    pension INTEGER NOT NULL,
    property INTEGER NOT NULL,
    PRIMARY KEY (nin, tax_year)
) WITHOUT ROWID;
"""
    + RIGHTS_SCHEMA
)
INDEXES = "CREATE UNIQUE INDEX self_assessments_utr ON self_assessments (utr);"

PERSONAL_ALLOWANCE = 12_570  # pounds, frozen since 2021-22; bands below in pounds too
_BASIC_BAND = 37_700
_ADDITIONAL_FROM = 125_140
_TAPER_FROM = 100_000
# Scottish bands above the personal allowance (width in pounds, rate), rounded.
_SCOTTISH_BANDS = ((2_827, 0.19), (12_094, 0.20), (16_171, 0.21), (31_338, 0.42), (50_140, 0.45))
_SCOTTISH_TOP = 0.48
_SCOTTISH_AREAS = ("EH", "G", "AB", "DD")
_WELSH_AREAS = ("CF", "SA")
_NEW_STATE_PENSION_A_YEAR = 12_548  # £241.30 a week, 2026-27

EMPLOYERS: tuple[tuple[str, str], ...] = (
    ("Northgate Logistics Ltd", "120/NL40417"),
    ("Pennine Care Homes Ltd", "475/PC18832"),
    ("Harbour View Hotels plc", "961/HV00213"),
    ("Brightwater Academy Trust", "083/BW55102"),
    ("Castlegate Retail Ltd", "120/CG71926"),
    ("Meridian Software Ltd", "846/MS29940"),
    ("Riverside NHS Foundation Trust", "475/RV10007"),
    ("Ashdown Engineering Ltd", "083/AE33415"),
    ("Fenwick & Hale LLP", "846/FH02288"),
    ("Greenfield Foods Ltd", "120/GF66310"),
    ("Kingsway Bus Company Ltd", "961/KB40021"),
    ("Oakleigh Borough Council", "475/OB00119"),
    ("Summit Construction Ltd", "083/SC91573"),
    ("Lowther Insurance Services Ltd", "846/LI54420"),
    ("Marlow Street Pharmacy Ltd", "120/MP08841"),
    ("Heathfield Primary School", "475/HP23301"),
    ("Calder Valley Dairies Ltd", "083/CV70055"),
    ("Quayside Call Centres Ltd", "961/QC12874"),
    ("Thornbury Veterinary Group Ltd", "846/TV36012"),
    ("Elmstead Security Ltd", "120/ES58214"),
    ("Blackstone Civil Service Agency", "475/BC00801"),
    ("Wrenfield University", "083/WU00042"),
    ("Saltmarsh Cafes Ltd", "961/SC27790"),
    ("Ironbridge Manufacturing Ltd", "846/IM61145"),
)
PENSION_PAYERS: tuple[tuple[str, str], ...] = (
    ("Northern Counties Local Government Pension Fund", "475/NC80001"),
    ("Teachers' Superannuation Scheme", "083/TS80014"),
    ("Health Service Pension Scheme", "475/HS80020"),
    ("Civic Mutual Annuities Ltd", "846/CM80133"),
    ("Lowther Life Pensions Ltd", "846/LL80271"),
    ("Armed Forces Pension Administrator", "961/AF80009"),
    ("Kingsway Group Staff Pension Scheme", "961/KG80345"),
)


def tax_year_start(day: date) -> date:
    """6 April of the tax year that holds `day`."""
    start = date(day.year, 4, 6)
    return start if day >= start else date(day.year - 1, 4, 6)


def tax_year_label(start: date) -> str:
    """`2026-27` for the year starting 6 April 2026."""
    return f"{start.year}-{(start.year + 1) % 100:02d}"


def self_assessment_due_on(year_start: date) -> date:
    """Online returns are due 31 January after the tax year ends."""
    return date(year_start.year + 2, 1, 31)


CURRENT_YEAR = tax_year_start(REFERENCE_DATE)
CURRENT_YEAR_LABEL = tax_year_label(CURRENT_YEAR)

_UTR_WEIGHTS = (6, 7, 8, 9, 10, 5, 4, 3, 2)
_UTR_CHECK = "21987654321"


def utr(nine_digits: int) -> str:
    """A Unique Taxpayer Reference: HMRC's modulus-11 check digit, then the nine digits."""
    digits = f"{nine_digits:09d}"
    total = sum(int(d) * w for d, w in zip(digits, _UTR_WEIGHTS, strict=True))
    return _UTR_CHECK[total % 11] + digits


def is_valid_utr(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and utr(int(value[1:])) == value


def annual_tax(pay: int, allowance: int, scottish: bool) -> int:
    """Income tax in pounds on a year's `pay` with this allowance (negative for K codes)."""
    taxable = max(pay - allowance, 0)
    if not scottish:
        basic = min(taxable, _BASIC_BAND)
        higher = min(max(taxable - _BASIC_BAND, 0), max(_ADDITIONAL_FROM - _BASIC_BAND, 0))
        additional = max(taxable - _ADDITIONAL_FROM, 0)
        return round(basic * 0.20 + higher * 0.40 + additional * 0.45)
    tax = 0.0
    for width, rate in _SCOTTISH_BANDS:
        slice_ = min(taxable, width)
        tax += slice_ * rate
        taxable -= slice_
    return round(tax + taxable * _SCOTTISH_TOP)


def _region(person: Person) -> str:
    area = person.postcode.split(" ")[0].rstrip("0123456789")
    return "S" if area in _SCOTTISH_AREAS else "C" if area in _WELSH_AREAS else ""


def _main_code(rng: random.Random, pay: int, pensioner: bool) -> tuple[str, int]:
    """A plausible tax code for someone's main PAYE income, with the allowance it gives."""
    if pensioner:
        # The State Pension is paid gross, so its tax is collected by shrinking this code.
        left = PERSONAL_ALLOWANCE - _NEW_STATE_PENSION_A_YEAR + rng.randint(-400, 3_000)
        return (f"{left // 10}L", left) if left >= 0 else (f"K{-left // 10}", left)
    if pay > _ADDITIONAL_FROM:
        return "0T", 0
    if pay > _TAPER_FROM:
        left = max(PERSONAL_ALLOWANCE - (pay - _TAPER_FROM) // 2, 0)
        return f"{left // 10}L", left
    roll = rng.random()
    if roll < 0.80:
        return "1257L", PERSONAL_ALLOWANCE
    if roll < 0.83:
        return "1383M", 13_830  # receives the Marriage Allowance
    if roll < 0.86:
        return "1131N", 11_310  # transfers the Marriage Allowance
    if roll < 0.96:
        left = rng.randint(900, 1_250) * 10  # benefits in kind or an underpayment collected
        return f"{left // 10}L", left
    owed = rng.randint(10, 900) * 10
    return f"K{owed // 10}", -owed


def _pay(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    """Lognormally spread pounds a year, the way pay is, within bounds."""
    return min(max(round(median * math.exp(sigma * rng.gauss())), low), high)


@dataclass(frozen=True, slots=True)
class _Profile:
    """Where a person's income comes from, and how much a year in pounds."""

    employed: bool
    left_job: bool
    self_employed: bool
    pensioned: bool
    landlord: bool
    salary: int
    pension: int
    profit: int
    rent: int


def _profile(age: int, rng: random.Random) -> _Profile:
    roll = rng.random()
    if age >= 66:
        employed, self_employed = roll < 0.10, 0.10 <= roll < 0.14
        pensioned = rng.random() < 0.70
    elif age < 18:
        employed, self_employed, pensioned = roll < 0.30, False, False
    else:
        employed = roll < 0.72 or 0.80 <= roll < 0.82
        self_employed = 0.72 <= roll < 0.82
        pensioned = age >= 55 and rng.random() < 0.12
    left_job = not (employed or pensioned) and 18 <= age < 66 and rng.random() < 0.25
    landlord = age >= 25 and rng.random() < 0.06
    if age < 18:
        salary = _pay(rng, 6_000, 0.35, 2_000, 12_000) if employed else 0
    elif employed or left_job:
        salary = _pay(rng, 31_000 if age >= 25 else 22_000, 0.5, 11_000, 260_000)
    else:
        salary = 0
    return _Profile(
        employed=employed,
        left_job=left_job,
        self_employed=self_employed,
        pensioned=pensioned,
        landlord=landlord,
        salary=salary,
        pension=_pay(rng, 8_000, 0.7, 1_000, 60_000) if pensioned else 0,
        profit=_pay(rng, 18_000, 0.8, 1_000, 200_000) if self_employed else 0,
        rent=_pay(rng, 7_000, 0.6, 1_000, 60_000) if landlord else 0,
    )


def _started(rng: random.Random, person: Person, at_most_years: int) -> date:
    """A start date after the person's 16th birthday and at most `at_most_years` ago."""
    adult_days = (REFERENCE_DATE - person.date_of_birth).days - 5_845
    latest = max(min(adult_days, at_most_years * 365), 0)
    return REFERENCE_DATE - timedelta(days=rng.randint(min(14, latest), latest))


def _paye_row(
    person: Person,
    rng: random.Random,
    seq: int,
    kind: str,
    payer: tuple[str, str],
    code: tuple[str, int],
    annual: int,
    started: date,
    ended: date | None = None,
) -> Values:
    """One employment or pension this tax year, with pay and tax to date in pence."""
    region = _region(person)
    first = max(started, CURRENT_YEAR)
    last = min(ended or REFERENCE_DATE, REFERENCE_DATE)
    days = max((last - first).days + 1, 0)
    pay = annual * 100 * days // 365
    text, allowance = code
    if text == "BR":
        tax = pay // 5
    elif text == "D0":
        tax = pay * 2 // 5
    else:
        tax = annual_tax(annual, allowance, region == "S") * 100 * days // 365
        if started > REFERENCE_DATE - timedelta(days=60):
            text += rng.choice(("", "", " M1", " W1"))  # a new starter without a P45
    return (
        person.nin,
        seq,
        kind,
        payer[0],
        payer[1],
        region + text,
        started.isoformat(),
        ended.isoformat() if ended else None,
        pay,
        tax,
    )


def _paye(
    person: Person, age: int, rng: random.Random, p: _Profile
) -> tuple[list[Values], str | None]:
    """This tax year's PAYE employments and pensions, and the main tax code."""
    rows: list[Values] = []
    main: tuple[str, int] | None = None
    if p.pensioned:
        main = _main_code(rng, p.pension, pensioner=age >= 66)
        started = _started(rng, person, 10 if age >= 66 else 5)
        payer = rng.choice(PENSION_PAYERS)
        rows.append(_paye_row(person, rng, len(rows), "PENSION", payer, main, p.pension, started))
    if p.employed or p.left_job:
        if main is None:
            code = main = _main_code(rng, p.salary, pensioner=False)
        else:
            code = ("D0", 0) if p.pension > 50_270 else ("BR", 0)
        ended: date | None = None
        started = _started(rng, person, 15)
        if p.left_job:
            ended = REFERENCE_DATE - timedelta(days=rng.randint(14, 200))
            started = min(started, ended - timedelta(days=30))
        elif age >= 18 and rng.random() < 0.12:  # changed jobs this tax year
            left = REFERENCE_DATE - timedelta(days=rng.randint(40, 200))
            before = min(_started(rng, person, 8), left - timedelta(days=60))
            old = round(p.salary * rng.uniform(0.8, 1.0))
            previous = rng.choice(EMPLOYERS)
            rows.append(
                _paye_row(person, rng, len(rows), "EMPLOYMENT", previous, code, old, before, left)
            )
            started = left + timedelta(days=rng.randint(1, 30))
        employer = rng.choice(EMPLOYERS)
        rows.append(
            _paye_row(
                person, rng, len(rows), "EMPLOYMENT", employer, code, p.salary, started, ended
            )
        )
        if p.employed and rng.random() < 0.04:  # a second job, taxed at the basic rate
            second, side = rng.choice(EMPLOYERS), _pay(rng, 5_000, 0.4, 1_500, 15_000)
            started = _started(rng, person, 5)
            rows.append(
                _paye_row(person, rng, len(rows), "EMPLOYMENT", second, ("BR", 0), side, started)
            )
    return rows, None if main is None else _region(person) + main[0]


def _assessment(person: Person, rng: random.Random, seed: int) -> Values:
    """A Self Assessment registration and the state of its latest return."""
    registered = _started(rng, person, 20)
    year = tax_year_start(registered)
    status, filed = "OUTSTANDING", None
    if year != CURRENT_YEAR:
        year = tax_year_start(CURRENT_YEAR - timedelta(days=1))
        roll = rng.random()
        if roll < 0.03:
            year, status = tax_year_start(year - timedelta(days=1)), "OVERDUE"
        elif roll < 0.55:
            status = "FILED"
            days = rng.randint(0, (REFERENCE_DATE - CURRENT_YEAR).days)
            filed = CURRENT_YEAR + timedelta(days=days)
    return (
        person.nin,
        utr((person.index * 7_919 + seed * 104_729) % 1_000_000_000),
        registered.isoformat(),
        tax_year_label(year),
        status,
        self_assessment_due_on(year).isoformat(),
        filed.isoformat() if filed else None,
    )


# The completed tax years before the current one: (years back, label, pay growth since,
# State Pension then in pence).
_PAST_YEARS = tuple(
    (
        back,
        tax_year_label(date(CURRENT_YEAR.year - back, 4, 6)),
        0.965**back,
        _NEW_STATE_PENSION_A_YEAR * 0.95**back,
    )
    for back in range(1, 6)
)


def _history(nin: str, age: int, rng: random.Random, p: _Profile) -> list[Values]:
    """Income in each of the last three to five completed tax years, in pence."""
    rows: list[Values] = []
    worked = p.employed or p.left_job
    for back, label, since, state_pension in _PAST_YEARS[: rng.randint(3, 5)]:
        if age - back < 16:
            break
        growth = since * (0.92 + 0.13 * rng.random())
        amounts = (
            round(p.salary * growth * 100) if worked and rng.random() < 0.92 else 0,
            round(p.profit * growth * 100),
            round((p.pension * growth + (state_pension if age - back >= 66 else 0)) * 100),
            round(p.rent * growth * 100),
        )
        if any(amounts):
            rows.append((nin, label, *amounts))
    return rows


def seed(connection: sqlite3.Connection, people: Iterable[Person], seed: int) -> None:
    citizens: list[Values] = []
    codes: list[Values] = []
    assessments: list[Values] = []
    paperless: list[Values] = []
    paye: list[Values] = []
    incomes: list[Values] = []
    for person in people:
        rng = rng_for(person, "hmrc", seed)
        age = person.age
        profile = _profile(age, rng)
        citizens.append((person.nin,))
        rows, code = _paye(person, age, rng, profile)
        paye.extend(rows)
        if code is not None:
            codes.append((person.nin, code))
        other = age >= 18 and rng.random() < 0.02  # e.g. the child benefit charge
        if profile.self_employed or profile.landlord or other:
            assessments.append(_assessment(person, rng, seed))
        if rng.random() < 0.35:
            opted = REFERENCE_DATE - timedelta(days=rng.randint(1, 3_000))
            paperless.append((person.nin, person.email, opted.isoformat()))
        incomes.extend(_history(person.nin, age, rng, profile))
    insert(connection, "citizens", citizens)
    insert(connection, "tax_codes", codes)
    insert(connection, "self_assessments", assessments)
    insert(connection, "paperless", paperless)
    insert(connection, "paye_incomes", paye)
    insert(connection, "incomes", incomes)


CITIZEN = """
SELECT c.nin, t.code AS tax_code, p.email AS paperless_email, s.utr, s.registered_on,
       s.return_tax_year, s.return_status, s.return_due_on, s.return_filed_on
FROM citizens c
LEFT JOIN tax_codes t ON t.nin = c.nin
LEFT JOIN paperless p ON p.nin = c.nin
LEFT JOIN self_assessments s ON s.nin = c.nin
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

    async def paye_incomes(nins: Sequence[str]) -> list[list[Row]]:
        sql = "SELECT * FROM paye_incomes WHERE nin IN ({keys}) ORDER BY nin, seq"
        return _grouped(await store.fetch_by_keys(sql, nins), nins)

    async def incomes(nins: Sequence[str]) -> list[list[Row]]:
        sql = "SELECT * FROM incomes WHERE nin IN ({keys}) ORDER BY nin, tax_year DESC"
        return _grouped(await store.fetch_by_keys(sql, nins), nins)

    return {
        "citizen": DataLoader(citizens),
        "paye_incomes": DataLoader(paye_incomes),
        "incomes": DataLoader(incomes),
    }
