"""Synthetic citizens: the core facts every department's seed builds on.

A person is derived from (seed, index) alone, so a department can regenerate
exactly the same people as every other department without sharing a store.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from faker.providers.person.en_GB import Provider as _Names

from joinedup.identifiers import (
    NIN_PREFIXES,
    is_valid_nhs_number,
    is_valid_nin,
    nhs_check_digit,
)

__all__ = [
    "NIN_PREFIXES",
    "REFERENCE_DATE",
    "Person",
    "is_valid_nhs_number",
    "is_valid_nin",
    "nhs_check_digit",
    "people",
    "person",
    "rng_for",
]

FIRST_NAMES_FEMALE: tuple[str, ...] = tuple(_Names.first_names_female)
FIRST_NAMES_MALE: tuple[str, ...] = tuple(_Names.first_names_male)
LAST_NAMES: tuple[str, ...] = tuple(_Names.last_names)

# Postcode districts with the post town they belong to (real outward codes).
TOWNS: tuple[tuple[str, str], ...] = (
    ("LS6", "Leeds"),
    ("LS11", "Leeds"),
    ("M14", "Manchester"),
    ("M20", "Manchester"),
    ("B15", "Birmingham"),
    ("B29", "Birmingham"),
    ("CF10", "Cardiff"),
    ("CF24", "Cardiff"),
    ("EH6", "Edinburgh"),
    ("EH11", "Edinburgh"),
    ("G12", "Glasgow"),
    ("G41", "Glasgow"),
    ("BS3", "Bristol"),
    ("BS7", "Bristol"),
    ("NE6", "Newcastle upon Tyne"),
    ("L15", "Liverpool"),
    ("S11", "Sheffield"),
    ("NG7", "Nottingham"),
    ("LE2", "Leicester"),
    ("CV1", "Coventry"),
    ("PL4", "Plymouth"),
    ("EX4", "Exeter"),
    ("NR2", "Norwich"),
    ("YO10", "York"),
    ("HU5", "Hull"),
    ("DE22", "Derby"),
    ("ST4", "Stoke-on-Trent"),
    ("SO17", "Southampton"),
    ("PO5", "Portsmouth"),
    ("BN2", "Brighton"),
    ("OX4", "Oxford"),
    ("CB1", "Cambridge"),
    ("SW9", "London"),
    ("E17", "London"),
    ("N16", "London"),
    ("SE15", "London"),
    ("BT7", "Belfast"),
    ("AB24", "Aberdeen"),
    ("DD1", "Dundee"),
    ("SA1", "Swansea"),
)
STREET_SUFFIXES = (
    "Road",
    "Street",
    "Lane",
    "Close",
    "Avenue",
    "Drive",
    "Way",
    "Crescent",
    "Gardens",
    "Terrace",
    "Place",
    "Grove",
    "Court",
    "Row",
)
STREET_STEMS = (
    "Church",
    "Station",
    "Mill",
    "Park",
    "Victoria",
    "Queen's",
    "King's",
    "Albert",
    "Manor",
    "Orchard",
    "Chapel",
    "Highfield",
    "Meadow",
    "Brook",
    "Springfield",
    "Windsor",
    "Grange",
    "Oak",
    "Elm",
    "Beech",
    "Ash",
    "Willow",
    "Cedar",
    "Hawthorn",
    "Riverside",
    "Castle",
    "Market",
    "Green",
    "North",
    "South",
    "West",
    "Hill",
    "Moor",
    "Abbey",
    "Bridge",
    "Well",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.co.uk")

_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # Royal Mail never uses C, I, K, M, O, V inward.

HOUSEHOLD_SIZE = 3
"""Citizens with consecutive indices share a home in groups of this size."""

REFERENCE_DATE = date(2026, 11, 1)
"""Histories are generated relative to this date so that a seed gives the same data any day."""


@dataclass(frozen=True, slots=True)
class Person:
    """The facts about a synthetic citizen that more than one department knows."""

    index: int
    nin: str
    given_name: str
    family_name: str
    sex: str
    date_of_birth: date
    nhs_number: str
    address_line: str
    town: str
    postcode: str
    email: str
    phone: str
    household: int

    @property
    def age(self) -> int:
        born = self.date_of_birth
        before_birthday = (REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day)
        return REFERENCE_DATE.year - born.year - before_birthday


def _nin(index: int, seed: int) -> str:
    # Injective in index: the prefix cycles fastest, the six digits step by a
    # number coprime with 10**6, so a million people never share a NIN.
    prefix = NIN_PREFIXES[(index + seed) % len(NIN_PREFIXES)]
    digits = (index // len(NIN_PREFIXES) * 7_919 + seed * 104_729) % 1_000_000
    return f"{prefix}{digits:06d}{'ABCD'[index % 4]}"


def _nhs_number(index: int, seed: int) -> str:
    # Ten candidates per index keep numbers unique; at most one in eleven has no check digit.
    base = 400_000_000 + ((index * 10 + seed * 10_007) % 590_000_000) // 10 * 10
    for candidate in range(base, base + 10):
        check = nhs_check_digit(str(candidate))
        if check is not None:
            return f"{candidate}{check}"
    raise AssertionError("unreachable: ten consecutive numbers always include a valid one")


def person(index: int, seed: int) -> Person:
    """The synthetic citizen number `index` of the population seeded with `seed`."""
    rng = random.Random(seed * 1_000_003 + index)
    sex = rng.choice("FM")
    given = rng.choice(FIRST_NAMES_FEMALE if sex == "F" else FIRST_NAMES_MALE)
    family = rng.choice(LAST_NAMES)
    age_days = int(rng.triangular(16 * 365.25, 95 * 365.25, 40 * 365.25))
    born = REFERENCE_DATE - timedelta(days=age_days)
    household = index // HOUSEHOLD_SIZE
    home = random.Random(seed * 1_000_033 + household)  # one address per household
    district, town = home.choice(TOWNS)
    inward = f"{home.randint(1, 9)}{home.choice(_INWARD_LETTERS)}{home.choice(_INWARD_LETTERS)}"
    street = f"{home.randint(1, 180)} {home.choice(STREET_STEMS)} {home.choice(STREET_SUFFIXES)}"
    email = f"{given}.{family}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}".lower()
    email = email.replace(" ", "").replace("'", "")
    # Ofcom reserves 07700 900000-900999 for drama: never a real person's number.
    phone = f"07700 900{rng.randint(0, 999):03d}"
    return Person(
        index=index,
        nin=_nin(index, seed),
        given_name=given,
        family_name=family,
        sex=sex,
        date_of_birth=born,
        nhs_number=_nhs_number(index, seed),
        address_line=street,
        town=town,
        postcode=f"{district} {inward}",
        email=email,
        phone=phone,
        household=household,
    )


def people(count: int, seed: int, start: int = 0) -> Iterator[Person]:
    """Citizens `start` .. `count - 1` of the population seeded with `seed`."""
    for index in range(start, count):
        yield person(index, seed)


def rng_for(person: Person, department: str, seed: int) -> random.Random:
    """A department's own random stream for one person: same seed, same history."""
    salt = int.from_bytes(department.encode()[:8].ljust(8, b"\0"), "big")
    return random.Random(hash((seed, salt, person.index)))
