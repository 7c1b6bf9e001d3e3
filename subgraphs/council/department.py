"""The council as a department: schema, store, seed and rights rules together."""

from __future__ import annotations

from subgraphs.council import schema, store
from subgraphs.department import Department
from subgraphs.rights import FieldRule, RightsPolicy

_COUNCIL_TAX = (
    "Council tax records are kept under the Council Tax (Administration and Enforcement)"
    " Regulations 1992 (in Scotland, the Council Tax (Administration and Enforcement)"
    " (Scotland) Regulations 1992) for as long as the Limitation Act 1980, s.9, lets the"
    " council recover the tax: six years."
)
_BLUE_BADGE = (
    "The council must keep a register of the Blue Badges it issues under the Chronically Sick"
    " and Disabled Persons Act 1970, s.21, and the Disabled Persons (Badges for Motor"
    " Vehicles) (England) Regulations 2000 (and their Scottish and Welsh counterparts)."
)

RIGHTS = RightsPolicy(
    department="council",
    fields={
        "Citizen.councilTax": FieldRule(retained_because=_COUNCIL_TAX),
        "Citizen.tenure": FieldRule(
            correct="UPDATE residents SET tenure = ? WHERE nin = ?", retained_because=_COUNCIL_TAX
        ),
        "Citizen.housingRegister": FieldRule(
            erase="DELETE FROM housing_register WHERE nin = ?",
        ),
        "Citizen.blueBadge": FieldRule(retained_because=_BLUE_BADGE),
    },
)

COUNCIL = Department(
    name="council",
    port=4006,
    schema=schema.schema,
    rights=RIGHTS,
    store_schema=store.SCHEMA,
    indexes=store.INDEXES,
    loaders=store.loaders,
    seed=store.seed,
)
