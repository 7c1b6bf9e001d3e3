"""The identifiers DVLA issues: driver numbers and vehicle registration marks."""

from __future__ import annotations

import re
from datetime import date

# The random part of a mark never uses I or Q (too like 1 and 0); memory tags
# also never use Z, so none appears below.
MARK_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"

# Local memory tags (first two letters of a mark) of the DVLA office nearest each
# post town: the region letter and the second letters that office issues.
MEMORY_TAGS: dict[str, tuple[str, str]] = {
    "Leeds": ("Y", "ABCDEFGHJK"),
    "York": ("Y", "ABCDEFGHJK"),
    "Sheffield": ("Y", "LMNOPRSTU"),
    "Hull": ("Y", "VWXY"),
    "Manchester": ("M", "ABCDEFGHJKLMNOPRSTUVWXY"),
    "Liverpool": ("M", "ABCDEFGHJKLMNOPRSTUVWXY"),
    "Birmingham": ("B", "ABCDEFGHJKLMNOPRSTUVWXY"),
    "Coventry": ("B", "ABCDEFGHJKLMNOPRSTUVWXY"),
    "Stoke-on-Trent": ("B", "ABCDEFGHJKLMNOPRSTUVWXY"),
    "Nottingham": ("F", "ABCDEFGHJKLMNP"),
    "Derby": ("F", "ABCDEFGHJKLMNP"),
    "Leicester": ("F", "ABCDEFGHJKLMNP"),
    "Cardiff": ("C", "ABCDEFGHJKLMNO"),
    "Swansea": ("C", "PRSTUV"),
    "Glasgow": ("S", "ABCDEFGHJ"),
    "Edinburgh": ("S", "KLMNO"),
    "Dundee": ("S", "PRST"),
    "Aberdeen": ("S", "UVW"),
    "Bristol": ("W", "MNOPRSTUVWXY"),
    "Exeter": ("W", "ABCDEFGHJ"),
    "Plymouth": ("W", "ABCDEFGHJ"),
    "Newcastle upon Tyne": ("N", "ABCDEFGHJKLMNO"),
    "Norwich": ("A", "OPRSTU"),
    "Cambridge": ("A", "ABCDEFGHJKLMN"),
    "Southampton": ("H", "KLMNOPRSTUVWXY"),
    "Portsmouth": ("H", "KLMNOPRSTUVWXY"),
    "Brighton": ("G", "PRSTUVWXY"),
    "Oxford": ("O", "ABCDEFGHJKLMNOPRSTUVWXY"),
    "London": ("L", "ABCDEFGHJKLMNOPRSTUVWXY"),
}
CURRENT_FORMAT_SINCE = date(2001, 9, 1)
"""Marks in the `AB12 CDE` format were first issued in September 2001 (age identifier 51)."""

_MARK = re.compile(r"^([A-Z]{2}[0-9]{2}) ?([A-Z]{3})$")


def driver_number(family_name: str, given_names: str, sex: str, born: date, check: str) -> str:
    """The 16-character GB driver number (DVLA's published layout).

    1-5   the first five letters of the surname, padded with 9s; `Mac` is written `MC`
    6     the decade digit of the year of birth
    7-8   the month of birth, plus 50 for a woman (March: 03 for a man, 53 for a woman)
    9-10  the day of birth
    11    the last digit of the year of birth
    12-13 the initials of the first two forenames, 9 when there is no second forename
    14    an arbitrary digit, 9 unless the first thirteen characters are already issued
    15-16 two computer check characters, `check` (DVLA allocates them; they are not derived)
    """
    letters = "".join(c for c in family_name.upper() if c.isalpha())
    if letters.startswith("MAC"):
        letters = "MC" + letters[3:]
    surname = letters[:5].ljust(5, "9")
    month = born.month + (50 if sex == "F" else 0)
    year = f"{born.year % 100:02d}"
    initials = "".join(name[0] for name in given_names.upper().split()[:2]).ljust(2, "9")
    return f"{surname}{year[0]}{month:02d}{born.day:02d}{year[1]}{initials}9{check}"


def age_identifier(first_registered: date) -> int:
    """A mark's two digits: the year from March to August, the year + 50 from September."""
    if first_registered.month >= 9:
        return first_registered.year % 100 + 50
    if first_registered.month >= 3:
        return first_registered.year % 100
    return (first_registered.year - 1) % 100 + 50


def registration_mark(memory_tag: str, first_registered: date, random_letters: str) -> str:
    """A mark in the current format, e.g. `YA24 KDE` for a Leeds car of March to August 2024."""
    return f"{memory_tag}{age_identifier(first_registered):02d} {random_letters}"


def normalise_mark(value: str) -> str | None:
    """`ab12cde` or `AB12 CDE` → `AB12 CDE`; None when it is not a current-format mark."""
    match = _MARK.match(value.strip().upper())
    if match is None or any(c not in MARK_LETTERS for c in match.group(2)):
        return None
    return f"{match.group(1)} {match.group(2)}"
