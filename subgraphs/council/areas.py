"""Local authorities: which council serves a postcode, and what its council tax costs."""

from __future__ import annotations

from decimal import Decimal

# London boroughs by postcode district; elsewhere the post town's council.
_LONDON = {
    "SW9": "London Borough of Lambeth",
    "E17": "London Borough of Waltham Forest",
    "N16": "London Borough of Hackney",
    "SE15": "London Borough of Southwark",
}
_BY_TOWN = {
    "Edinburgh": "City of Edinburgh Council",
    "York": "City of York Council",
    "Cardiff": "Cardiff Council",
    "Swansea": "Swansea Council",
    "Newcastle upon Tyne": "Newcastle City Council",
    "Brighton": "Brighton & Hove City Council",
    "Stoke-on-Trent": "Stoke-on-Trent City Council",
}
_NATIONS = {
    "EH": "SCOTLAND",
    "G": "SCOTLAND",
    "AB": "SCOTLAND",
    "DD": "SCOTLAND",
    "CF": "WALES",
    "SA": "WALES",
    "BT": "NORTHERN_IRELAND",
}

# Average Band D council tax for 2026-27 (approximate, before any discount).
BAND_D = {
    "ENGLAND": Decimal("2394.00"),
    "SCOTLAND": Decimal("1620.00"),
    "WALES": Decimal("2280.00"),
}
# Each band's charge as a fraction of Band D: ninths in England and Wales (Wales adds band I);
# Scotland's upper bands were raised in 2017 (Council Tax (Substitution of Proportion) Order).
_NINTHS = {"A": 6, "B": 7, "C": 8, "D": 9, "E": 11, "F": 13, "G": 15, "H": 18}
_SCOTLAND = {"A": 240, "B": 280, "C": 320, "D": 360, "E": 473, "F": 585, "G": 705, "H": 882}
BAND_RATIOS: dict[str, dict[str, Decimal]] = {
    "ENGLAND": {band: Decimal(n) / 9 for band, n in _NINTHS.items()},
    "WALES": {band: Decimal(n) / 9 for band, n in {**_NINTHS, "I": 21}.items()},
    "SCOTLAND": {band: Decimal(n) / 360 for band, n in _SCOTLAND.items()},
}
# Share of dwellings in each band (England's stock, roughly; Wales's band I is rare).
BAND_WEIGHTS = {"A": 24, "B": 20, "C": 22, "D": 15, "E": 10, "F": 5, "G": 3.5, "H": 0.5, "I": 0.3}


def nation(postcode: str) -> str:
    """ENGLAND, SCOTLAND, WALES or NORTHERN_IRELAND, from the postcode area."""
    area = postcode.split(" ")[0].rstrip("0123456789")
    return _NATIONS.get(area, "ENGLAND")


def council_name(postcode: str, town: str) -> str:
    """The local authority for a postcode, e.g. `Leeds City Council`."""
    district = postcode.split(" ")[0]
    return _LONDON.get(district) or _BY_TOWN.get(town) or f"{town} City Council"


def annual_charge(nation_name: str, band: str) -> Decimal:
    """The full-year charge of a band before discounts, to the penny."""
    return (BAND_D[nation_name] * BAND_RATIOS[nation_name][band]).quantize(Decimal("0.01"))


def council_code(council: str) -> str:
    """Three letters naming a council on its Blue Badges: `Leeds City Council` → `LEE`."""
    words = [w for w in council.replace("&", " ").split() if w not in {"City", "Council", "of"}]
    if words[:2] == ["London", "Borough"]:
        words = words[2:]
    return "".join(c for c in "".join(words).upper() if c.isalpha())[:3]
