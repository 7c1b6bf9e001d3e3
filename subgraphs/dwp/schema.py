"""DWP's subgraph: the benefit claims DWP holds about a `Citizen`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Self

import strawberry
from graphql import GraphQLError

from subgraphs import rights_schema
from subgraphs.department import citizen_row, context, unless_unknown
from subgraphs.directives import SPECIAL, data
from subgraphs.dwp.store import PIP_DAILY_LIVING, PIP_MOBILITY, add_months, state_pension_date
from subgraphs.federated import federated_schema
from subgraphs.store import Row

NIN = "user.government_id.national_identification_number"
UC = "user.financial.benefits.universal_credit"
PIP = "user.health_and_medical.disability.personal_independence_payment"
STATE_PENSION = "user.financial.benefits.state_pension"
NEW_SCHEME_FROM = date(2016, 4, 6)
EARLIEST_CLAIM_MONTHS = 4


def pounds(pence: int | None) -> Decimal | None:
    return None if pence is None else Decimal(pence).scaleb(-2)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@strawberry.enum(description="Where a DWP benefit claim stands.")
class DwpClaimStatus(Enum):
    APPLIED = "APPLIED"
    IN_PAYMENT = "IN_PAYMENT"
    SUSPENDED = "SUSPENDED"
    ENDED = "ENDED"


@strawberry.enum(description="The rate of a PIP component.")
class PipRate(Enum):
    STANDARD = "STANDARD"
    ENHANCED = "ENHANCED"


@strawberry.enum(description="NEW for State Pension age from 6 April 2016, BASIC before.")
class StatePensionScheme(Enum):
    NEW = "NEW"
    BASIC = "BASIC"


@strawberry.type(description="One monthly Universal Credit assessment period.")
class UniversalCreditAssessmentPeriod:
    starts_on: date = data(f"{UC}.assessment_period")
    ends_on: date = data(f"{UC}.assessment_period")


@strawberry.type(description="A Universal Credit claim; the award is a month's, in pounds.")
class UniversalCreditClaim:
    status: DwpClaimStatus = data(f"{UC}.status")
    claimed_on: date = data(f"{UC}.dates")
    awarded_on: date | None = data(f"{UC}.dates")
    monthly_award: Decimal | None = data(f"{UC}.amount", description="Null until awarded.")
    assessment_period: UniversalCreditAssessmentPeriod | None = data(
        f"{UC}.assessment_period", description="The current period of a live claim."
    )
    next_review_on: date | None = data(f"{UC}.dates")
    ended_on: date | None = data(f"{UC}.dates")


@strawberry.type(
    description="A Personal Independence Payment claim. Special category data: it reveals"
    " a disability or long-term health condition. Amounts are weekly, in pounds."
)
class PersonalIndependencePaymentClaim:
    status: DwpClaimStatus = data(f"{PIP}.status", SPECIAL)
    claimed_on: date = data(f"{PIP}.dates", SPECIAL)
    awarded_on: date | None = data(f"{PIP}.dates", SPECIAL)
    daily_living_rate: PipRate | None = data(f"{PIP}.daily_living", SPECIAL)
    daily_living_weekly: Decimal | None = data(f"{PIP}.daily_living", SPECIAL)
    mobility_rate: PipRate | None = data(f"{PIP}.mobility", SPECIAL)
    mobility_weekly: Decimal | None = data(f"{PIP}.mobility", SPECIAL)
    review_on: date | None = data(f"{PIP}.dates", SPECIAL)
    ended_on: date | None = data(f"{PIP}.dates", SPECIAL)


@strawberry.type(description="A State Pension claim; the amount is weekly, in pounds.")
class StatePensionClaim:
    scheme: StatePensionScheme = data(f"{STATE_PENSION}.scheme")
    status: DwpClaimStatus = data(f"{STATE_PENSION}.status")
    claimed_on: date = data(f"{STATE_PENSION}.dates")
    awarded_on: date | None = data(f"{STATE_PENSION}.dates")
    weekly_amount: Decimal | None = data(
        f"{STATE_PENSION}.amount", description="Null until awarded."
    )


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)
    state_pension: StatePensionClaim | None = data(
        STATE_PENSION, description="Null when no claim has been made."
    )
    dwp_reminder_phone: str | None = data(
        "user.contact.phone_number", description="Mobile number for appointment reminders."
    )

    @data(UC, description="Universal Credit claims, latest first.")
    async def universal_credit_claims(self, info: strawberry.Info) -> list[UniversalCreditClaim]:
        rows = await context(info).loaders["uc_claims"].load(self.nin)
        return [_universal_credit(row) for row in rows]

    @data(PIP, SPECIAL, description="Personal Independence Payment claims, latest first.")
    async def personal_independence_payment_claims(
        self, info: strawberry.Info
    ) -> list[PersonalIndependencePaymentClaim]:
        rows = await context(info).loaders["pip_claims"].load(self.nin)
        return [_pip(row) for row in rows]

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, nin: str) -> Self:
        return await find(info, nin)  # type: ignore[return-value]


def _universal_credit(row: Row) -> UniversalCreditClaim:
    period = None
    if row["period_starts_on"] is not None:
        period = UniversalCreditAssessmentPeriod(
            starts_on=date.fromisoformat(row["period_starts_on"]),
            ends_on=date.fromisoformat(row["period_ends_on"]),
        )
    return UniversalCreditClaim(
        status=DwpClaimStatus(row["status"]),
        claimed_on=date.fromisoformat(row["claimed_on"]),
        awarded_on=_date(row["awarded_on"]),
        monthly_award=pounds(row["monthly"]),
        assessment_period=period,
        next_review_on=_date(row["review_on"]),
        ended_on=_date(row["ended_on"]),
    )


def _pip(row: Row) -> PersonalIndependencePaymentClaim:
    daily, mobility = row["daily_living"], row["mobility"]
    return PersonalIndependencePaymentClaim(
        status=DwpClaimStatus(row["status"]),
        claimed_on=date.fromisoformat(row["claimed_on"]),
        awarded_on=_date(row["awarded_on"]),
        daily_living_rate=PipRate(daily) if daily else None,
        daily_living_weekly=pounds(PIP_DAILY_LIVING[daily]) if daily else None,
        mobility_rate=PipRate(mobility) if mobility else None,
        mobility_weekly=pounds(PIP_MOBILITY[mobility]) if mobility else None,
        review_on=_date(row["review_on"]),
        ended_on=_date(row["ended_on"]),
    )


def _state_pension(row: Row) -> StatePensionClaim | None:
    if row["scheme"] is None:
        return None
    return StatePensionClaim(
        scheme=StatePensionScheme(row["scheme"]),
        status=DwpClaimStatus(row["status"]),
        claimed_on=date.fromisoformat(row["claimed_on"]),
        awarded_on=_date(row["awarded_on"]),
        weekly_amount=pounds(row["weekly"]),
    )


def from_row(row: Row) -> Citizen:
    return Citizen(
        nin=strawberry.ID(row["nin"]),
        state_pension=_state_pension(row),
        dwp_reminder_phone=row["reminder_phone"],
    )


async def find(info: strawberry.Info, nin: str) -> Citizen:
    """The citizen with this NIN, or an error that says what was wrong with it."""
    return from_row(await citizen_row(info, nin))


@strawberry.type
class Query(rights_schema.query_type("dwp")):  # type: ignore[misc]
    @strawberry.field(description="What DWP holds about one citizen; null when none is known.")
    async def dwp_citizen(self, info: strawberry.Info, nin: strawberry.ID) -> Citizen | None:
        return await unless_unknown(find(info, nin))


def _already_claimed(nin: str) -> GraphQLError:
    return GraphQLError(
        f"{nin} has already claimed the State Pension", extensions={"code": "ALREADY_CLAIMED"}
    )


async def claim_state_pension(info: strawberry.Info, nin: str) -> StatePensionClaim:
    """Record a claim, from four months before State Pension age, if none exists."""
    row = await citizen_row(info, nin)
    if row["scheme"] is not None:
        raise _already_claimed(nin)
    due = state_pension_date(date.fromisoformat(row["date_of_birth"]))
    opens = add_months(due, -EARLIEST_CLAIM_MONTHS)
    today = date.today()
    if today < opens:
        raise GraphQLError(
            f"{nin} reaches State Pension age on {due.isoformat()} (Pensions Act 1995, Schedule 4,"
            f" as amended by the Pensions Act 2014); a claim can be made from"
            f" {opens.isoformat()}",
            extensions={"code": "NOT_ELIGIBLE"},
        )
    scheme = StatePensionScheme.NEW if due >= NEW_SCHEME_FROM else StatePensionScheme.BASIC
    added = await context(info).store.execute(
        "INSERT INTO state_pensions VALUES (?, ?, 'APPLIED', ?, NULL, NULL) ON CONFLICT DO NOTHING",
        [nin, scheme.value, today.isoformat()],
    )
    if not added:  # claimed by a request that ran alongside this one
        raise _already_claimed(nin)
    return StatePensionClaim(
        scheme=scheme,
        status=DwpClaimStatus.APPLIED,
        claimed_on=today,
        awarded_on=None,
        weekly_amount=None,
    )


@strawberry.type
class Mutation(rights_schema.mutation_type("dwp")):  # type: ignore[misc]
    @strawberry.mutation(
        description="Claim the State Pension: from four months before State Pension age,"
        " once; refused with the date a claim can be made."
    )
    async def dwp_claim_state_pension(
        self, info: strawberry.Info, nin: strawberry.ID
    ) -> StatePensionClaim:
        return await claim_state_pension(info, nin)


schema = federated_schema(
    query=Query,
    mutation=Mutation,
    types=[Citizen, UniversalCreditClaim, PersonalIndependencePaymentClaim, StatePensionClaim],
)
