"""DVLA as a department: schema, store, seed and rights rules together."""

from __future__ import annotations

from subgraphs.department import Department
from subgraphs.dvla import schema, store
from subgraphs.rights import FieldRule, RightsPolicy

_DRIVER_RECORD = (
    "The driver record is kept under the Road Traffic Act 1988, Part III (driving licences),"
    " for as long as the licence exists."
)
_ENDORSEMENTS = (
    "Endorsements stay on the driver record for the periods set by the Road Traffic Offenders"
    " Act 1988, s.45: four years from the offence, eleven from conviction for drink- or"
    " drug-driving; DVLA removes them when the period ends."
)
_KEEPERS = (
    "DVLA must keep the register of vehicles and their keepers under the Vehicle Excise and"
    " Registration Act 1994, s.21-22, and the Road Vehicles (Registration and Licensing)"
    " Regulations 2002."
)

RIGHTS = RightsPolicy(
    department="dvla",
    fields={
        "Citizen.drivingLicence": FieldRule(retained_because=_DRIVER_RECORD),
        "DrivingLicence.address": FieldRule(
            correct="UPDATE licences SET address_line = ? WHERE nin = ?",
            retained_because=_DRIVER_RECORD
            + " A licence holder must tell DVLA of a new address (s.99(4)).",
        ),
        "Citizen.penaltyPoints": FieldRule(retained_because=_ENDORSEMENTS),
        "Citizen.vehicles": FieldRule(retained_because=_KEEPERS),
        "Citizen.vehicleTaxReminderEmail": FieldRule(
            correct=(
                "INSERT INTO reminders (email, nin) VALUES (?, ?)"
                " ON CONFLICT (nin) DO UPDATE SET email = excluded.email"
            ),
            erase="DELETE FROM reminders WHERE nin = ?",
        ),
    },
)

DVLA = Department(
    name="dvla",
    port=4005,
    schema=schema.schema,
    rights=RIGHTS,
    store_schema=store.SCHEMA,
    indexes=store.INDEXES,
    loaders=store.loaders,
    seed=store.seed,
)
