"""DWP as a department: schema, store, seed and rights rules together."""

from __future__ import annotations

from subgraphs.department import Department
from subgraphs.dwp import schema, store
from subgraphs.rights import FieldRule, RightsPolicy

_KEPT = (
    "Benefit records are kept so that payments can be checked and overpayments recovered:"
    " Social Security Administration Act 1992, s.71 and s.71ZB (recovery of overpayments),"
    " within the six years the Limitation Act 1980, s.9, allows."
)

RIGHTS = RightsPolicy(
    department="dwp",
    fields={
        "Citizen.universalCreditClaims": FieldRule(retained_because=_KEPT),
        "Citizen.personalIndependencePaymentClaims": FieldRule(retained_because=_KEPT),
        "Citizen.statePension": FieldRule(retained_because=_KEPT),
        "Citizen.dwpReminderPhone": FieldRule(
            correct="INSERT INTO reminder_phones (nin, phone) SELECT nin, ?1 FROM citizens"
            " WHERE nin = ?2 ON CONFLICT (nin) DO UPDATE SET phone = excluded.phone",
            erase="DELETE FROM reminder_phones WHERE nin = ?",
        ),
    },
)

DWP = Department(
    name="dwp",
    port=4003,
    schema=schema.schema,
    rights=RIGHTS,
    store_schema=store.SCHEMA,
    indexes=store.INDEXES,
    loaders=store.loaders,
    seed=store.seed,
)
