"""The NHS subgraph: `Citizen`'s health record and the `GpPractice` entity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Self

import strawberry
from graphql import GraphQLError

from subgraphs import rights_schema
from subgraphs.department import citizen_row, context
from subgraphs.directives import PUBLIC, SPECIAL, data
from subgraphs.federated import federated_schema
from subgraphs.nhs import codes, readings
from subgraphs.nhs.practices import ODS_CODE, POSTCODE_DISTRICT
from subgraphs.store import Row

NIN = "user.government_id.national_identification_number"
REGISTRATION = "user.health_and_medical.gp_registration"
BLOOD_PRESSURE = "user.health_and_medical.vitals.blood_pressure"
PULSE = "user.health_and_medical.vitals.pulse"
BLOOD_GLUCOSE = "user.health_and_medical.vitals.blood_glucose"
VACCINATION = "user.health_and_medical.vaccination"
EYE_TEST = "user.health_and_medical.eye_test"
CONDITION = "user.health_and_medical.condition"
PRACTICE = "public.gp_practice"
DEFAULT_LAST = 20
MAX_LAST = 500

Last = Annotated[int, strawberry.argument(description=f"How many, newest first: 1 to {MAX_LAST}.")]
Record = Row | Mapping[str, Any]


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


@strawberry.enum(description="Where a reading came from.")
class ReadingSource(Enum):
    CLINIC = "CLINIC"
    HOME_DEVICE = "HOME_DEVICE"
    CITIZEN_SUBMITTED = "CITIZEN_SUBMITTED"


@strawberry.enum(description="What an eye test found.")
class EyeTestOutcome(Enum):
    NO_CHANGE = "NO_CHANGE"
    NEW_PRESCRIPTION = "NEW_PRESCRIPTION"
    REFERRED = "REFERRED"


@strawberry.federation.type(keys=["odsCode"], description="A GP practice, by its ODS code.")
class GpPractice:
    ods_code: strawberry.ID = data(f"{PRACTICE}.ods_code", PUBLIC, description="E.g. `B86012`.")
    name: str = data(f"{PRACTICE}.name", PUBLIC)
    address_line: str = data(f"{PRACTICE}.address.street", PUBLIC)
    town: str = data(f"{PRACTICE}.address.city", PUBLIC)
    postcode: str = data(f"{PRACTICE}.address.postal_code", PUBLIC)
    phone: str = data(f"{PRACTICE}.phone_number", PUBLIC)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, **key: Any) -> Self:
        practice = await find_practice(info, key.get("odsCode"))
        if practice is None:
            raise GraphQLError(
                f"no GP practice {key['odsCode']} is known", extensions={"code": "NOT_FOUND"}
            )
        return practice  # type: ignore[return-value]


def practice_from_row(row: Record) -> GpPractice:
    return GpPractice(
        ods_code=strawberry.ID(row["ods_code"]),
        name=row["name"],
        address_line=row["address_line"],
        town=row["town"],
        postcode=row["postcode"],
        phone=row["phone"],
    )


async def find_practice(info: strawberry.Info, ods_code: object) -> GpPractice | None:
    """The practice with this ODS code, None when unknown; an error when malformed."""
    if not isinstance(ods_code, str) or not ODS_CODE.fullmatch(ods_code):
        raise _bad_input(f"{ods_code!r} is not a GP practice ODS code (a letter and five digits)")
    row = await context(info).loaders["practice"].load(ods_code)
    return None if row is None else practice_from_row(row)


@strawberry.type(description="A blood-pressure reading, in mmHg.")
class BloodPressureReading:
    systolic: int = data(BLOOD_PRESSURE, SPECIAL)
    diastolic: int = data(BLOOD_PRESSURE, SPECIAL)
    pulse: int | None = data(PULSE, SPECIAL, description="Beats a minute, when measured.")
    taken_at: datetime = data(BLOOD_PRESSURE, SPECIAL)
    source: ReadingSource = data(BLOOD_PRESSURE, SPECIAL)


def blood_pressure(row: Record) -> BloodPressureReading:
    return BloodPressureReading(
        systolic=row["systolic"],
        diastolic=row["diastolic"],
        pulse=row["pulse"],
        taken_at=datetime.fromisoformat(row["taken_at"]),
        source=ReadingSource(row["source"]),
    )


@strawberry.type(description="A blood-glucose reading.")
class BloodGlucoseReading:
    mmol_per_l: float = data(BLOOD_GLUCOSE, SPECIAL, description="Millimoles per litre.")
    fasting: bool = data(BLOOD_GLUCOSE, SPECIAL)
    taken_at: datetime = data(BLOOD_GLUCOSE, SPECIAL)
    source: ReadingSource = data(BLOOD_GLUCOSE, SPECIAL)


def blood_glucose(row: Record) -> BloodGlucoseReading:
    return BloodGlucoseReading(
        mmol_per_l=row["mmol_per_l"],
        fasting=bool(row["fasting"]),
        taken_at=datetime.fromisoformat(row["taken_at"]),
        source=ReadingSource(row["source"]),
    )


@strawberry.type(description="A vaccination given.")
class Vaccination:
    vaccine: str = data(VACCINATION, SPECIAL, description="E.g. `Seasonal influenza`.")
    dose: int = data(VACCINATION, SPECIAL, description="The dose's number in its schedule.")
    given_on: date = data(VACCINATION, SPECIAL)
    snomed_code: str = data(VACCINATION, SPECIAL, description="SNOMED CT procedure concept id.")
    procedure: str = data(VACCINATION, SPECIAL, description="The SNOMED CT term.")


@strawberry.type(description="A sight test at an optometrist.")
class EyeTest:
    tested_on: date = data(EYE_TEST, SPECIAL)
    optometrist: str = data(EYE_TEST, SPECIAL)
    outcome: EyeTestOutcome = data(EYE_TEST, SPECIAL)
    summary: str = data(EYE_TEST, SPECIAL)


@strawberry.type(description="A long-term condition on the GP record.")
class LongTermCondition:
    snomed_code: str = data(CONDITION, SPECIAL, description="SNOMED CT disorder concept id.")
    term: str = data(CONDITION, SPECIAL)
    diagnosed_on: date = data(CONDITION, SPECIAL)


def _last(last: int) -> int:
    if not 1 <= last <= MAX_LAST:
        raise _bad_input(f"`last` must be between 1 and {MAX_LAST}")
    return last


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)
    gp_practice: GpPractice | None = data(
        REGISTRATION, description="The practice the citizen is registered with; null if none."
    )
    gp_registered_on: date | None = data(REGISTRATION)
    next_of_kin: str | None = data("user.contact.next_of_kin", description="Name, relation, phone.")

    @data(
        BLOOD_PRESSURE,
        SPECIAL,
        description="Newest first. Erasure removes only the readings the citizen submitted.",
    )
    async def blood_pressure_readings(
        self, info: strawberry.Info, last: Last = DEFAULT_LAST
    ) -> list[BloodPressureReading]:
        rows = await context(info).loaders["blood_pressure"].load((self.nin, _last(last)))
        return [blood_pressure(row) for row in rows]

    @data(
        BLOOD_GLUCOSE,
        SPECIAL,
        description="Newest first. Erasure removes only the readings the citizen submitted.",
    )
    async def blood_glucose_readings(
        self, info: strawberry.Info, last: Last = DEFAULT_LAST
    ) -> list[BloodGlucoseReading]:
        rows = await context(info).loaders["blood_glucose"].load((self.nin, _last(last)))
        return [blood_glucose(row) for row in rows]

    @data(VACCINATION, SPECIAL, description="Newest first.")
    async def vaccinations(self, info: strawberry.Info) -> list[Vaccination]:
        rows = await context(info).loaders["vaccinations"].load(self.nin)
        return [
            Vaccination(
                vaccine=codes.VACCINES[row["snomed_code"]].name,
                dose=row["dose"],
                given_on=date.fromisoformat(row["given_on"]),
                snomed_code=row["snomed_code"],
                procedure=codes.VACCINES[row["snomed_code"]].procedure.term,
            )
            for row in rows
        ]

    @data(EYE_TEST, SPECIAL, description="Newest first.")
    async def eye_tests(self, info: strawberry.Info) -> list[EyeTest]:
        rows = await context(info).loaders["eye_tests"].load(self.nin)
        return [
            EyeTest(
                tested_on=date.fromisoformat(row["tested_on"]),
                optometrist=row["optometrist"],
                outcome=EyeTestOutcome(row["outcome"]),
                summary=row["summary"],
            )
            for row in rows
        ]

    @data(CONDITION, SPECIAL, description="Coded with SNOMED CT, oldest diagnosis first.")
    async def long_term_conditions(self, info: strawberry.Info) -> list[LongTermCondition]:
        rows = await context(info).loaders["conditions"].load(self.nin)
        return [
            LongTermCondition(
                snomed_code=row["snomed_code"],
                term=codes.CONDITIONS[row["snomed_code"]].term,
                diagnosed_on=date.fromisoformat(row["diagnosed_on"]),
            )
            for row in rows
        ]

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, nin: str) -> Self:
        return await find(info, nin)  # type: ignore[return-value]


async def find(info: strawberry.Info, nin: str) -> Citizen:
    """The citizen with this NIN, or an error that says what was wrong with it."""
    row = await citizen_row(info, nin)
    registered = row["registered_on"]
    return Citizen(
        nin=strawberry.ID(row["nin"]),
        gp_practice=None if row["ods_code"] is None else practice_from_row(row),
        gp_registered_on=None if registered is None else date.fromisoformat(registered),
        next_of_kin=row["next_of_kin"],
    )


@strawberry.input(description="A blood-pressure reading taken at home, in mmHg.")
class HomeBloodPressureInput:
    systolic: int
    diastolic: int
    taken_at: datetime = strawberry.field(description="With a UTC offset; none means UTC.")
    pulse: int | None = strawberry.field(default=None, description="Beats a minute.")


@strawberry.input(description="A blood-glucose reading taken at home.")
class HomeBloodGlucoseInput:
    mmol_per_l: float = strawberry.field(description="Millimoles per litre.")
    fasting: bool
    taken_at: datetime = strawberry.field(description="With a UTC offset; none means UTC.")


@strawberry.type
class Query(rights_schema.query_type("nhs")):  # type: ignore[misc]
    @strawberry.field(description="One GP practice by ODS code; null when none is known.")
    async def gp_practice(
        self, info: strawberry.Info, ods_code: strawberry.ID
    ) -> GpPractice | None:
        return await find_practice(info, ods_code)

    @strawberry.field(description="GP practices in ODS code order, in one postcode district.")
    async def gp_practices(
        self, info: strawberry.Info, postcode_district: str | None = None
    ) -> list[GpPractice]:
        if postcode_district is None:
            rows = await context(info).store.fetch("SELECT * FROM gp_practices ORDER BY ods_code")
        else:
            district = postcode_district.strip().upper()
            if not POSTCODE_DISTRICT.fullmatch(district):
                raise _bad_input(f"{postcode_district!r} is not a postcode district, e.g. LS6")
            rows = await context(info).store.fetch(
                "SELECT * FROM gp_practices WHERE district = ? ORDER BY ods_code", [district]
            )
        return [practice_from_row(row) for row in rows]


@strawberry.type
class Mutation(rights_schema.mutation_type("nhs")):  # type: ignore[misc]
    @strawberry.mutation(
        name="nhsSubmitBloodPressure",
        description="A citizen submits a home blood-pressure reading; impossible values refused.",
    )
    async def submit_blood_pressure(
        self, info: strawberry.Info, nin: strawberry.ID, reading: HomeBloodPressureInput
    ) -> BloodPressureReading:
        row = await readings.add_blood_pressure(
            context(info).store,
            nin,
            reading.systolic,
            reading.diastolic,
            reading.pulse,
            reading.taken_at,
        )
        return blood_pressure(row)

    @strawberry.mutation(
        name="nhsSubmitBloodGlucose",
        description="A citizen submits a home blood-glucose reading; impossible values refused.",
    )
    async def submit_blood_glucose(
        self, info: strawberry.Info, nin: strawberry.ID, reading: HomeBloodGlucoseInput
    ) -> BloodGlucoseReading:
        store = context(info).store
        row = await readings.add_blood_glucose(
            store, nin, reading.mmol_per_l, reading.fasting, reading.taken_at
        )
        return blood_glucose(row)


schema = federated_schema(query=Query, mutation=Mutation, types=[Citizen, GpPractice])
