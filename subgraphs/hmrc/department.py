"""HMRC as a department: schema, store, seed and rights rules together."""

from __future__ import annotations

from subgraphs.department import Department
from subgraphs.hmrc import schema, store
from subgraphs.rights import FieldRule, RightsPolicy

_KEPT = (
    "Tax records are kept so that returns and PAYE can be checked and put right: Taxes"
    " Management Act 1970, s.12B (records) and ss.34 and 36 (assessments up to 4 years back,"
    " 6 for carelessness, 20 for deliberate loss), and the Income Tax (PAYE) Regulations 2003."
)

RIGHTS = RightsPolicy(
    department="hmrc",
    fields={
        "Citizen.taxCode": FieldRule(
            correct="INSERT INTO tax_codes (nin, code) SELECT nin, ?1 FROM citizens WHERE nin = ?2"
            " ON CONFLICT (nin) DO UPDATE SET code = excluded.code",
            retained_because=_KEPT,
        ),
        "Citizen.payeEmployments": FieldRule(retained_because=_KEPT),
        "Citizen.incomeByTaxYear": FieldRule(retained_because=_KEPT),
        "Citizen.selfAssessment": FieldRule(retained_because=_KEPT),
        "Citizen.hmrcNotificationEmail": FieldRule(
            correct="INSERT INTO paperless (nin, email, opted_in_on)"
            " SELECT nin, ?1, date('now') FROM citizens WHERE nin = ?2"
            " ON CONFLICT (nin) DO UPDATE SET email = excluded.email",
            erase="DELETE FROM paperless WHERE nin = ?",
        ),
    },
)

HMRC = Department(
    name="hmrc",
    port=4002,
    schema=schema.schema,
    rights=RIGHTS,
    store_schema=store.SCHEMA,
    indexes=store.INDEXES,
    loaders=store.loaders,
    seed=store.seed,
)
