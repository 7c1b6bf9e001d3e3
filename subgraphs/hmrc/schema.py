"""HMRC's subgraph: what HMRC holds about a `Citizen` for income tax."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Self

import strawberry
from graphql import GraphQLError

from subgraphs import rights_schema
from subgraphs.department import citizen_row, context, unless_unknown
from subgraphs.directives import data
from subgraphs.federated import federated_schema
from subgraphs.hmrc.store import (
    CURRENT_YEAR_LABEL,
    self_assessment_due_on,
    tax_year_label,
    tax_year_start,
    utr,
)
from subgraphs.store import Row

NIN = "user.government_id.national_identification_number"
TAX = "user.financial.tax"
INCOME = "user.financial.income"
SA = f"{TAX}.self_assessment"


def pounds(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


@strawberry.enum(description="Whether PAYE income is pay from a job or a pension.")
class PayeIncomeKind(Enum):
    EMPLOYMENT = "EMPLOYMENT"
    PENSION = "PENSION"


@strawberry.enum(description="Whether a citizen is registered for Self Assessment.")
class SelfAssessmentStatus(Enum):
    NOT_REGISTERED = "NOT_REGISTERED"
    REGISTERED = "REGISTERED"


@strawberry.enum(description="Where the latest Self Assessment return stands.")
class SelfAssessmentReturnStatus(Enum):
    OUTSTANDING = "OUTSTANDING"
    FILED = "FILED"
    OVERDUE = "OVERDUE"


@strawberry.type(description="An employment or pension paid through PAYE this tax year.")
class PayeEmployment:
    tax_year: str = data(f"{TAX}.year", description="The tax year, e.g. `2026-27`.")
    kind: PayeIncomeKind = data(f"{INCOME}.source")
    employer_name: str = data(
        "user.workplace.employer", description="The employer, or the pension scheme that pays."
    )
    paye_reference: str = data(
        "user.workplace.employer.paye_reference", description="Tax office number / reference."
    )
    tax_code: str = data(f"{TAX}.code")
    started_on: date = data("user.workplace.employment_dates")
    ended_on: date | None = data("user.workplace.employment_dates")
    pay_to_date: Decimal = data(f"{INCOME}.pay_to_date", description="Pounds, this tax year.")
    tax_to_date: Decimal = data(f"{TAX}.paid_to_date", description="Pounds, this tax year.")


@strawberry.type(description="A citizen's Self Assessment registration and latest return.")
class SelfAssessment:
    status: SelfAssessmentStatus = data(SA)
    utr: str | None = data(
        "user.government_id.unique_taxpayer_reference",
        description="Unique Taxpayer Reference: ten digits, the first a check digit.",
    )
    registered_on: date | None = data(SA)
    return_tax_year: str | None = data(SA, description="The tax year of the latest return due.")
    return_status: SelfAssessmentReturnStatus | None = data(SA)
    return_due_on: date | None = data(SA, description="31 January after the tax year ends.")
    return_filed_on: date | None = data(SA)


NOT_REGISTERED = SelfAssessment(
    status=SelfAssessmentStatus.NOT_REGISTERED,
    utr=None,
    registered_on=None,
    return_tax_year=None,
    return_status=None,
    return_due_on=None,
    return_filed_on=None,
)


@strawberry.type(description="Taxable income in one completed tax year, in pounds.")
class TaxYearIncome:
    tax_year: str = data(f"{TAX}.year", description="The tax year, e.g. `2025-26`.")
    employment: Decimal = data(f"{INCOME}.employment")
    self_employment: Decimal = data(f"{INCOME}.self_employment")
    pension: Decimal = data(f"{INCOME}.pension", description="Including the State Pension.")
    property: Decimal = data(f"{INCOME}.property")
    total: Decimal = data(INCOME)


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)
    tax_code: str | None = data(
        f"{TAX}.code", description="The code on the main employment or pension; null if none."
    )
    self_assessment: SelfAssessment = data(SA)
    hmrc_notification_email: str | None = data(
        "user.contact.email", description="Where HMRC sends paperless notices, if opted in."
    )

    @data(f"{TAX}.paye", description=f"PAYE employments and pensions in {CURRENT_YEAR_LABEL}.")
    async def paye_employments(self, info: strawberry.Info) -> list[PayeEmployment]:
        rows = await context(info).loaders["paye_incomes"].load(self.nin)
        return [_employment(row) for row in rows]

    @data(INCOME, description="Income in recent completed tax years, latest first.")
    async def income_by_tax_year(self, info: strawberry.Info) -> list[TaxYearIncome]:
        rows = await context(info).loaders["incomes"].load(self.nin)
        return [_income(row) for row in rows]

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, nin: str) -> Self:
        return await find(info, nin)  # type: ignore[return-value]


def _self_assessment(row: Row) -> SelfAssessment:
    if row["utr"] is None:
        return NOT_REGISTERED
    filed = row["return_filed_on"]
    return SelfAssessment(
        status=SelfAssessmentStatus.REGISTERED,
        utr=row["utr"],
        registered_on=date.fromisoformat(row["registered_on"]),
        return_tax_year=row["return_tax_year"],
        return_status=SelfAssessmentReturnStatus(row["return_status"]),
        return_due_on=date.fromisoformat(row["return_due_on"]),
        return_filed_on=date.fromisoformat(filed) if filed else None,
    )


def _employment(row: Row) -> PayeEmployment:
    ended = row["ended_on"]
    return PayeEmployment(
        tax_year=CURRENT_YEAR_LABEL,
        kind=PayeIncomeKind(row["kind"]),
        employer_name=row["payer"],
        paye_reference=row["paye_reference"],
        tax_code=row["tax_code"],
        started_on=date.fromisoformat(row["started_on"]),
        ended_on=date.fromisoformat(ended) if ended else None,
        pay_to_date=pounds(row["pay_to_date"]),
        tax_to_date=pounds(row["tax_to_date"]),
    )


def _income(row: Row) -> TaxYearIncome:
    parts = [row[k] for k in ("employment", "self_employment", "pension", "property")]
    return TaxYearIncome(
        tax_year=row["tax_year"],
        employment=pounds(parts[0]),
        self_employment=pounds(parts[1]),
        pension=pounds(parts[2]),
        property=pounds(parts[3]),
        total=pounds(sum(parts)),
    )


def from_row(row: Row) -> Citizen:
    return Citizen(
        nin=strawberry.ID(row["nin"]),
        tax_code=row["tax_code"],
        self_assessment=_self_assessment(row),
        hmrc_notification_email=row["paperless_email"],
    )


async def find(info: strawberry.Info, nin: str) -> Citizen:
    """The citizen with this NIN, or an error that says what was wrong with it."""
    row = await citizen_row(info, nin)
    return from_row(row)


@strawberry.type
class Query(rights_schema.query_type("hmrc")):  # type: ignore[misc]
    @strawberry.field(description="What HMRC holds about one citizen; null when none is known.")
    async def hmrc_citizen(self, info: strawberry.Info, nin: strawberry.ID) -> Citizen | None:
        return await unless_unknown(find(info, nin))


def _already_registered(nin: str) -> GraphQLError:
    return GraphQLError(
        f"{nin} is already registered for Self Assessment",
        extensions={"code": "ALREADY_REGISTERED"},
    )


async def register_for_self_assessment(info: strawberry.Info, nin: str) -> SelfAssessment:
    """Register a citizen with a fresh UTR; their first return is for the current tax year."""
    citizen = await find(info, nin)
    if citizen.self_assessment.status is SelfAssessmentStatus.REGISTERED:
        raise _already_registered(nin)
    store = context(info).store
    today = date.today()
    year = tax_year_start(today)
    for _ in range(5):  # a fresh random UTR almost never collides; retry when it does
        added = await store.execute(
            "INSERT INTO self_assessments VALUES (?, ?, ?, ?, 'OUTSTANDING', ?, NULL)"
            " ON CONFLICT DO NOTHING",
            [
                nin,
                utr(secrets.randbelow(1_000_000_000)),
                today.isoformat(),
                tax_year_label(year),
                self_assessment_due_on(year).isoformat(),
            ],
        )
        rows = await store.fetch("SELECT * FROM self_assessments WHERE nin = ?", [nin])
        if added:
            return _self_assessment(rows[0])
        if rows:  # registered by a request that ran alongside this one
            raise _already_registered(nin)
    raise GraphQLError("could not allot a Unique Taxpayer Reference; try again")


@strawberry.type
class Mutation(rights_schema.mutation_type("hmrc")):  # type: ignore[misc]
    @strawberry.mutation(
        description="Register a citizen for Self Assessment and allot a Unique Taxpayer"
        " Reference; refused when they are already registered."
    )
    async def hmrc_register_for_self_assessment(
        self, info: strawberry.Info, nin: strawberry.ID
    ) -> SelfAssessment:
        return await register_for_self_assessment(info, nin)


schema = federated_schema(
    query=Query, mutation=Mutation, types=[Citizen, PayeEmployment, TaxYearIncome]
)
