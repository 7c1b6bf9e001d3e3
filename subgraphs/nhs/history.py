"""Synthetic NHS histories: registrations, conditions, readings, vaccinations, eye tests.

Every history is drawn from the person's own NHS random stream and is dated
relative to `REFERENCE_DATE`, so a seed gives the same records on any day.
Prevalences and schedules follow the UK's: hypertension in four in ten people
over 60, flu vaccines for the over-65s and clinical risk groups, RSV for the
75 to 79s since September 2024, and so on.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from subgraphs.nhs import codes
from subgraphs.nhs.practices import BY_DISTRICT
from subgraphs.people import (
    FIRST_NAMES_FEMALE,
    FIRST_NAMES_MALE,
    LAST_NAMES,
    REFERENCE_DATE,
    Person,
    rng_for,
)

Rows = list[tuple[Any, ...]]

CLINIC, HOME_DEVICE, CITIZEN_SUBMITTED = "CLINIC", "HOME_DEVICE", "CITIZEN_SUBMITTED"

_REF = REFERENCE_DATE.toordinal()
_READINGS_FROM = date(2024, 1, 1).toordinal()
_AT_RISK = frozenset(
    {
        codes.TYPE_1_DIABETES.code,
        codes.TYPE_2_DIABETES.code,
        codes.ASTHMA.code,
        codes.COPD.code,
        codes.CHRONIC_KIDNEY_DISEASE.code,
        codes.HEART_FAILURE.code,
        codes.ISCHAEMIC_HEART_DISEASE.code,
    }
)
_OPTOMETRISTS = (
    "High Street Opticians",
    "Clearview Eyecare",
    "Town Centre Optometrists",
    "Focus Opticians",
    "Vision Care Optometrists",
    "Bright Eyes Optometry",
    "Lens & Frame Opticians",
    "Community Eye Clinic",
)
_EYE_RESULTS = {
    "NO_CHANGE": (
        "Healthy eyes; no change in prescription.",
        "Eyes healthy; current glasses still suitable.",
        "No change; retest in two years.",
    ),
    "NEW_PRESCRIPTION": (
        "Healthy eyes; new prescription for distance glasses.",
        "Reading prescription strengthened; eyes otherwise healthy.",
        "Mild myopia progression; new prescription issued.",
        "Astigmatism correction updated; eyes healthy.",
    ),
    "REFERRED": (
        "Early cataract in the right eye; referred to GP.",
        "Raised eye pressure; referred to the hospital eye service for glaucoma assessment.",
        "Signs of macular change; referred to the hospital eye service.",
    ),
}
_RETINOPATHY = "Background diabetic retinopathy; referred to the diabetic eye screening service."
_KIN_YOUNG = ("mother", "father")
_KIN_ADULT = ("spouse", "partner", "sister", "brother", "mother", "father", "friend")
_KIN_OLDER = ("spouse", "daughter", "son", "partner", "sister", "brother")


_SPAN = _REF - _READINGS_FROM
# Readings' days and times as text, built once: formatting per row dominated seeding.
_READING_DAYS = tuple(date.fromordinal(_READINGS_FROM + n).isoformat() for n in range(_SPAN))
_CLOCK = tuple(f"T{m // 60:02d}:{m % 60:02d}:00+00:00" for m in range(24 * 60))


def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _between(rng: random.Random, low: int, high: int) -> int:
    """Like `rng.randint(low, high)`, at a fraction of its cost."""
    return low + int(rng.random() * (high - low + 1))


def _reading_at(rng: random.Random, first_minute: int, last_minute: int) -> str:
    """A time on a day in the readings window, between two minutes of the day."""
    day = _READING_DAYS[int(rng.random() * _SPAN)]
    return day + _CLOCK[_between(rng, first_minute, last_minute)]


def _normal(rng: random.Random, mean: float, sd: float) -> float:
    """Near-normal (a sum of four uniforms): no outliers past 3.5 sd, three times faster."""
    r = rng.random
    return mean + (r() + r() + r() + r() - 2.0) * 1.7320508 * sd


def _birthday(person: Person, years: int, days: int = 0) -> int:
    """The ordinal `years` after birth (29 February treated as the 28th), plus `days`."""
    born = person.date_of_birth
    leap_day = (born.month, born.day) == (2, 29)
    return date(born.year + years, born.month, 28 if leap_day else born.day).toordinal() + days


def _conditions(p: Person, age: int, rng: random.Random) -> dict[str, int]:
    """Long-term conditions (code → diagnosis ordinal), at roughly UK prevalence by age."""
    chances: list[tuple[codes.Concept, float, int]] = [
        (codes.ASTHMA, 0.09, 4),
        (codes.DEPRESSION, 0.11, 14),
        (codes.HYPOTHYROIDISM, 0.05 if p.sex == "F" else 0.01, 20),
        (
            codes.HYPERTENSION,
            0.03 if age < 40 else 0.15 if age < 60 else 0.40 if age < 80 else 0.55,
            25,
        ),
    ]
    if rng.random() < 0.005:
        chances.append((codes.TYPE_1_DIABETES, 1.0, 5))
    else:
        diabetes = 0.015 if age < 40 else 0.07 if age < 60 else 0.15
        chances.append((codes.TYPE_2_DIABETES, diabetes, 30))
    if age >= 40:
        chances.append((codes.COPD, 0.02 if age < 60 else 0.06, 40))
        chances.append((codes.OSTEOARTHRITIS, 0.05 if age < 50 else 0.18, 40))
    if age >= 55:
        chances.append((codes.ATRIAL_FIBRILLATION, 0.03 if age < 75 else 0.10, 55))
        chances.append((codes.CHRONIC_KIDNEY_DISEASE, 0.05 if age < 75 else 0.15, 55))
        chances.append((codes.ISCHAEMIC_HEART_DISEASE, 0.07 if p.sex == "M" else 0.04, 50))
    if age >= 65:
        chances.append((codes.HEART_FAILURE, 0.03 if age < 80 else 0.07, 60))
    found: dict[str, int] = {}
    for concept, chance, onset in chances:
        if rng.random() < chance and age > onset:
            earliest = max(_birthday(p, onset), _REF - 40 * 365)
            found[concept.code] = _between(rng, earliest, _REF - 14)
    return found


def _blood_pressure(
    nin: str, age: int, rng: random.Random, conditions: dict[str, int]
) -> list[tuple[Any, ...]]:
    hypertensive = codes.HYPERTENSION.code in conditions
    plan: list[tuple[str, int]] = []
    if hypertensive:
        plan.append((CLINIC, _between(rng, 3, 8)))
        if rng.random() < 0.4:
            plan.append((HOME_DEVICE, _between(rng, 10, 40)))
        if rng.random() < 0.1:
            plan.append((CITIZEN_SUBMITTED, _between(rng, 2, 10)))
    elif rng.random() < (0.45 if age >= 40 else 0.15):
        plan.append((CLINIC, 1))
    if not plan:
        return []
    systolic = _normal(rng, 112 + max(0, age - 30) * 0.45, 7)
    diastolic = _normal(rng, 72 + max(0, min(age, 60) - 30) * 0.25, 5)
    if hypertensive:
        systolic += 18 + rng.random() * 14
        diastolic += 8 + rng.random() * 6
    pulse_mean, pulse_spread = (78, 16) if codes.ATRIAL_FIBRILLATION.code in conditions else (72, 9)
    rows = []
    for source, count in plan:
        at_home = source != CLINIC
        # Readings at home run a little lower than in the clinic ("white coat" effect).
        centre = systolic - 5 if at_home else systolic
        first, last = (420, 1320) if at_home else (510, 1050)
        for _ in range(count):
            s = min(max(round(_normal(rng, centre, 8)), 85), 230)
            d = min(max(round(_normal(rng, diastolic, 6)), 45), 130, s - 20)
            pulse = min(max(round(_normal(rng, pulse_mean, pulse_spread)), 45), 140)
            rows.append((None, nin, _reading_at(rng, first, last), s, d, pulse, source))
    return rows


def _blood_glucose(
    nin: str, age: int, rng: random.Random, conditions: dict[str, int]
) -> list[tuple[Any, ...]]:
    plan: list[tuple[str, int]] = []
    centre, spread = 5.0, 0.4
    if codes.TYPE_1_DIABETES.code in conditions:
        plan = [(CLINIC, _between(rng, 1, 3)), (HOME_DEVICE, _between(rng, 20, 80))]
        centre, spread = 8.5, 3.0
    elif codes.TYPE_2_DIABETES.code in conditions:
        plan = [(CLINIC, _between(rng, 1, 4))]
        if rng.random() < 0.45:
            plan.append((HOME_DEVICE, _between(rng, 5, 30)))
        if rng.random() < 0.08:
            plan.append((CITIZEN_SUBMITTED, _between(rng, 2, 8)))
        centre, spread = 7.6, 1.6
    elif age >= 40 and rng.random() < 0.12:
        plan = [(CLINIC, 1)]  # a fasting test at an NHS Health Check
    lowest = 2.8 if centre > 6 else 3.8
    rows = []
    for source, count in plan:
        for _ in range(count):
            fasting = source == CLINIC or rng.random() < 0.4
            if fasting:
                value = _normal(rng, centre, spread)
                at = _reading_at(rng, 510, 660) if source == CLINIC else _reading_at(rng, 420, 540)
            else:
                value = _normal(rng, centre + 2.2, spread * 1.5)
                at = _reading_at(rng, 600, 1320)
            value = min(max(value, lowest), 25.0)
            rows.append((None, nin, at, round(value, 1), int(fasting), source))
    return rows


def _season_day(rng: random.Random, year: int, first: tuple[int, int], span: int) -> int:
    """A day in a vaccination season: most doses early on, fewer as it goes."""
    return date(year, *first).toordinal() + min(int(rng.expovariate(3 / span)), span)


# COVID-19 seasonal boosters: (year, first day, season length, minimum age).
_COVID_SEASONS = (
    (2024, (10, 3), 78, 65),
    (2025, (4, 14), 77, 75),
    (2025, (10, 1), 79, 75),
    (2026, (4, 13), 78, 75),
)


def _vaccinations(
    p: Person, age: int, rng: random.Random, conditions: dict[str, int]
) -> list[tuple[Any, ...]]:
    given: list[tuple[int, codes.Vaccine, int]] = []
    # COVID-19: a primary course in 2021, oldest first; seasonal boosters for older people.
    primary = date(2021, 1, 4).toordinal() + max(0, 80 - age) * 3 + _between(rng, 0, 20)
    doses = 0
    if age - 5 >= 18 and rng.random() < 0.85:
        given.append((primary, codes.COVID_FIRST, 1))
        doses = 1
        if rng.random() < 0.95:
            given.append((primary + _between(rng, 56, 84), codes.COVID_SECOND, 2))
            doses = 2
    for year, first, span, min_age in _COVID_SEASONS:
        if doses >= 2 and age - (2026 - year) >= min_age and rng.random() < 0.6:
            doses += 1
            given.append((_season_day(rng, year, first, span), codes.COVID_BOOSTER, doses))
    # Seasonal flu: 65 and over, or in a clinical risk group; the 2026 season is under way.
    at_risk = bool(_AT_RISK & conditions.keys())
    for year in (2024, 2025, 2026):
        chance = 0.75 if age - (2026 - year) >= 65 else 0.45 if at_risk else 0.04
        if rng.random() < chance:
            given.append(
                (_season_day(rng, year, (9, 1) if year < 2026 else (10, 1), 100), codes.FLU, 1)
            )
    # RSV: a single dose for people aged 75 to 79 since September 2024.
    rsv_from = max(date(2024, 9, 1).toordinal(), _birthday(p, 75))
    if 75 <= age <= 80 and rsv_from < _REF - 1 and rng.random() < 0.6:
        given.append((_between(rng, rsv_from, min(rsv_from + 300, _REF - 1)), codes.RSV, 1))
    # School programmes: HPV in year 8 (girls since 2008, boys since 2019), teenage boosters in
    # year 9 (since 2015); only the young adults of the population were at school for them.
    if age <= 32:
        hpv = _birthday(p, 12, _between(rng, 180, 300))
        hpv_from = date(2008 if p.sex == "F" else 2019, 9, 1).toordinal()
        if hpv_from <= hpv and rng.random() < 0.8:
            given.append((hpv, codes.HPV, 1))
            if hpv < date(2023, 9, 1).toordinal() and rng.random() < 0.9:
                given.append((hpv + _between(rng, 180, 400), codes.HPV, 2))
        teen = _birthday(p, 14, _between(rng, 60, 300))
        if date(2015, 9, 1).toordinal() <= teen and rng.random() < 0.8:
            given.append((teen, codes.MENACWY, 1))
            given.append((teen, codes.TD_IPV, 5))  # the fifth dose of the UK schedule
    return [
        (None, p.nin, _day(day), vaccine.procedure.code, dose)
        for day, vaccine, dose in given
        if day < _REF
    ]


def _eye_tests(
    nin: str, age: int, rng: random.Random, conditions: dict[str, int]
) -> list[tuple[Any, ...]]:
    diabetic = bool(codes.DIABETES & conditions.keys())
    if diabetic:
        count = _between(rng, 2, 3)
    elif age >= 60:
        count = _between(rng, 1, 2) if rng.random() < 0.75 else 0
    else:
        count = 1 if rng.random() < 0.3 else 0
    if not count:
        return []
    optometrist = rng.choice(_OPTOMETRISTS)
    rows = []
    for _ in range(count):
        if rng.random() < 0.04 + max(0, age - 50) * 0.004:
            outcome = "REFERRED"
            summary = _RETINOPATHY if diabetic else rng.choice(_EYE_RESULTS[outcome])
        else:
            outcome = "NEW_PRESCRIPTION" if rng.random() < 0.5 else "NO_CHANGE"
            summary = rng.choice(_EYE_RESULTS[outcome])
        day = _READING_DAYS[int(rng.random() * _SPAN)]
        rows.append((None, nin, day, optometrist, outcome, summary))
    return rows


def _next_of_kin(p: Person, age: int, rng: random.Random) -> str | None:
    if rng.random() < 0.25:
        return None
    relation = rng.choice(_KIN_YOUNG if age < 25 else _KIN_OLDER if age >= 60 else _KIN_ADULT)
    female = relation in {"mother", "sister", "daughter"} or (
        relation in {"spouse", "partner", "friend"} and rng.random() < 0.5
    )
    given = rng.choice(FIRST_NAMES_FEMALE if female else FIRST_NAMES_MALE)
    family = (
        p.family_name if relation != "friend" and rng.random() < 0.8 else rng.choice(LAST_NAMES)
    )
    return f"{given} {family} ({relation}), 07700 900{_between(rng, 0, 999):03d}"


def _patient(p: Person, age: int, rng: random.Random) -> tuple[Any, ...] | None:
    kin = _next_of_kin(p, age, rng)
    ods_code = registered_on = None
    if rng.random() < 0.985:
        practices = BY_DISTRICT[p.postcode.split(" ")[0]]
        # Most households are with one practice; some members chose another nearby.
        choice = p.household if rng.random() < 0.85 else int(rng.random() * len(practices))
        ods_code = practices[choice % len(practices)].ods_code
        earliest = max(p.date_of_birth.toordinal(), _REF - 30 * 365)
        registered_on = _day(_between(rng, earliest, _REF - 7))
    if ods_code is None and kin is None:
        return None
    return (p.nin, ods_code, registered_on, kin)


def record(p: Person, seed: int, tables: dict[str, Rows]) -> None:
    """Append one person's NHS history to `tables` (table name → rows to insert)."""
    rng = rng_for(p, "nhs", seed)
    age = p.age
    tables["citizens"].append((p.nin,))
    patient = _patient(p, age, rng)
    if patient is not None:
        tables["patients"].append(patient)
    conditions = _conditions(p, age, rng)
    tables["conditions"].extend(
        (p.nin, code, _day(diagnosed)) for code, diagnosed in conditions.items()
    )
    tables["blood_pressure_readings"].extend(_blood_pressure(p.nin, age, rng, conditions))
    tables["blood_glucose_readings"].extend(_blood_glucose(p.nin, age, rng, conditions))
    tables["vaccinations"].extend(_vaccinations(p, age, rng, conditions))
    tables["eye_tests"].extend(_eye_tests(p.nin, age, rng, conditions))
