"""The council's subgraph: council tax, housing and Blue Badges of the citizen's local authority."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Self

import strawberry
from graphql import GraphQLError

from subgraphs import rights, rights_schema
from subgraphs.department import citizen_row, context, unless_unknown
from subgraphs.directives import SPECIAL, data
from subgraphs.federated import federated_schema
from subgraphs.people import is_valid_nin
from subgraphs.store import Row

NIN = "user.government_id.national_identification_number"
COUNCIL_TAX = "user.financial.council_tax"
HOUSING = "user.demographic.housing"
BLUE_BADGE = "user.health_and_medical.disability.blue_badge"
RENEWAL_WINDOW = timedelta(weeks=12)
"""A Blue Badge can be renewed in the twelve weeks before it expires."""


@strawberry.enum(description="Council tax valuation band (A-H; Wales also has I).")
class CouncilTaxBand(Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    H = "H"
    I = "I"  # noqa: E741 - the band's real name


@strawberry.enum(description="Where a council tax account stands.")
class CouncilTaxStatus(Enum):
    PAYING = "PAYING"
    ARREARS = "ARREARS"
    EXEMPT = "EXEMPT"
    SINGLE_PERSON_DISCOUNT = "SINGLE_PERSON_DISCOUNT"


@strawberry.enum(description="On what terms a household occupies its home.")
class Tenure(Enum):
    OWNER_OCCUPIER = "OWNER_OCCUPIER"
    PRIVATE_RENT = "PRIVATE_RENT"
    HOUSING_ASSOCIATION = "HOUSING_ASSOCIATION"
    COUNCIL_TENANT = "COUNCIL_TENANT"


@strawberry.enum(description="An application on the council's housing register.")
class HousingRegisterStatus(Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    OFFER_MADE = "OFFER_MADE"


@strawberry.enum(description="Housing need priority band: A is the most urgent.")
class HousingNeedBand(Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


@strawberry.enum(description="Whether a citizen holds a Blue Badge from the council.")
class BlueBadgeStatus(Enum):
    NONE = "NONE"
    APPLIED = "APPLIED"
    ISSUED = "ISSUED"
    EXPIRED = "EXPIRED"


@strawberry.type(description="A council tax instalment of the 2026-27 bill.")
class CouncilTaxInstalment:
    due_on: date = data(COUNCIL_TAX)
    amount: Decimal = data(COUNCIL_TAX, description="Pounds.")
    paid_on: date | None = data(COUNCIL_TAX)


@strawberry.type(description="The council tax account of the dwelling a citizen is liable for.")
class CouncilTaxAccount:
    reference: str = data(f"{COUNCIL_TAX}.account_reference")
    band: CouncilTaxBand = data(COUNCIL_TAX)
    status: CouncilTaxStatus = data(COUNCIL_TAX)
    annual_charge: Decimal = data(COUNCIL_TAX, description="2026-27, after discounts, pounds.")
    balance: Decimal = data(COUNCIL_TAX, description="Instalments due and unpaid, pounds.")
    household: strawberry.Private[int]

    @data(COUNCIL_TAX, description="The year's instalments, paid or due.")
    async def instalments(self, info: strawberry.Info) -> list[CouncilTaxInstalment]:
        rows = await context(info).loaders["instalments"].load(self.household)
        return [
            CouncilTaxInstalment(
                due_on=date.fromisoformat(row["due_on"]),
                amount=Decimal(row["amount"]),
                paid_on=_optional_date(row["paid_on"]),
            )
            for row in rows
        ]


@strawberry.type(description="A citizen's application for social housing.")
class HousingRegisterEntry:
    status: HousingRegisterStatus = data(f"{HOUSING}.register")
    band: HousingNeedBand = data(f"{HOUSING}.register")
    registered_on: date = data(f"{HOUSING}.register")


@strawberry.type(description="A Blue Badge: parking for disabled people (implies disability).")
class BlueBadge:
    status: BlueBadgeStatus = data(BLUE_BADGE, SPECIAL)
    number: str | None = data(BLUE_BADGE, SPECIAL, description="Issuing council's code, serial.")
    applied_on: date | None = data(BLUE_BADGE, SPECIAL)
    issued_on: date | None = data(BLUE_BADGE, SPECIAL)
    expires_on: date | None = data(BLUE_BADGE, SPECIAL, description="Three years after issue.")


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _badge(row: Row, prefix: str = "badge_") -> BlueBadge:
    status = row[f"{prefix}status"]
    if status is None:
        return BlueBadge(
            status=BlueBadgeStatus.NONE,
            number=None,
            applied_on=None,
            issued_on=None,
            expires_on=None,
        )
    return BlueBadge(
        status=BlueBadgeStatus(status),
        number=row[f"{prefix}number"],
        applied_on=_optional_date(row[f"{prefix}applied_on"]),
        issued_on=_optional_date(row[f"{prefix}issued_on"]),
        expires_on=_optional_date(row[f"{prefix}expires_on"]),
    )


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)
    local_authority: str | None = data(
        "user.location.imprecise.local_authority",
        description="The council for the citizen's address, e.g. Leeds City Council.",
    )
    council_tax: CouncilTaxAccount | None = data(
        COUNCIL_TAX, description="Null for under-18s and in Northern Ireland (domestic rates)."
    )
    tenure: Tenure | None = data(f"{HOUSING}.tenure")
    housing_register: HousingRegisterEntry | None = data(f"{HOUSING}.register")
    blue_badge: BlueBadge = data(BLUE_BADGE, SPECIAL)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, nin: str) -> Self:
        return await find(info, nin)  # type: ignore[return-value]


def from_row(row: Row) -> Citizen:
    account = None
    if row["reference"] is not None:
        account = CouncilTaxAccount(
            reference=row["reference"],
            band=CouncilTaxBand(row["band"]),
            status=CouncilTaxStatus(row["tax_status"]),
            annual_charge=Decimal(row["annual_charge"]),
            balance=Decimal(row["balance"]),
            household=row["household"],
        )
    register = None
    if row["register_status"] is not None:
        register = HousingRegisterEntry(
            status=HousingRegisterStatus(row["register_status"]),
            band=HousingNeedBand(row["register_band"]),
            registered_on=date.fromisoformat(row["registered_on"]),
        )
    return Citizen(
        nin=strawberry.ID(row["nin"]),
        local_authority=row["council"],
        council_tax=account,
        tenure=Tenure(row["tenure"]) if row["tenure"] else None,
        housing_register=register,
        blue_badge=_badge(row),
    )


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


async def find(info: strawberry.Info, nin: str) -> Citizen:
    """The citizen with this NIN, or an error that says what was wrong with it."""
    return from_row(await citizen_row(info, nin))


@strawberry.type
class Query(rights_schema.query_type("council")):  # type: ignore[misc]
    @strawberry.field(
        name="councilCitizen",
        description="What the council holds on one citizen; null when none is known.",
    )
    async def citizen(self, info: strawberry.Info, nin: strawberry.ID) -> Citizen | None:
        return await unless_unknown(find(info, nin))


_RightsMutation = rights_schema.mutation_type("council")


@strawberry.type(name="Mutation")
class Mutation(_RightsMutation):  # type: ignore[misc, valid-type]
    @strawberry.mutation(
        name="councilRequestCorrection",
        description="Ask the council to correct a field it holds about a citizen.",
    )
    async def request_correction(
        self,
        info: strawberry.Info,
        nin: strawberry.ID,
        field: str,
        correction: str,
        reason: str | None = None,
    ) -> rights.RightsRequest:
        if field == "Citizen.tenure":
            if correction not in Tenure.__members__:
                allowed = ", ".join(Tenure.__members__)
                raise _bad_input(f"{correction!r} is not a tenure; it is one of {allowed}")
            if is_valid_nin(nin) and (await citizen_row(info, nin))["nation"] == "NORTHERN_IRELAND":
                raise _bad_input("the council holds no tenure for a home in Northern Ireland")
        ctx = context(info)
        return await rights.request_correction(
            ctx.store, ctx.rights, nin, field, correction, reason
        )

    @strawberry.mutation(
        name="councilApplyForBlueBadge",
        description="Apply for a Blue Badge, or renew one in the 12 weeks before it expires.",
    )
    async def apply_for_blue_badge(self, info: strawberry.Info, nin: strawberry.ID) -> BlueBadge:
        row = await citizen_row(info, nin)
        store = context(info).store
        if row["nation"] == "NORTHERN_IRELAND":
            raise GraphQLError(
                "Blue Badges in Northern Ireland are issued by the Department for Infrastructure",
                extensions={"code": "NOT_THIS_COUNCIL"},
            )
        today = date.today()
        renewable_from = (today + RENEWAL_WINDOW).isoformat()
        changed = await store.execute(
            "INSERT INTO blue_badges (nin, status, applied_on) VALUES (?, 'APPLIED', ?)"
            " ON CONFLICT (nin) DO UPDATE SET status = 'APPLIED', applied_on = excluded.applied_on"
            " WHERE blue_badges.status = 'EXPIRED'"
            " OR (blue_badges.status = 'ISSUED' AND blue_badges.expires_on <= ?)",
            [nin, today.isoformat(), renewable_from],
        )
        rows = await store.fetch("SELECT * FROM blue_badges WHERE nin = ?", [nin])
        badge = _badge(rows[0], prefix="")
        if not changed:
            if badge.status is BlueBadgeStatus.APPLIED:
                message = f"an application made on {badge.applied_on} is being assessed"
                raise GraphQLError(message, extensions={"code": "ALREADY_APPLIED"})
            raise GraphQLError(
                f"badge {badge.number} is valid until {badge.expires_on}; it can be renewed"
                f" from {badge.expires_on - RENEWAL_WINDOW if badge.expires_on else today}",
                extensions={"code": "BADGE_STILL_VALID"},
            )
        return badge


schema = federated_schema(
    query=Query, mutation=Mutation, types=[Citizen, CouncilTaxAccount, BlueBadge]
)
