"""DVLA's subgraph: a citizen's driving licence, endorsements and the vehicles they keep."""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import Self

import strawberry
from graphql import GraphQLError

from subgraphs import rights, rights_schema
from subgraphs.department import citizen_row, context, unless_unknown
from subgraphs.directives import SPECIAL, data
from subgraphs.dvla.history import OFFENCE_BY_CODE
from subgraphs.dvla.numbers import normalise_mark
from subgraphs.federated import federated_schema
from subgraphs.people import is_valid_nin
from subgraphs.store import Row

NIN = "user.government_id.national_identification_number"
LICENCE = "user.government_id.driving_licence"
ENTITLEMENT = "user.government_id.driving_licence.entitlement"
ENDORSEMENT = "user.criminal_history.driving_endorsement"
VEHICLE = "user.government_id.vehicle_registration.vehicle"
MOT = "user.government_id.vehicle_registration.mot"
VEHICLE_TAX = "user.financial.vehicle_tax"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@strawberry.enum(description="Whether a driving licence lets its holder drive today.")
class LicenceStatus(Enum):
    VALID = "VALID"
    PROVISIONAL = "PROVISIONAL"
    REVOKED = "REVOKED"
    DISQUALIFIED = "DISQUALIFIED"
    EXPIRED = "EXPIRED"


@strawberry.enum(description="A full entitlement, or a provisional one for learning.")
class EntitlementKind(Enum):
    FULL = "FULL"
    PROVISIONAL = "PROVISIONAL"


@strawberry.enum(description="Vehicle excise duty: taxed, untaxed, or declared off the road.")
class VehicleTaxStatus(Enum):
    TAXED = "TAXED"
    UNTAXED = "UNTAXED"
    SORN = "SORN"


@strawberry.enum(description="MOT test status; none is needed before a vehicle's third year.")
class MotStatus(Enum):
    VALID = "VALID"
    EXPIRED = "EXPIRED"
    NOT_REQUIRED = "NOT_REQUIRED"


@strawberry.enum
class FuelType(Enum):
    PETROL = "PETROL"
    DIESEL = "DIESEL"
    HYBRID_ELECTRIC = "HYBRID_ELECTRIC"
    ELECTRIC = "ELECTRIC"


@strawberry.type(description="The address printed on a driving licence.")
class LicenceAddress:
    line1: str = data("user.contact.address.street")
    town: str = data("user.contact.address.city")
    postcode: str = data("user.contact.address.postal_code")


@strawberry.type(description="A vehicle category the holder may drive (B: car, A: motorbike, …).")
class DrivingEntitlement:
    category: str = data(ENTITLEMENT, description="DVLA category code, e.g. B, A, C1, D1.")
    kind: EntitlementKind = data(ENTITLEMENT)
    valid_from: date = data(ENTITLEMENT)
    valid_until: date = data(ENTITLEMENT)


@strawberry.type(description="A GB driving licence.")
class DrivingLicence:
    number: str = data(
        "user.government_id.drivers_license_number",
        description="16-character driver number: surname, date of birth, initials, checks.",
    )
    status: LicenceStatus = data(f"{LICENCE}.status")
    passed_on: date | None = data(
        f"{LICENCE}.test_passed", description="Date of the car test; null on a provisional."
    )
    photocard_expires_on: date = data(f"{LICENCE}.photocard_expiry")
    disqualified_until: date | None = data(
        "user.criminal_history.driving_disqualification",
        SPECIAL,
        description="End of a court's driving ban, when one is running.",
    )
    address: LicenceAddress = data("user.contact.address")
    nin: strawberry.Private[str]

    @data(ENTITLEMENT, description="Categories the holder may drive.")
    async def entitlements(self, info: strawberry.Info) -> list[DrivingEntitlement]:
        rows = await context(info).loaders["entitlements"].load(self.nin)
        return [
            DrivingEntitlement(
                category=row["category"],
                kind=EntitlementKind(row["kind"]),
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_until=date.fromisoformat(row["valid_until"]),
            )
            for row in rows
        ]


@strawberry.type(description="Penalty points endorsed on a licence for a motoring offence.")
class Endorsement:
    offence_code: str = data(ENDORSEMENT, SPECIAL, description="e.g. SP30 (speeding).")
    offence: str = data(ENDORSEMENT, SPECIAL, description="What the code stands for.")
    offence_date: date = data(ENDORSEMENT, SPECIAL)
    conviction_date: date = data(ENDORSEMENT, SPECIAL)
    points: int = data(ENDORSEMENT, SPECIAL)
    removed_on: date = data(
        ENDORSEMENT, SPECIAL, description="When the endorsement leaves the driver record."
    )


@strawberry.type(description="A vehicle on DVLA's register, kept by this citizen.")
class Vehicle:
    registration: str = data(
        "user.government_id.vehicle_registration", description="e.g. `YA24 KDE`."
    )
    make: str = data(VEHICLE)
    model: str = data(VEHICLE)
    colour: str = data(VEHICLE)
    fuel: FuelType = data(VEHICLE)
    first_registered: date = data(VEHICLE)
    tax_status: VehicleTaxStatus = data(VEHICLE_TAX)
    tax_due_on: date | None = data(VEHICLE_TAX, description="Null when declared off the road.")
    mot_status: MotStatus = data(MOT)
    mot_due_on: date = data(
        MOT, description="Expiry of the current MOT, or when the first one falls due."
    )


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _vehicle(row: Row) -> Vehicle:
    return Vehicle(
        registration=row["registration"],
        make=row["make"],
        model=row["model"],
        colour=row["colour"],
        fuel=FuelType(row["fuel"]),
        first_registered=date.fromisoformat(row["first_registered"]),
        tax_status=VehicleTaxStatus(row["tax_status"]),
        tax_due_on=_optional_date(row["tax_due_on"]),
        mot_status=MotStatus(row["mot_status"]),
        mot_due_on=date.fromisoformat(row["mot_due_on"]),
    )


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)
    driving_licence: DrivingLicence | None = data(
        LICENCE, description="Null when DVLA has issued no licence."
    )
    vehicle_tax_reminder_email: str | None = data(
        "user.contact.email", description="Where DVLA sends vehicle tax reminders, if asked to."
    )

    @data(ENDORSEMENT, SPECIAL, description="Endorsements still on the driver record.")
    async def penalty_points(self, info: strawberry.Info) -> list[Endorsement]:
        rows = await context(info).loaders["endorsements"].load(self.nin)
        return [
            Endorsement(
                offence_code=row["offence_code"],
                offence=OFFENCE_BY_CODE[row["offence_code"]].description,
                offence_date=date.fromisoformat(row["offence_date"]),
                conviction_date=date.fromisoformat(row["conviction_date"]),
                points=row["points"],
                removed_on=date.fromisoformat(row["removed_on"]),
            )
            for row in rows
        ]

    @data("user.government_id.vehicle_registration", description="Vehicles this citizen keeps.")
    async def vehicles(self, info: strawberry.Info) -> list[Vehicle]:
        rows = await context(info).loaders["vehicles"].load(self.nin)
        return [_vehicle(row) for row in rows]

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, nin: str) -> Self:
        return await find(info, nin)  # type: ignore[return-value]


def from_row(row: Row) -> Citizen:
    licence = None
    if row["licence_nin"] is not None:
        licence = DrivingLicence(
            number=row["number"],
            status=LicenceStatus(row["status"]),
            passed_on=_optional_date(row["passed_on"]),
            photocard_expires_on=date.fromisoformat(row["photocard_expires_on"]),
            disqualified_until=_optional_date(row["disqualified_until"]),
            address=LicenceAddress(
                line1=row["address_line"], town=row["town"], postcode=row["postcode"]
            ),
            nin=row["nin"],
        )
    return Citizen(
        nin=strawberry.ID(row["nin"]),
        driving_licence=licence,
        vehicle_tax_reminder_email=row["reminder_email"],
    )


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


async def find(info: strawberry.Info, nin: str) -> Citizen:
    """The citizen with this NIN, or an error that says what was wrong with it."""
    row = await citizen_row(info, nin)
    return from_row(row)


@strawberry.type
class Query(rights_schema.query_type("dvla")):  # type: ignore[misc]
    @strawberry.field(
        name="dvlaCitizen", description="What DVLA holds on one citizen; null when none is known."
    )
    async def citizen(self, info: strawberry.Info, nin: strawberry.ID) -> Citizen | None:
        return await unless_unknown(find(info, nin))


@strawberry.type(name="Mutation")
class Mutation(rights_schema.mutation_type("dvla")):  # type: ignore[misc]
    @strawberry.mutation(
        name="dvlaRequestCorrection",
        description="Ask DVLA to correct a field it holds about a citizen.",
    )
    async def request_correction(
        self,
        info: strawberry.Info,
        nin: strawberry.ID,
        field: str,
        correction: str,
        reason: str | None = None,
    ) -> rights.RightsRequest:
        if field == "Citizen.vehicleTaxReminderEmail" and not EMAIL.match(correction.strip()):
            raise _bad_input(f"{correction!r} is not an email address")
        if field.startswith("DrivingLicence.") and is_valid_nin(nin):
            row = await context(info).loaders["citizen"].load(nin)
            if row is None:
                raise GraphQLError(f"no citizen {nin} is known", extensions={"code": "NOT_FOUND"})
            if row["licence_nin"] is None:
                raise _bad_input(f"DVLA holds no driving licence for {nin}")
        ctx = context(info)
        return await rights.request_correction(
            ctx.store, ctx.rights, nin, field, correction.strip(), reason
        )

    @strawberry.mutation(
        name="dvlaDeclareSorn",
        description="Declare a kept vehicle off the road (SORN): its tax stops.",
    )
    async def declare_sorn(
        self, info: strawberry.Info, nin: strawberry.ID, registration: str
    ) -> Vehicle:
        if not is_valid_nin(nin):
            raise _bad_input(f"{nin!r} is not a National Insurance number")
        mark = normalise_mark(registration)
        if mark is None:
            raise _bad_input(f"{registration!r} is not a registration mark like `AB12 CDE`")
        store = context(info).store
        declared = await store.execute(
            "UPDATE vehicles SET tax_status = 'SORN', tax_due_on = NULL"
            " WHERE nin = ? AND registration = ? AND tax_status != 'SORN'",
            [nin, mark],
        )
        rows = await store.fetch(
            "SELECT * FROM vehicles WHERE nin = ? AND registration = ?", [nin, mark]
        )
        if not rows:
            raise GraphQLError(f"{nin} keeps no vehicle {mark}", extensions={"code": "NOT_FOUND"})
        if not declared:
            raise _bad_input(f"{mark} is already declared off the road")
        return _vehicle(rows[0])


schema = federated_schema(query=Query, mutation=Mutation, types=[Citizen, DrivingLicence, Vehicle])
