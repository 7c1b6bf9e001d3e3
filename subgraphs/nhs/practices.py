"""GP practices: public reference data, the same whatever the population seed.

The practices are synthetic but shaped like the real thing: an ODS code of a
letter and five digits whose first three characters follow the old regional
prefixes (`B86` Leeds, `P84` Manchester, ...), an address in the district it
serves and a phone number from Ofcom's ranges reserved for drama.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from subgraphs.people import STREET_STEMS, STREET_SUFFIXES, TOWNS

PER_DISTRICT = 3
ODS_CODE = re.compile(r"[A-Z][0-9]{5}")
POSTCODE_DISTRICT = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")

_PREFIXES = {
    "Leeds": "B86",
    "Manchester": "P84",
    "Birmingham": "M85",
    "Cardiff": "W97",
    "Edinburgh": "S16",
    "Glasgow": "S43",
    "Bristol": "L81",
    "Newcastle upon Tyne": "A86",
    "Liverpool": "N82",
    "Sheffield": "C88",
    "Nottingham": "C84",
    "Leicester": "C82",
    "Coventry": "M86",
    "Plymouth": "L83",
    "Exeter": "L84",
    "Norwich": "D82",
    "York": "B82",
    "Hull": "B81",
    "Derby": "C81",
    "Stoke-on-Trent": "M83",
    "Southampton": "J82",
    "Portsmouth": "J81",
    "Brighton": "G81",
    "Oxford": "K84",
    "Cambridge": "D81",
    "London": "F84",
    "Belfast": "Z00",
    "Aberdeen": "S10",
    "Dundee": "S27",
    "Swansea": "W98",
}
# Ofcom's drama ranges: area code and the local-number stem before the last three digits.
_DRAMA_PHONES = {
    "Leeds": "0113 496 0",
    "Sheffield": "0114 496 0",
    "Nottingham": "0115 496 0",
    "Leicester": "0116 496 0",
    "Bristol": "0117 496 0",
    "Birmingham": "0121 496 0",
    "Edinburgh": "0131 496 0",
    "Glasgow": "0141 496 0",
    "Liverpool": "0151 496 0",
    "Manchester": "0161 496 0",
    "Newcastle upon Tyne": "0191 498 0",
    "London": "020 7946 0",
    "Cardiff": "029 2018 0",
    "Belfast": "028 9018 0",
}
_NO_AREA_PHONE = "01632 960"
_KINDS = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True, slots=True)
class Practice:
    ods_code: str
    name: str
    address_line: str
    town: str
    postcode: str
    phone: str

    @property
    def district(self) -> str:
        return self.postcode.split(" ")[0]


def _practices() -> tuple[Practice, ...]:
    rng = random.Random("joinedup-gp-practices")
    numbers = {prefix: rng.sample(range(1, 1000), 60) for prefix in set(_PREFIXES.values())}
    found = []
    for district, town in TOWNS:
        for _ in range(PER_DISTRICT):
            stem = rng.choice(STREET_STEMS)
            inward = (
                f"{rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
            )
            phone = _DRAMA_PHONES.get(town, _NO_AREA_PHONE)
            found.append(
                Practice(
                    ods_code=f"{_PREFIXES[town]}{numbers[_PREFIXES[town]].pop():03d}",
                    name=f"{stem} {rng.choice(_KINDS)}",
                    address_line=f"{rng.randint(1, 120)} {stem} {rng.choice(STREET_SUFFIXES)}",
                    town=town,
                    postcode=f"{district} {inward}",
                    phone=f"{phone}{rng.randint(0, 999):03d}",
                )
            )
    return tuple(found)


PRACTICES = _practices()
BY_DISTRICT: dict[str, tuple[Practice, ...]] = {}
for _practice in PRACTICES:
    BY_DISTRICT[_practice.district] = (*BY_DISTRICT.get(_practice.district, ()), _practice)


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def insert_sql() -> str:
    """The practices as SQL `INSERT`s, so a fresh store holds them from its creation."""
    rows = ",\n".join(
        "("
        + ", ".join(
            _text(v)
            for v in (p.ods_code, p.name, p.address_line, p.town, p.postcode, p.district, p.phone)
        )
        + ")"
        for p in PRACTICES
    )
    return f"INSERT INTO gp_practices VALUES\n{rows};\n"
