"""Reading join-spec supergraphs: the model, the API schema and composed directives."""

from __future__ import annotations

import pytest
from graphql import build_schema, print_ast

from federation.supergraph import SupergraphError, parse_supergraph

HEADER = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
  @link(url: "https://joinedup.example/data/v1.0", import: ["@dataCategory"])
{
  query: Query
}

directive @dataCategory(name: String!, sensitivity: Sensitivity = PERSONAL) on FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION \
| SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
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
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph {
  DVLA @join__graph(name: "dvla", url: "http://dvla:4000/graphql")
  IDENTITY @join__graph(name: "identity", url: "http://identity:4000/graphql")
  NHS @join__graph(name: "nhs", url: "http://nhs:4000/graphql")
}
"""

BODY = """
enum Sensitivity @join__type(graph: NHS) {
  PERSONAL @join__enumValue(graph: NHS)
  SPECIAL @join__enumValue(graph: NHS)
}

type Query @join__type(graph: DVLA) @join__type(graph: IDENTITY) @join__type(graph: NHS) {
  citizen(nino: String!): Citizen @join__field(graph: IDENTITY)
  audit: String @join__field(graph: IDENTITY) @inaccessible
}

type Citizen
  @join__type(graph: IDENTITY, key: "nino")
  @join__type(graph: NHS, key: "nino")
  @join__type(graph: NHS, key: "nhsNumber")
  @join__type(graph: DVLA, key: "nino", resolvable: false)
{
  nino: String!
  nhsNumber: String! @join__field(graph: NHS)
  name: String! @join__field(graph: IDENTITY) @join__field(graph: NHS, external: true)
  greeting: String @join__field(graph: NHS, requires: "name")
  bloodPressure: String
    @join__field(graph: NHS)
    @dataCategory(name: "user.health.vitals", sensitivity: SPECIAL)
  licence: Licence @join__field(graph: DVLA)
  internalFlag: Boolean @join__field(graph: IDENTITY) @inaccessible
  secretNote: Secret @join__field(graph: IDENTITY)
}

type Licence @join__type(graph: DVLA) {
  number: String!
}

type Secret @join__type(graph: IDENTITY) @inaccessible {
  text: String
}
"""


def test_subgraph_urls_from_join_graph() -> None:
    supergraph = parse_supergraph(HEADER + BODY)
    assert supergraph.subgraph_urls == {
        "dvla": "http://dvla:4000/graphql",
        "identity": "http://identity:4000/graphql",
        "nhs": "http://nhs:4000/graphql",
    }


def test_keys_per_subgraph_with_resolvable_flag() -> None:
    citizen = parse_supergraph(HEADER + BODY).types["Citizen"]
    assert citizen.kind == "OBJECT"
    assert citizen.graphs == ("identity", "nhs", "dvla")
    assert [(k.graph, k.fields, k.resolvable) for k in citizen.keys] == [
        ("identity", "nino", True),
        ("nhs", "nino", True),
        ("nhs", "nhsNumber", True),
        ("dvla", "nino", False),
    ]
    assert [k.fields for k in citizen.keys_in("dvla", resolvable_only=True)] == []


def test_field_owners_external_and_requires() -> None:
    citizen = parse_supergraph(HEADER + BODY).types["Citizen"]
    assert citizen.fields["nino"].graphs == ("identity", "nhs", "dvla")
    assert citizen.fields["name"].graphs == ("identity",)
    assert citizen.fields["name"].external == frozenset({"nhs"})
    assert citizen.fields["greeting"].requires == {"nhs": "name"}
    assert citizen.fields["licence"].type == "Licence"
    assert citizen.fields["internalFlag"].inaccessible


def test_api_schema_has_no_join_types_and_no_inaccessible_elements() -> None:
    supergraph = parse_supergraph(HEADER + BODY)
    schema = supergraph.api_schema
    names = set(schema.type_map)
    assert not {n for n in names if n.startswith(("join__", "link__"))}
    assert "Secret" not in names
    citizen = schema.get_type("Citizen")
    assert "internalFlag" not in citizen.fields  # type: ignore[union-attr]
    assert "secretNote" not in citizen.fields  # type: ignore[union-attr]
    assert "audit" not in schema.query_type.fields  # type: ignore[union-attr]
    assert {d.name for d in schema.directives} >= {"dataCategory", "skip", "include"}
    assert not {d.name for d in schema.directives} & {"join__field", "link", "inaccessible"}
    assert "join__" not in supergraph.api_sdl
    assert "@inaccessible" not in supergraph.api_sdl
    assert "internalFlag" not in supergraph.api_sdl


def test_composed_directives_in_api_sdl_and_field_directives() -> None:
    supergraph = parse_supergraph(HEADER + BODY)
    assert (
        'bloodPressure: String @dataCategory(name: "user.health.vitals", sensitivity: SPECIAL)'
        in supergraph.api_sdl
    )
    assert "directive @dataCategory(" in supergraph.api_sdl
    rebuilt = build_schema(supergraph.api_sdl)
    assert set(rebuilt.type_map) == set(supergraph.api_schema.type_map)
    [directive] = supergraph.field_directives("Citizen", "bloodPressure")
    assert print_ast(directive) == '@dataCategory(name: "user.health.vitals", sensitivity: SPECIAL)'
    assert supergraph.field_directives("Citizen", "nino") == ()


def test_descriptions_name_department_and_data_category() -> None:
    schema = parse_supergraph(HEADER + BODY).api_schema
    fields = schema.get_type("Citizen").fields  # type: ignore[union-attr]
    assert fields["bloodPressure"].description == (
        "Department: nhs. Data category: user.health.vitals (SPECIAL)."
    )
    assert fields["nino"].description == "Departments: identity, nhs, dvla."


def test_interfaces_unions_and_interface_objects() -> None:
    body = """
    type Query @join__type(graph: IDENTITY) @join__type(graph: NHS) {
      records: [Record!]! @join__field(graph: IDENTITY)
      anything: Thing @join__field(graph: IDENTITY)
    }
    interface Record
      @join__type(graph: IDENTITY, key: "id")
      @join__type(graph: NHS, key: "id", isInterfaceObject: true)
    {
      id: ID!
      audit: String @join__field(graph: NHS)
    }
    type Letter implements Record
      @join__implements(graph: IDENTITY, interface: "Record")
      @join__type(graph: IDENTITY, key: "id")
    {
      id: ID!
      audit: String @join__field
    }
    union Thing @join__type(graph: IDENTITY) @join__unionMember(graph: IDENTITY, member: "Letter")
      = Letter
    enum Sensitivity @join__type(graph: NHS) { PERSONAL SPECIAL }
    """
    supergraph = parse_supergraph(HEADER + body)
    record = supergraph.types["Record"]
    assert record.kind == "INTERFACE"
    assert record.interface_object_graphs == frozenset({"nhs"})
    assert supergraph.types["Letter"].implements == {"identity": ("Record",)}
    assert supergraph.types["Letter"].fields["audit"].via_interface_object
    assert supergraph.possible_types("Record") == ("Letter",)
    assert supergraph.possible_types("Thing") == ("Letter",)
    assert supergraph.possible_types_in("identity", "Record") == ("Letter",)
    assert supergraph.possible_types_in("nhs", "Record") == ()


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        ("type Query { a: String", "does not parse"),
        ("type Query { a: String }", "join__Graph"),
        (HEADER + "type Mutation @join__type(graph: NHS) { a: String }", "no query type"),
    ],
)
def test_bad_supergraphs_get_clear_errors(sdl: str, message: str) -> None:
    with pytest.raises(SupergraphError, match=message):
        parse_supergraph(sdl)
