"""Identity as a department: schema, store, seed and rights rules together."""

from __future__ import annotations

from datetime import date

from subgraphs.department import Department
from subgraphs.identity import schema, store
from subgraphs.rights import FieldRule, RightsPolicy

_KEPT = (
    "Identity records are how every public service knows it is dealing with you; they are"
    " kept under the Data Protection Act 2018, Schedule 1, Part 2 (statutory purposes)."
)


def _email(value: str) -> str | None:
    local, at, domain = value.partition("@")
    return None if at and local and "." in domain else "not an email address"


def _phone(value: str) -> str | None:
    digits = value.replace(" ", "")
    return None if digits.isdigit() and len(digits) == 11 else "not a UK phone number"


def _date(value: str) -> str | None:
    try:
        date.fromisoformat(value)
    except ValueError:
        return "not a date (YYYY-MM-DD)"
    return None


def _correct(column: str) -> str:
    return f"UPDATE citizens SET {column} = ? WHERE nin = ?"


RIGHTS = RightsPolicy(
    department="identity",
    fields={
        "Citizen.givenName": FieldRule(correct=_correct("given_name"), retained_because=_KEPT),
        "Citizen.familyName": FieldRule(correct=_correct("family_name"), retained_because=_KEPT),
        "Citizen.dateOfBirth": FieldRule(
            correct=_correct("date_of_birth"), retained_because=_KEPT, validate=_date
        ),
        "Citizen.address": FieldRule(correct=_correct("address_line"), retained_because=_KEPT),
        "Citizen.email": FieldRule(
            correct=_correct("email"),
            erase="UPDATE citizens SET email = NULL WHERE nin = ?",
            validate=_email,
        ),
        "Citizen.phone": FieldRule(
            correct=_correct("phone"),
            erase="UPDATE citizens SET phone = NULL WHERE nin = ?",
            validate=_phone,
        ),
    },
)

IDENTITY = Department(
    name="identity",
    port=4001,
    schema=schema.schema,
    rights=RIGHTS,
    store_schema=store.SCHEMA,
    indexes=store.INDEXES,
    loaders=store.loaders,
    seed=store.seed,
)
