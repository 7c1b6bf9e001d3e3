"""The NHS as a department: schema, store, seed and rights rules together."""

from __future__ import annotations

from subgraphs.department import Department
from subgraphs.nhs import history, schema, store
from subgraphs.rights import FieldRule, RightsPolicy

_KEPT = (
    "Health records are kept for the periods set by the Records Management Code of Practice"
    " 2021 (GP records: until 10 years after death), and UK GDPR Article 17(3)(c) lets the NHS"
    " refuse erasure for reasons of public interest in public health."
)


def _submitted(table: str) -> str:
    # Clinical and device readings are part of the GP record; only the citizen's own go.
    return f"DELETE FROM {table} WHERE nin = ? AND source = '{history.CITIZEN_SUBMITTED}'"


RIGHTS = RightsPolicy(
    department="nhs",
    fields={
        "Citizen.gpPractice": FieldRule(retained_because=_KEPT),
        "Citizen.gpRegisteredOn": FieldRule(retained_because=_KEPT),
        "Citizen.nextOfKin": FieldRule(
            # Numbered parameters: the rule receives (value, nin); a citizen without a
            # patient row gets one, an unknown NIN changes nothing.
            correct="INSERT INTO patients (nin, next_of_kin) SELECT ?2, ?1 FROM citizens"
            " WHERE nin = ?2 ON CONFLICT (nin) DO UPDATE SET next_of_kin = excluded.next_of_kin",
            erase="UPDATE patients SET next_of_kin = NULL WHERE nin = ?",
        ),
        "Citizen.bloodPressureReadings": FieldRule(erase=_submitted("blood_pressure_readings")),
        "Citizen.bloodGlucoseReadings": FieldRule(erase=_submitted("blood_glucose_readings")),
        "Citizen.vaccinations": FieldRule(retained_because=_KEPT),
        "Citizen.eyeTests": FieldRule(retained_because=_KEPT),
        "Citizen.longTermConditions": FieldRule(retained_because=_KEPT),
    },
)

NHS = Department(
    name="nhs",
    port=4004,
    schema=schema.schema,
    rights=RIGHTS,
    store_schema=store.SCHEMA,
    indexes=store.INDEXES,
    loaders=store.loaders,
    seed=store.seed,
)
