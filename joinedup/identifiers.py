"""The shapes of the identifiers every part of the system checks."""

from __future__ import annotations

import string

# HMRC never issues these prefixes (NIM39110).
_NIN_BAD_FIRST = set("DFIQUV")
_NIN_BAD_SECOND = set("DFIQUVO")
_NIN_BAD_PAIRS = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
NIN_PREFIXES: tuple[str, ...] = tuple(
    a + b
    for a in string.ascii_uppercase
    for b in string.ascii_uppercase
    if a not in _NIN_BAD_FIRST and b not in _NIN_BAD_SECOND and a + b not in _NIN_BAD_PAIRS
)
_NIN_PREFIX_SET = frozenset(NIN_PREFIXES)


def is_valid_nin(value: str) -> bool:
    """True for a well-formed National Insurance number such as `AB123456C`."""
    return (
        len(value) == 9
        and value[:2] in _NIN_PREFIX_SET
        and value[2:8].isascii()
        and value[2:8].isdigit()  # ASCII only: `isdigit` alone takes full-width digits too
        and value[8] in "ABCD"
    )


def nhs_check_digit(nine_digits: str) -> int | None:
    """The modulus-11 check digit of an NHS number, or None when no valid one exists."""
    total = sum(int(d) * w for d, w in zip(nine_digits, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    """True for ten digits whose last is the modulus-11 check digit of the first nine."""
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])
