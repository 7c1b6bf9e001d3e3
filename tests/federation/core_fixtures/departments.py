"""Three small department subgraphs (strawberry) and their supergraph, for gateway tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.routing import Mount
from strawberry.asgi import GraphQL

NAMES = {"AA000001A": "Ada Lovelace", "AA000002B": "Alan Turing", "AA000003C": "Grace Hopper"}
HOUSEHOLDS = {"H1": ["AA000001A", "AA000002B"], "H2": ["AA000003C"]}
TAX_CODES = {"AA000001A": "1257L", "AA000002B": "BR", "AA000003C": None}


# -- identity --------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class Household:
    id: strawberry.ID

    @strawberry.field
    def members(self) -> list[Citizen]:
        return [Citizen(nino=n) for n in HOUSEHOLDS.get(str(self.id), [])]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Household:
        return cls(id=id)


@strawberry.federation.type(keys=["nino"])
class Citizen:
    nino: str

    @strawberry.field
    def name(self) -> str:
        return NAMES[self.nino]

    @strawberry.field
    def household(self) -> Household | None:
        for household, members in HOUSEHOLDS.items():
            if self.nino in members:
                return Household(id=strawberry.ID(household))
        return None

    @classmethod
    def resolve_reference(cls, nino: str) -> Citizen:
        return cls(nino=nino)


@strawberry.type
class IdentityQuery:
    @strawberry.field
    def citizen(self, nino: str) -> Citizen | None:
        return Citizen(nino=nino) if nino in NAMES else None

    @strawberry.field
    def citizens(self) -> list[Citizen]:
        return [Citizen(nino=n) for n in NAMES]


@strawberry.type
class IdentityMutation:
    @strawberry.mutation
    def rename(self, nino: str, name: str) -> str:
        if nino not in NAMES:
            raise ValueError(f"no citizen {nino}")
        return name


# -- hmrc ------------------------------------------------------------------------------------


@strawberry.federation.type(keys=["nino"], name="Citizen")
class TaxCitizen:
    nino: str

    @strawberry.field
    def tax_code(self) -> str | None:
        return TAX_CODES.get(self.nino)

    @strawberry.field
    def self_assessment(self) -> str | None:
        raise ValueError(f"self assessment record locked for {self.nino}")

    @classmethod
    def resolve_reference(cls, nino: str) -> TaxCitizen:
        return cls(nino=nino)


@strawberry.type
class HmrcQuery:
    @strawberry.field
    def tax_office(self) -> str:
        return "Cardiff"


@strawberry.type
class HmrcMutation:
    @strawberry.mutation
    def file_return(self, nino: str) -> bool:
        return nino in NAMES


# -- nhs -------------------------------------------------------------------------------------


@strawberry.type
class Vitals:
    blood_pressure: str | None


@strawberry.federation.type(keys=["nino"], name="Citizen")
class PatientCitizen:
    nino: str
    name: str = strawberry.federation.field(external=True)

    @strawberry.field
    def gp_practice(self) -> str:
        return f"Practice {self.nino[-1]}"

    @strawberry.federation.field(requires=["name"])
    def greeting(self) -> str:
        return f"Dear {self.name}"

    @strawberry.field
    def vitals(self) -> Vitals:
        reading = None if self.nino == "AA000002B" else "120/80"
        return Vitals(blood_pressure=reading)

    @strawberry.field
    def checked_vitals(self) -> Vitals | None:
        if self.nino == "AA000003C":
            return None
        return Vitals(blood_pressure=None if self.nino == "AA000002B" else "120/80")

    @classmethod
    def resolve_reference(cls, nino: str, name: str | None = None) -> PatientCitizen:
        return cls(nino=nino, name=name or "")


@strawberry.type
class NhsQuery:
    @strawberry.field
    def practices(self) -> list[str]:
        return ["Practice A", "Practice C"]


def schemas() -> dict[str, strawberry.federation.Schema]:
    return {
        "identity": strawberry.federation.Schema(
            query=IdentityQuery, mutation=IdentityMutation, types=[Household]
        ),
        "hmrc": strawberry.federation.Schema(
            query=HmrcQuery, mutation=HmrcMutation, types=[TaxCitizen]
        ),
        "nhs": strawberry.federation.Schema(query=NhsQuery, types=[PatientCitizen]),
    }


ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


class Recorder:
    """Records every GraphQL request body a subgraph receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def recording(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            chunks: list[bytes] = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            if body:
                self.requests.append(orjson.loads(body))
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            await app(scope, replay, send)

        return recording

    def entity_calls(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "_entities" in r.get("query", "")]


def app_for(schema: strawberry.federation.Schema, recorder: Recorder) -> Starlette:
    return Starlette(routes=[Mount("/graphql", recorder.wrap(GraphQL(schema)))])


SUPERGRAPH = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{
  query: Query
  mutation: Mutation
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, \
type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable \
on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable \
on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable \
on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA

type Citizen
  @join__type(graph: HMRC, key: "nino")
  @join__type(graph: IDENTITY, key: "nino")
  @join__type(graph: NHS, key: "nino")
{
  nino: String!
  taxCode: String @join__field(graph: HMRC)
  selfAssessment: String @join__field(graph: HMRC)
  name: String! @join__field(graph: IDENTITY) @join__field(graph: NHS, external: true)
  household: Household @join__field(graph: IDENTITY)
  gpPractice: String! @join__field(graph: NHS)
  greeting: String! @join__field(graph: NHS, requires: "name")
  vitals: Vitals! @join__field(graph: NHS)
  checkedVitals: Vitals @join__field(graph: NHS)
}

type Household @join__type(graph: IDENTITY, key: "id") {
  id: ID!
  members: [Citizen!]!
}

scalar join__FieldSet

enum join__Graph {
  HMRC @join__graph(name: "hmrc", url: "{hmrc}")
  IDENTITY @join__graph(name: "identity", url: "{identity}")
  NHS @join__graph(name: "nhs", url: "{nhs}")
}

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

type Query
  @join__type(graph: HMRC)
  @join__type(graph: IDENTITY)
  @join__type(graph: NHS)
{
  citizen(nino: String!): Citizen @join__field(graph: IDENTITY)
  citizens: [Citizen!]! @join__field(graph: IDENTITY)
  taxOffice: String! @join__field(graph: HMRC)
  practices: [String!]! @join__field(graph: NHS)
}

type Mutation @join__type(graph: HMRC) @join__type(graph: IDENTITY) {
  rename(nino: String!, name: String!): String! @join__field(graph: IDENTITY)
  fileReturn(nino: String!): Boolean! @join__field(graph: HMRC)
}

type Vitals @join__type(graph: NHS) {
  bloodPressure: String
}
"""


def supergraph(urls: dict[str, str]) -> str:
    sdl = SUPERGRAPH
    for name, url in urls.items():
        sdl = sdl.replace("{" + name + "}", url)
    return sdl
