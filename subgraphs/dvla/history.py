"""A synthetic citizen's DVLA history: licence, entitlements, endorsements and vehicles.

Rules followed (GB, 2026): a full car licence from 17 (moped, AM, from 16 on a
provisional licence); car entitlement runs to the 70th birthday, then is
renewed every three years; lorry and bus entitlement is renewed at 45 and every
five years after; a photocard lasts ten years. Endorsements stay on the record
four years from the offence, eleven from conviction for drink-driving. Six
points within two years of passing revoke a new driver's licence (Road Traffic
(New Drivers) Act 1995); twelve within three years disqualify for six months
(totting up); drink-driving disqualifies for at least a year. A vehicle needs
an MOT from its third anniversary. Licences and vehicles in Northern Ireland
are the DVA's, not DVLA's, so people there have no DVLA record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from subgraphs.dvla.numbers import (
    CURRENT_FORMAT_SINCE,
    MARK_LETTERS,
    MEMORY_TAGS,
    driver_number,
    registration_mark,
)
from subgraphs.people import REFERENCE_DATE, Person

TODAY = REFERENCE_DATE
CHECK_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Offence:
    code: str
    description: str
    min_points: int
    max_points: int
    weight: int


OFFENCES: tuple[Offence, ...] = (
    Offence("SP30", "Exceeding statutory speed limit on a public road", 3, 6, 55),
    Offence("SP50", "Exceeding speed limit on a motorway", 3, 6, 8),
    Offence("CU80", "Using a mobile phone while driving", 6, 6, 8),
    Offence("TS10", "Failing to comply with traffic light signals", 3, 3, 6),
    Offence("IN10", "Using a vehicle uninsured against third party risks", 6, 8, 6),
    Offence("CD10", "Driving without due care and attention", 3, 9, 5),
    Offence("MS90", "Failing to give information as to identity of driver", 6, 6, 3),
    Offence("DR10", "Driving with alcohol level above limit", 3, 11, 3),
    Offence("MW10", "Contravention of special roads regulations", 3, 3, 2),
    Offence("PC20", "Contravention of pedestrian crossing regulations", 3, 3, 2),
    Offence("LC20", "Driving otherwise than in accordance with a licence", 3, 6, 2),
)
OFFENCE_BY_CODE = {o.code: o for o in OFFENCES}
_OFFENCE_WEIGHTS = tuple(accumulate(o.weight for o in OFFENCES))

# (make, model, fuels it is sold with, first model year)
MODELS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("Ford", "Fiesta", ("PETROL", "DIESEL"), 2001),
    ("Ford", "Focus", ("PETROL", "DIESEL"), 2001),
    ("Ford", "Kuga", ("PETROL", "DIESEL", "HYBRID_ELECTRIC"), 2008),
    ("Vauxhall", "Corsa", ("PETROL", "DIESEL", "ELECTRIC"), 2001),
    ("Vauxhall", "Astra", ("PETROL", "DIESEL"), 2001),
    ("Volkswagen", "Golf", ("PETROL", "DIESEL", "HYBRID_ELECTRIC"), 2001),
    ("Volkswagen", "Polo", ("PETROL", "DIESEL"), 2001),
    ("Nissan", "Qashqai", ("PETROL", "DIESEL", "HYBRID_ELECTRIC"), 2007),
    ("Nissan", "Leaf", ("ELECTRIC",), 2011),
    ("Toyota", "Yaris", ("PETROL", "HYBRID_ELECTRIC"), 2001),
    ("Toyota", "Corolla", ("PETROL", "HYBRID_ELECTRIC"), 2001),
    ("BMW", "3 Series", ("PETROL", "DIESEL", "HYBRID_ELECTRIC"), 2001),
    ("Mercedes-Benz", "A-Class", ("PETROL", "DIESEL"), 2001),
    ("Audi", "A3", ("PETROL", "DIESEL"), 2001),
    ("Kia", "Sportage", ("PETROL", "DIESEL", "HYBRID_ELECTRIC"), 2004),
    ("Hyundai", "Tucson", ("PETROL", "DIESEL", "HYBRID_ELECTRIC"), 2004),
    ("Tesla", "Model 3", ("ELECTRIC",), 2019),
    ("MG", "ZS", ("PETROL", "ELECTRIC"), 2017),
    ("Mini", "Hatch", ("PETROL", "DIESEL"), 2001),
    ("Honda", "Jazz", ("PETROL", "HYBRID_ELECTRIC"), 2002),
    ("Peugeot", "208", ("PETROL", "DIESEL", "ELECTRIC"), 2012),
    ("Skoda", "Octavia", ("PETROL", "DIESEL"), 2001),
)
COLOURS = ("GREY", "BLACK", "WHITE", "BLUE", "SILVER", "RED", "GREEN", "ORANGE", "BROWN")
_COLOUR_WEIGHTS = tuple(accumulate((24, 20, 17, 14, 12, 8, 2, 2, 1)))

LicenceRow = tuple[str, str, str, str | None, str, str | None, str, str, str]
EntitlementRow = tuple[str, str, str, str, str]
EndorsementRow = tuple[str, str, str, str, int, str]
VehicleRow = tuple[str, str, str, str, str, str, str, str, str | None, str, str]


@dataclass(frozen=True, slots=True)
class History:
    licence: LicenceRow | None
    entitlements: list[EntitlementRow]
    endorsements: list[EndorsementRow]
    vehicles: list[VehicleRow]
    reminder_email: str | None


def add_years(day: date, years: int) -> date:
    """The same date `years` later; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _chance_of_licence(age: int) -> float:
    if age < 17:
        return 0.2
    if age < 20:
        return 0.45
    if age < 25:
        return 0.65
    if age < 70:
        return 0.82
    return 0.72 if age < 80 else 0.5


def _chance_of_provisional(age: int) -> float:
    if age < 17:
        return 1.0
    if age < 18:
        return 0.85
    if age < 21:
        return 0.45
    return 0.25 if age < 25 else 0.05


def _renewed_until(born: date, age: int, every: int, rng: random.Random) -> date:
    """The day before the `age`th birthday, then `every` years from the latest renewal."""
    birthday = add_years(born, age)
    if birthday > TODAY:
        return birthday - timedelta(days=1)
    renewed = _between(rng, max(add_years(TODAY, -every), birthday), TODAY)
    return add_years(renewed, every)


def _endorsements(rng: random.Random, passed: date) -> list[tuple[Offence, date, date, int, date]]:
    draw = rng.random()
    count = 0 if draw < 0.9 else 1 if draw < 0.975 else 2 if draw < 0.995 else 3
    found = []
    for _ in range(count):
        offence = rng.choices(OFFENCES, cum_weights=_OFFENCE_WEIGHTS)[0]
        kept_years = 11 if offence.code.startswith("DR") else 4
        earliest = max(passed, add_years(TODAY, -kept_years) + timedelta(days=200))
        latest = TODAY - timedelta(days=60)
        if earliest > latest:
            continue
        committed = _between(rng, earliest, latest)
        convicted = committed + timedelta(days=rng.randint(14, 50))
        points = offence.min_points
        if rng.random() < 0.2:
            points = rng.randint(offence.min_points, offence.max_points)
        removed = add_years(convicted if kept_years == 11 else committed, kept_years)
        found.append((offence, committed, convicted, points, removed))
    found.sort(key=lambda e: e[1])
    return found


def _full_status(
    passed: date, endorsements: list[tuple[Offence, date, date, int, date]]
) -> tuple[str, date | None]:
    """VALID, REVOKED or DISQUALIFIED (with the end of the ban), from the endorsements."""
    probation_ends = add_years(passed, 2)
    if sum(e[3] for e in endorsements if e[1] < probation_ends) >= 6:
        return "REVOKED", None
    for offence, committed, convicted, _, _ in endorsements:
        if offence.code == "DR10" and add_years(convicted, 1) > TODAY:
            return "DISQUALIFIED", add_years(convicted, 1)
        since = add_years(committed, -3)
        totted = sum(e[3] for e in endorsements if since <= e[1] <= committed)
        ban_ends = convicted + timedelta(days=182)
        if totted >= 12 and ban_ends > TODAY:
            return "DISQUALIFIED", ban_ends
    return "VALID", None


def _licence(
    person: Person, rng: random.Random
) -> tuple[LicenceRow, list[EntitlementRow], list[EndorsementRow]] | None:
    if rng.random() >= _chance_of_licence(person.age):
        return None
    nin = person.nin
    check = rng.choice(CHECK_LETTERS) + rng.choice(CHECK_LETTERS)
    number = driver_number(
        person.family_name, person.given_name, person.sex, person.date_of_birth, check
    )
    car_until = _renewed_until(person.date_of_birth, 70, 3, rng).isoformat()
    entitlements: list[EntitlementRow] = []
    endorsements: list[EndorsementRow] = []
    disqualified_until: date | None = None
    passed: date | None = None
    categories: tuple[str, ...]
    earliest_pass = add_years(person.date_of_birth, 17) + timedelta(days=90)
    too_young = earliest_pass > TODAY - timedelta(days=7)
    if too_young or rng.random() < _chance_of_provisional(person.age):
        status = "PROVISIONAL"
        applied = _between(rng, add_years(person.date_of_birth, 16), TODAY)
        categories = ("AM", "Q") if person.age < 17 else ("A", "AM", "B", "Q")
        entitlements = [(nin, c, "PROVISIONAL", applied.isoformat(), car_until) for c in categories]
        photocard_issued = max(applied, _between(rng, add_years(TODAY, -11), TODAY))
    else:
        # Most pass in their first years of driving age; a few much later.
        span = (min(TODAY, add_years(person.date_of_birth, 60)) - earliest_pass).days
        passed = earliest_pass + timedelta(days=int(rng.triangular(0, max(span, 0), 0)))
        found = _endorsements(rng, passed)
        status, disqualified_until = _full_status(passed, found)
        if status == "VALID" and person.age >= 70 and rng.random() < 0.08:
            status = "EXPIRED"
            car_until = _between(rng, add_years(TODAY, -2), TODAY - timedelta(days=1)).isoformat()
        categories = ("AM", "B", "F", "K", "Q")
        if passed < date(1997, 1, 1):  # grandfather rights from before the 1997 licence rules
            categories += ("BE", "C1", "C1E", "D1", "D1E")
        since_passed = passed.isoformat()
        entitlements = [(nin, c, "FULL", since_passed, car_until) for c in categories]
        extras = rng.random()
        if extras < 0.08:
            got = _between(rng, passed, TODAY - timedelta(days=30)).isoformat()
            entitlements.append((nin, "A", "FULL", got, car_until))
        elif extras < 0.12 and person.age >= 21:
            since = _between(rng, max(passed, add_years(person.date_of_birth, 21)), TODAY)
            until = _renewed_until(person.date_of_birth, 45, 5, rng).isoformat()
            for c in ("C", "CE") if extras < 0.105 else ("D",):
                entitlements.append((nin, c, "FULL", since.isoformat(), until))
        endorsements = [
            (nin, o.code, committed.isoformat(), convicted.isoformat(), points, removed.isoformat())
            for o, committed, convicted, points, removed in found
        ]
        photocard_issued = _between(rng, max(passed, add_years(TODAY, -11)), TODAY)
    photocard_expires = min(add_years(photocard_issued, 10), date.fromisoformat(car_until))
    row: LicenceRow = (
        nin,
        number,
        status,
        passed.isoformat() if passed else None,
        photocard_expires.isoformat(),
        disqualified_until.isoformat() if disqualified_until else None,
        person.address_line,
        person.town,
        person.postcode,
    )
    return row, entitlements, endorsements


def _vehicle(person: Person, rng: random.Random) -> VehicleRow:
    years = rng.triangular(0, 25, 7)
    first = max(CURRENT_FORMAT_SINCE, TODAY - timedelta(days=int(years * 365.25)))
    region, seconds = MEMORY_TAGS.get(person.town, MEMORY_TAGS["London"])
    letters = "".join(rng.choice(MARK_LETTERS) for _ in range(3))
    mark = registration_mark(region + rng.choice(seconds), first, letters)
    make, model, fuels, _ = rng.choice([m for m in MODELS if m[3] <= first.year])
    fuel = rng.choice(fuels)
    colour = rng.choices(COLOURS, cum_weights=_COLOUR_WEIGHTS)[0]
    first_mot = add_years(first, 3)
    if first_mot > TODAY:
        mot_status, mot_due = "NOT_REQUIRED", first_mot
    elif rng.random() < 0.93:
        mot_status, mot_due = "VALID", TODAY + timedelta(days=rng.randint(1, 365))
    else:
        mot_status, mot_due = "EXPIRED", TODAY - timedelta(days=rng.randint(1, 400))
    # No tax without a current MOT: an expired one leaves the vehicle untaxed or off the road.
    tax = rng.random()
    this_month = TODAY.replace(day=1)
    tax_due: date | None
    if mot_status != "EXPIRED" and tax < 0.88:
        tax_status = "TAXED"
        tax_due = (this_month + timedelta(days=31 * rng.randint(1, 12))).replace(day=1)
    elif tax < 0.6 or tax >= 0.96:
        tax_status = "UNTAXED"
        tax_due = (this_month - timedelta(days=rng.randint(1, 180))).replace(day=1)
    else:
        tax_status, tax_due = "SORN", None
    return (
        mark,
        person.nin,
        make,
        model,
        colour,
        fuel,
        first.isoformat(),
        tax_status,
        tax_due.isoformat() if tax_due else None,
        mot_status,
        mot_due.isoformat(),
    )


def history(person: Person, rng: random.Random) -> History:
    """Everything DVLA holds about one person, drawn from the department's own stream."""
    if person.postcode.startswith("BT"):
        return History(None, [], [], [], None)
    found = _licence(person, rng)
    licence, entitlements, endorsements = found if found else (None, [], [])
    status = licence[2] if licence else None
    keeps = {"VALID": 0.72, "DISQUALIFIED": 0.4, "EXPIRED": 0.3, "REVOKED": 0.3}.get(
        status or "", 0.08 if status == "PROVISIONAL" else 0.03
    )
    vehicles: list[VehicleRow] = []
    if rng.random() < keeps:
        vehicles.append(_vehicle(person, rng))
        if rng.random() < 0.18:
            vehicles.append(_vehicle(person, rng))
    reminder = person.email if vehicles and rng.random() < 0.45 else None
    return History(licence, entitlements, endorsements, vehicles, reminder)
