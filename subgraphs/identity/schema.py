"""Identity's subgraph: the `Citizen` entity's home, keyed by National Insurance number."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Self

import strawberry
from graphql import GraphQLError

from subgraphs import rights_schema
from subgraphs.department import citizen_row, context, unless_unknown
from subgraphs.directives import PUBLIC, data
from subgraphs.federated import federated_schema
from subgraphs.people import is_valid_nin
from subgraphs.store import Row

NIN = "user.government_id.national_identification_number"
MAX_PAGE = 100


@strawberry.type(description="A postal address.")
class Address:
    line1: str = data("user.contact.address.street")
    town: str = data("user.contact.address.city")
    postcode: str = data("user.contact.address.postal_code")


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)
    given_name: str = data("user.name.first")
    family_name: str = data("user.name.last")
    date_of_birth: date = data("user.demographic.date_of_birth")
    address: Address = data("user.contact.address")
    email: str | None = data("user.contact.email")
    phone: str | None = data("user.contact.phone_number")
    nhs_number: str = data(
        "user.government_id.nhs_number", description="Ten digits, modulus-11 checked."
    )
    household_id: strawberry.Private[int]

    @data("user.demographic.household", description="Other people at the same address.")
    async def household(self, info: strawberry.Info) -> list[Citizen]:
        rows = await context(info).loaders["household"].load(self.household_id)
        return [from_row(row) for row in rows if row["nin"] != self.nin]

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, nin: str) -> Self:
        return await find(info, nin)  # type: ignore[return-value]


def from_row(row: Row) -> Citizen:
    return Citizen(
        nin=strawberry.ID(row["nin"]),
        given_name=row["given_name"],
        family_name=row["family_name"],
        date_of_birth=date.fromisoformat(row["date_of_birth"]),
        address=Address(line1=row["address_line"], town=row["town"], postcode=row["postcode"]),
        email=row["email"],
        phone=row["phone"],
        nhs_number=row["nhs_number"],
        household_id=row["household"],
    )


async def find(info: strawberry.Info, nin: str) -> Citizen:
    """The citizen with this NIN, or an error that says what was wrong with it."""
    row = await citizen_row(info, nin)
    return from_row(row)


@strawberry.type(description="One page of citizens, in NI number order.")
class CitizenPage:
    citizens: list[Citizen] = data(NIN)
    end_cursor: str | None = data(NIN, description="Pass as `after` for the next page.")
    has_next_page: bool = data("system.operations", PUBLIC)


def _cursor(nin: str) -> str:
    return base64.urlsafe_b64encode(nin.encode()).decode()


def _after(cursor: str | None) -> str:
    if cursor is None:
        return ""
    try:
        nin = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        nin = ""
    if not is_valid_nin(nin):
        raise GraphQLError(
            "`after` is not a cursor from this API", extensions={"code": "BAD_USER_INPUT"}
        )
    return nin


@strawberry.type
class Query(rights_schema.query_type("identity")):  # type: ignore[misc]
    @strawberry.field(description="One citizen by NI number; null when none is known.")
    async def citizen(self, info: strawberry.Info, nin: strawberry.ID) -> Citizen | None:
        return await unless_unknown(find(info, nin))

    @strawberry.field(description=f"Citizens in NI number order, at most {MAX_PAGE} a page.")
    async def citizens(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> CitizenPage:
        if not 1 <= first <= MAX_PAGE:
            raise GraphQLError(
                f"`first` must be between 1 and {MAX_PAGE}", extensions={"code": "BAD_USER_INPUT"}
            )
        rows = await context(info).store.fetch(
            "SELECT * FROM citizens WHERE nin > ? ORDER BY nin LIMIT ?", [_after(after), first + 1]
        )
        page = [from_row(row) for row in rows[:first]]
        return CitizenPage(
            citizens=page,
            end_cursor=_cursor(page[-1].nin) if page else None,
            has_next_page=len(rows) > first,
        )


Mutation = rights_schema.mutation_type("identity")

schema = federated_schema(query=Query, mutation=Mutation, types=[Citizen])
