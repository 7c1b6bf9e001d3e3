"""Supergraph composition: merging rules, join directives, errors, determinism, HTTP."""

from __future__ import annotations

import contextlib
import random
import socket
from enum import Enum
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import strawberry
from graphql import build_ast_schema, parse, print_ast
from graphql.language import (
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
)
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directive import Location

from federation.compose import (
    CompositionError,
    CompositionIssue,
    SubgraphSource,
    compose,
    compose_from_urls,
    fetch_sdl,
)
from tests.servers import serve

FIXTURES = Path(__file__).parent / "compose_fixtures"
FED = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key",'
    ' "@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible",'
    ' "@interfaceObject", "@composeDirective", "@tag", "@extends"])\n'
)


def source(name: str, sdl: str, *, header: bool = True) -> SubgraphSource:
    return SubgraphSource(name, f"http://{name}.example/graphql", (FED if header else "") + sdl)


def compose_all(**subgraphs: str) -> str:
    return compose([source(name, sdl) for name, sdl in subgraphs.items()])


def issues_of(**subgraphs: str) -> list[CompositionIssue]:
    with pytest.raises(CompositionError) as caught:
        compose_all(**subgraphs)
    return caught.value.issues


def fixture_sources(folder: str) -> list[SubgraphSource]:
    return [
        SubgraphSource(path.stem, f"http://{path.stem}.example/graphql", path.read_text())
        for path in sorted((FIXTURES / folder).glob("*.graphql"))
    ]


def type_node(sdl: str, name: str) -> TypeDefinitionNode:
    for definition in parse(sdl).definitions:
        if isinstance(definition, TypeDefinitionNode) and definition.name.value == name:
            return definition
    raise AssertionError(f"type {name} not in supergraph")


def type_directives(sdl: str, name: str) -> list[str]:
    return [print_ast(d) for d in type_node(sdl, name).directives or ()]


def field_node(sdl: str, type_name: str, field_name: str) -> FieldDefinitionNode:
    node = type_node(sdl, type_name)
    assert isinstance(
        node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode
    )
    for found in node.fields or ():
        if found.name.value == field_name:
            return found  # type: ignore[return-value]
    raise AssertionError(f"{type_name}.{field_name} not in supergraph")


def field_directives(sdl: str, type_name: str, field_name: str) -> list[str]:
    return [print_ast(d) for d in field_node(sdl, type_name, field_name).directives or ()]


def field_names(sdl: str, type_name: str) -> list[str]:
    node = type_node(sdl, type_name)
    return [f.name.value for f in getattr(node, "fields", None) or ()]


def codes(issues: list[CompositionIssue]) -> list[str]:
    return [i.code for i in issues]


# --- full supergraphs against expected files ------------------------------------------------


CASES = ["products", "citizen", "media"]


@pytest.mark.parametrize("case", CASES)
def test_full_supergraph_matches_expected_file(case: str) -> None:
    """The expected files are what Apollo's own composition (`@apollo/composition` 2.14,
    `composeServices`) prints for the same subgraphs: the output must match byte for byte."""
    expected = (FIXTURES / f"{case}.supergraph.graphql").read_text()
    assert compose(fixture_sources(case)) == expected


@pytest.mark.parametrize("case", CASES)
def test_output_is_identical_whatever_the_input_order(case: str) -> None:
    sources = fixture_sources(case)
    first = compose(sources)
    for seed in range(4):
        shuffled = sources[:]
        random.Random(seed).shuffle(shuffled)
        assert compose(shuffled) == first


@pytest.mark.parametrize("case", CASES)
def test_supergraph_builds_with_graphql_core(case: str) -> None:
    schema = build_ast_schema(parse(compose(fixture_sources(case))))
    assert schema.query_type is not None and schema.query_type.name == "Query"
    assert schema.get_directive("join__type") is not None


def test_supergraph_header_declares_link_and_join_specs() -> None:
    sdl = compose_all(a="type Query { a: Int }")
    schema = next(d for d in parse(sdl).definitions if isinstance(d, SchemaDefinitionNode))
    links = [print_ast(d) for d in schema.directives or ()]
    assert links == [
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)',
    ]
    assert "scalar join__FieldSet" in sdl and "scalar link__Import" in sdl
    assert "enum link__Purpose" in sdl


# --- graphs ------------------------------------------------------------------------------------


def test_graph_enum_names_are_upper_cased_and_sanitised() -> None:
    sdl = compose(
        [
            source("hmrc", "type Query { a: Int }"),
            source("local-council.2", "type Query { b: Int }"),
        ]
    )
    graph = type_node(sdl, "join__Graph")
    assert isinstance(graph, EnumTypeDefinitionNode)
    values = [
        (v.name.value, [print_ast(d) for d in v.directives or ()]) for v in graph.values or ()
    ]
    assert values == [
        ("HMRC", ['@join__graph(name: "hmrc", url: "http://hmrc.example/graphql")']),
        (
            "LOCAL_COUNCIL_2_",
            [
                '@join__graph(name: "local-council.2",'
                ' url: "http://local-council.2.example/graphql")'
            ],
        ),
    ]


def test_graph_enum_names_stay_unique() -> None:
    sdl = compose(
        [
            source("a-b", "type Query { x: Int }"),
            source("a_b", "type Query { y: Int }"),
            source("2fa", "type Query { z: Int }"),
        ]
    )
    graph = type_node(sdl, "join__Graph")
    assert isinstance(graph, EnumTypeDefinitionNode)
    assert [v.name.value for v in graph.values or ()] == ["_2FA", "A_B_1", "A_B_2"]


# --- entities and keys -------------------------------------------------------------------------


def test_keys_single_multiple_composite_nested_and_unresolvable() -> None:
    sdl = compose_all(
        a="""
        type Query { accounts: [Account] }
        type Org @shareable { id: ID! region: String! }
        type Account @key(fields: "id") @key(fields: "number sortCode")
            @key(fields: "org { id } number") {
          id: ID! number: String! sortCode: String! org: Org!
        }
        """,
        b="""
        type Org @shareable { id: ID! region: String! }
        type Account @key(fields: "id", resolvable: false) { id: ID! }
        type Query { flagged: [Account] }
        """,
    )
    assert type_directives(sdl, "Account") == [
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: A, key: "number sortCode")',
        '@join__type(graph: A, key: "org { id } number")',
        '@join__type(graph: B, key: "id", resolvable: false)',
    ]
    assert field_directives(sdl, "Account", "id") == []
    assert field_directives(sdl, "Account", "number") == ["@join__field(graph: A)"]


def test_extension_flag_for_keys_on_type_extensions_and_extends() -> None:
    sdl = compose_all(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! name: String }',
        b='extend type User @key(fields: "id") { id: ID! @external age: Int }',
        c='type User @key(fields: "id") @extends { id: ID! email: String }',
    )
    assert type_directives(sdl, "User") == [
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: B, key: "id", extension: true)',
        '@join__type(graph: C, key: "id", extension: true)',
    ]
    assert field_directives(sdl, "User", "id") == []  # an extension's key is not external


def test_join_field_only_where_needed() -> None:
    sdl = compose_all(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! name: String @shareable }',
        b='type User @key(fields: "id") { id: ID! name: String @shareable age: Int }',
    )
    assert field_directives(sdl, "User", "id") == []
    assert field_directives(sdl, "User", "name") == []
    assert field_directives(sdl, "User", "age") == ["@join__field(graph: B)"]
    assert field_directives(sdl, "Query", "u") == ["@join__field(graph: A)"]


def test_types_defined_in_one_subgraph_only() -> None:
    sdl = compose_all(
        a="type Query { a: Thing } type Thing { x: Int y: String }", b="type Query { b: Int }"
    )
    assert type_directives(sdl, "Thing") == ["@join__type(graph: A)"]
    assert field_directives(sdl, "Thing", "x") == []


# --- sharing -------------------------------------------------------------------------------------


def test_shareable_fields_and_types_may_be_resolved_in_several_subgraphs() -> None:
    sdl = compose_all(
        a="type Query { p: Point @shareable } type Point @shareable { x: Int y: Int }",
        b="type Query { p: Point @shareable } type Point @shareable { x: Int y: Int }",
    )
    assert field_names(sdl, "Point") == ["x", "y"]
    assert field_directives(sdl, "Query", "p") == []


def test_non_shareable_field_in_two_subgraphs_is_invalid_field_sharing() -> None:
    issues = issues_of(
        a="type Query { p: Point } type Point { x: Int @shareable y: Int }",
        b="type Query { q: Point } type Point { x: Int @shareable y: Int }",
    )
    assert codes(issues) == ["INVALID_FIELD_SHARING"]
    issue = issues[0]
    assert issue.subgraphs == ("a", "b")
    assert issue.coordinate == "Point.y"
    assert '"Point.y"' in issue.message and '"a"' in issue.message and '"b"' in issue.message
    assert '"Point.y"' in str(CompositionError(issues))


def test_subscription_fields_cannot_be_shared() -> None:
    issues = issues_of(
        a="type Query { a: Int } type Subscription { ticks: Int @shareable }",
        b="type Query { b: Int } type Subscription { ticks: Int @shareable }",
    )
    assert codes(issues) == ["INVALID_FIELD_SHARING"]
    assert issues[0].coordinate == "Subscription.ticks"


def test_key_fields_are_shareable_without_the_directive() -> None:
    sdl = compose_all(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! }',
        b='type User @key(fields: "id") { id: ID! nick: String }',
    )
    assert field_names(sdl, "User") == ["id", "nick"]


# --- @external, @requires, @provides -------------------------------------------------------------


def test_requires_with_arguments_and_nested_selection() -> None:
    sdl = compose_all(
        a="""
        type Query { parcels: [Parcel] }
        type Size @shareable { width: Int height: Int }
        type Parcel @key(fields: "id") {
          id: ID! weight(unit: String): Float size: Size
        }
        """,
        b="""
        type Size @shareable { width: Int height: Int }
        type Parcel @key(fields: "id") {
          id: ID!
          weight(unit: String): Float @external
          size: Size @external
          cost: Int @requires(fields: "weight(unit: \\"kg\\") size { width height }")
        }
        """,
    )
    assert field_directives(sdl, "Parcel", "cost") == [
        '@join__field(graph: B, requires: "weight(unit: \\"kg\\") size { width height }")'
    ]
    assert field_directives(sdl, "Parcel", "weight") == [
        "@join__field(graph: A)",
        "@join__field(graph: B, external: true)",
    ]


def test_provides_marks_field_and_external_fields_stay_external() -> None:
    sdl = compose(fixture_sources("products"))
    assert field_directives(sdl, "Review", "author") == [
        '@join__field(graph: REVIEWS, provides: "username")'
    ]
    assert field_directives(sdl, "User", "username") == [
        "@join__field(graph: ACCOUNTS)",
        "@join__field(graph: REVIEWS, external: true)",
    ]


def test_external_field_no_other_subgraph_resolves() -> None:
    issues = issues_of(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! }',
        b="""
        type User @key(fields: "id") {
          id: ID! email: String @external greeting: String @requires(fields: "email")
        }
        """,
    )
    assert codes(issues) == ["EXTERNAL_MISSING_ON_BASE"]
    assert issues[0].coordinate == "User.email"
    assert issues[0].subgraphs == ("b",)


def test_unused_external_field_is_reported() -> None:
    issues = issues_of(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! email: String }',
        b='type User @key(fields: "id") { id: ID! email: String @external }',
    )
    assert codes(issues) == ["EXTERNAL_UNUSED"]
    assert issues[0].coordinate == "User.email"


def test_requires_of_a_field_that_is_not_external() -> None:
    issues = issues_of(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! }',
        b="""
        type User @key(fields: "id") {
          id: ID! email: String greeting: String @requires(fields: "email")
        }
        """,
    )
    assert "REQUIRES_FIELDS_MISSING_EXTERNAL" in codes(issues)


def test_requires_and_provides_of_unknown_fields() -> None:
    issues = issues_of(
        a='type Query { u: User @provides(fields: "nope") }\n'
        'type User @key(fields: "id") { id: ID! }',
        b='type User @key(fields: "id") { id: ID! g: String @requires(fields: "missing") }',
    )
    assert sorted(codes(issues)) == ["PROVIDES_INVALID_FIELDS", "REQUIRES_INVALID_FIELDS"]
    by_code = {i.code: i for i in issues}
    assert by_code["PROVIDES_INVALID_FIELDS"].coordinate == "Query.u"
    assert by_code["REQUIRES_INVALID_FIELDS"].coordinate == "User.g"
    assert '"missing"' in by_code["REQUIRES_INVALID_FIELDS"].message


def test_external_field_with_a_different_type() -> None:
    issues = issues_of(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! email: String }',
        b="""
        type User @key(fields: "id") {
          id: ID! email: Int @external greeting: String @requires(fields: "email")
        }
        """,
    )
    assert codes(issues) == ["EXTERNAL_TYPE_MISMATCH"]
    assert issues[0].coordinate == "User.email"
    assert '"Int"' in issues[0].message and '"String"' in issues[0].message


def test_merged_directive_on_an_external_field() -> None:
    issues = issues_of(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! email: String }',
        b="""
        type User @key(fields: "id") {
          id: ID! email: String @external @tag(name: "x")
          greeting: String @requires(fields: "email")
        }
        """,
    )
    assert codes(issues) == ["MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL"]
    assert issues[0].subgraphs == ("b",)


def test_provides_on_an_interface_field_external_in_every_implementation() -> None:
    sdl = compose_all(
        search="""
        type Query { featured: [Titled!]! @provides(fields: "title") }
        interface Titled { title: String! }
        type Book implements Titled @key(fields: "id") { id: ID! title: String! @external }
        type Film implements Titled @key(fields: "id") { id: ID! title: String! @external }
        """,
        catalog="""
        type Book @key(fields: "id") { id: ID! title: String! @shareable }
        type Film @key(fields: "id") { id: ID! title: String! @shareable }
        """,
    )
    assert field_directives(sdl, "Query", "featured") == [
        '@join__field(graph: SEARCH, provides: "title")'
    ]


# --- key errors ----------------------------------------------------------------------------------


def test_key_selecting_a_missing_field() -> None:
    issues = issues_of(a='type Query { u: User } type User @key(fields: "uuid") { id: ID! }')
    assert codes(issues) == ["KEY_INVALID_FIELDS"]
    assert issues[0].subgraphs == ("a",)
    assert issues[0].coordinate == "User"
    assert '"uuid"' in issues[0].message and '"User"' in issues[0].message


def test_key_selecting_interface_or_union_fields() -> None:
    issues = issues_of(
        a="""
        type Query { u: User }
        interface Named { name: String }
        type Tag implements Named { name: String }
        union Any = Tag
        type User @key(fields: "named { name }") @key(fields: "any { ... on Tag { name } }") {
          named: Named any: Any
        }
        """
    )
    assert codes(issues) == ["KEY_FIELDS_SELECT_INVALID_TYPE", "KEY_FIELDS_SELECT_INVALID_TYPE"]
    assert "Interface" in issues[0].message and "Union" in issues[1].message


def test_key_may_select_a_list() -> None:
    sdl = compose_all(
        a='type Query { u: User } type User @key(fields: "tags") { tags: [String!]! }'
    )
    assert type_directives(sdl, "User") == ['@join__type(graph: A, key: "tags")']


def test_provides_rules() -> None:
    issues = issues_of(
        a="""
        type Query { v: V @provides(fields: "a") t: T @provides(fields: "f(x: 1)") }
        type V { a: Int }
        type T @key(fields: "id") { id: ID! f(x: Int): Int @external }
        """,
        b='type T @key(fields: "id") { id: ID! f(x: Int): Int @shareable }',
    )
    assert sorted(codes(issues)) == ["PROVIDES_FIELDS_HAS_ARGS", "PROVIDES_FIELDS_MISSING_EXTERNAL"]


def test_unparseable_key_and_key_with_arguments() -> None:
    issues = issues_of(
        a="""
        type Query { u: User }
        type User @key(fields: "id {") @key(fields: "name(style: 1)") {
          id: ID! name(style: Int): String
        }
        """
    )
    assert codes(issues) == ["KEY_INVALID_FIELDS", "KEY_FIELDS_HAS_ARGS"]


# --- types ---------------------------------------------------------------------------------------


def test_conflicting_field_types() -> None:
    issues = issues_of(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! age: Int @shareable }',
        b='type User @key(fields: "id") { id: ID! age: String @shareable }',
    )
    assert codes(issues) == ["FIELD_TYPE_MISMATCH"]
    assert issues[0].coordinate == "User.age"
    assert issues[0].subgraphs == ("a", "b")
    assert '"Int"' in issues[0].message and '"String"' in issues[0].message


def test_compatible_output_types_merge_to_the_most_general() -> None:
    sdl = compose_all(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! age: Int! @shareable }',
        b='type User @key(fields: "id") { id: ID! age: Int @shareable }',
    )
    assert print_ast(field_node(sdl, "User", "age").type) == "Int"
    assert field_directives(sdl, "User", "age") == [
        '@join__field(graph: A, type: "Int!")',
        '@join__field(graph: B, type: "Int")',
    ]


def test_conflicting_type_kinds() -> None:
    issues = issues_of(
        a="type Query { t: Thing } type Thing { x: Int }",
        b="type Query { v: Thing } input Thing { x: Int }",
    )
    assert codes(issues) == ["TYPE_KIND_MISMATCH"]
    assert issues[0].coordinate == "Thing"
    assert issues[0].subgraphs == ("a", "b")


def test_descriptions_are_kept() -> None:
    sdl = compose_all(
        a='"""A user."""\ntype Query { "The caller." me: User }\n'
        'type User { "Full name." name: String }'
    )
    assert type_node(sdl, "User").description is None
    assert field_node(sdl, "Query", "me").description is not None
    assert field_node(sdl, "User", "name").description.value == "Full name."  # type: ignore[union-attr]


# --- interfaces, unions, interface objects -------------------------------------------------------


def test_interfaces_and_unions_with_members_from_different_subgraphs() -> None:
    sdl = compose_all(
        a="""
        type Query { docs: [Document] any: [Result] }
        interface Document { id: ID! }
        type Letter implements Document @key(fields: "id") { id: ID! }
        union Result = Letter
        """,
        b="""
        interface Document { id: ID! }
        type Form implements Document @key(fields: "id") { id: ID! }
        type Letter @key(fields: "id") { id: ID! sentAt: String }
        union Result = Form | Letter
        """,
    )
    assert type_directives(sdl, "Form") == [
        '@join__implements(graph: B, interface: "Document")',
        '@join__type(graph: B, key: "id")',
    ]
    assert type_directives(sdl, "Letter") == [
        '@join__implements(graph: A, interface: "Document")',
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: B, key: "id")',
    ]
    union = type_node(sdl, "Result")
    assert isinstance(union, UnionTypeDefinitionNode)
    assert [m.name.value for m in union.types or ()] == ["Letter", "Form"]
    assert type_directives(sdl, "Result") == [
        "@join__type(graph: A)",
        "@join__type(graph: B)",
        '@join__unionMember(graph: A, member: "Letter")',
        '@join__unionMember(graph: B, member: "Letter")',
        '@join__unionMember(graph: B, member: "Form")',
    ]
    build_ast_schema(parse(sdl))


def test_interface_object() -> None:
    sdl = compose_all(
        a="""
        type Query { media: [Media] }
        interface Media @key(fields: "id") { id: ID! title: String }
        type Book implements Media @key(fields: "id") { id: ID! title: String }
        type Film implements Media @key(fields: "id") { id: ID! title: String }
        """,
        b="""
        type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }
        """,
    )
    assert type_directives(sdl, "Media") == [
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: B, key: "id", isInterfaceObject: true)',
    ]
    assert isinstance(type_node(sdl, "Media"), InterfaceTypeDefinitionNode)
    assert field_directives(sdl, "Media", "rating") == ["@join__field(graph: B)"]
    assert field_names(sdl, "Book") == ["id", "title", "rating"]
    assert field_directives(sdl, "Book", "rating") == ["@join__field"]
    build_ast_schema(parse(sdl))


def test_interface_object_fields_from_two_subgraphs_must_be_shareable() -> None:
    issues = issues_of(
        a="""
        type Query { media: [Media] }
        interface Media @key(fields: "id") { id: ID! }
        type Book implements Media @key(fields: "id") { id: ID! }
        """,
        b='type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }',
        c='type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }',
    )
    assert [(i.code, i.coordinate) for i in issues] == [("INVALID_FIELD_SHARING", "Book.rating")]
    assert '"b" (through @interfaceObject field "Media.rating")' in issues[0].message


def test_interface_object_without_any_interface_definition() -> None:
    issues = issues_of(
        a='type Query { m: Media } type Media @key(fields: "id") @interfaceObject { id: ID! }'
    )
    assert codes(issues) == ["INTERFACE_OBJECT_USAGE_ERROR"]


def test_entity_interface_rules() -> None:
    issues = issues_of(
        a="""
        type Query { media: [Media] }
        interface Media @key(fields: "id") { id: ID! }
        type Book implements Media @key(fields: "isbn") { id: ID! isbn: ID! }
        """,
        b="""
        type Film implements Media @key(fields: "id") { id: ID! }
        interface Media { id: ID! }
        type Query { films: [Film] }
        """,
    )
    assert sorted((i.code, i.coordinate) for i in issues) == [
        ("INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE", "Media"),
        ("INTERFACE_KEY_NOT_ON_IMPLEMENTATION", "Book"),
    ]


def test_interface_object_needs_an_entity_interface() -> None:
    issues = issues_of(
        a="type Query { m: Media } interface Media { id: ID! }\n"
        "type Song implements Media { id: ID! }",
        b='type Media @key(fields: "id") @interfaceObject { id: ID! plays: Int }',
    )
    assert "INTERFACE_OBJECT_USAGE_ERROR" in codes(issues)


def test_implementation_missing_a_field_another_subgraph_adds_to_its_interface() -> None:
    issues = issues_of(
        a="interface I { x: Int } type T implements I { x: Int } type Query { t: T }",
        b="interface I { x: Int y: Int } type U implements I { x: Int y: Int } type Query { u: U }",
    )
    assert codes(issues) == ["INTERFACE_FIELD_NO_IMPLEM"]
    assert issues[0].coordinate == "T.y"
    assert issues[0].subgraphs == ("a", "b")


# --- @override and @inaccessible -------------------------------------------------------------


def test_override_drops_the_overridden_field() -> None:
    sdl = compose(fixture_sources("products"))
    assert field_directives(sdl, "Product", "price") == [
        '@join__field(graph: REVIEWS, override: "products")'
    ]


def test_override_of_a_field_the_source_still_uses_keeps_it_as_used_overridden() -> None:
    sdl = compose_all(
        a="""
        type Query { u: User }
        type User @key(fields: "id") { id: ID! email: String greeting: String }
        """,
        b="""
        type User @key(fields: "id email") { id: ID! email: String @override(from: "a") }
        """,
    )
    assert field_directives(sdl, "User", "email") == ['@join__field(graph: B, override: "a")']
    sdl = compose_all(
        a="""
        type Query { u: User }
        type User @key(fields: "id") @key(fields: "email") { id: ID! email: String }
        """,
        b="""
        type User @key(fields: "id") { id: ID! email: String @override(from: "a") }
        """,
    )
    assert field_directives(sdl, "User", "email") == [
        "@join__field(graph: A, usedOverridden: true)",
        '@join__field(graph: B, override: "a")',
    ]


def test_override_errors() -> None:
    issues = issues_of(
        a="""
        type Query { u: User }
        type User @key(fields: "id") { id: ID! x: Int @override(from: "a") y: Int }
        """,
        b="""
        type User @key(fields: "id") {
          id: ID! y: Int @external @override(from: "a") z: Int @requires(fields: "y")
        }
        """,
    )
    assert sorted(codes(issues)) == [
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        "OVERRIDE_FROM_SELF_ERROR",
    ]


def test_override_conflicts_and_interface_fields() -> None:
    issues = issues_of(
        a="""
        type Query { u: User }
        type User @key(fields: "id") { id: ID! w: Int @external x: Int @requires(fields: "w") }
        interface Named { name: String }
        """,
        b="""
        type User @key(fields: "id") { id: ID! w: Int x: Int @override(from: "a") }
        interface Named { name: String @override(from: "a") }
        type Thing implements Named { name: String }
        type Query { t: Thing }
        """,
    )
    assert sorted(codes(issues)) == [
        "INVALID_FIELD_SHARING",  # the rejected @override leaves two resolvers
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        "OVERRIDE_ON_INTERFACE",
    ]
    by_code = {i.code: i for i in issues}
    assert by_code["OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE"].coordinate == "User.x"
    assert "@requires" in by_code["OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE"].message


def test_override_from_an_unknown_subgraph_is_named_in_the_sharing_error() -> None:
    issues = issues_of(
        a='type Query { u: User } type User @key(fields: "id") { id: ID! x: Int }',
        b='type User @key(fields: "id") { id: ID! x: Int @override(from: "aa") }',
    )
    assert codes(issues) == ["INVALID_FIELD_SHARING"]
    assert "misspelling the @override(from:) argument" in issues[0].message


def test_inaccessible_is_kept_with_its_link() -> None:
    sdl = compose(fixture_sources("products"))
    assert field_directives(sdl, "Product", "internalCode") == [
        "@inaccessible",
        "@join__field(graph: PRODUCTS)",
    ]
    assert '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)' in sdl
    assert "directive @inaccessible on FIELD_DEFINITION | OBJECT" in sdl


def test_tag_is_composed() -> None:
    sdl = compose_all(a='type Query { a: Int @tag(name: "public") }')
    assert field_directives(sdl, "Query", "a") == ['@tag(name: "public")']
    assert '@link(url: "https://specs.apollo.dev/tag/v0.3")' in sdl
    build_ast_schema(parse(sdl))


def test_inaccessible_type_referenced_by_a_visible_field() -> None:
    issues = issues_of(
        a="type Query { secret: Secret, other: Int } type Secret @inaccessible { x: Int }"
    )
    assert codes(issues) == ["REFERENCED_INACCESSIBLE"]
    assert issues[0].coordinate == "Query.secret"
    assert issues[0].subgraphs == ("a",)


def test_inaccessible_required_argument_and_all_hidden_fields() -> None:
    issues = issues_of(
        a="""
        type Query { find(id: ID! @inaccessible): Int hidden: Box }
        type Box { a: Int @inaccessible b: Int @inaccessible }
        """
    )
    assert sorted(codes(issues)) == ["ONLY_INACCESSIBLE_CHILDREN", "REQUIRED_INACCESSIBLE"]
    assert {i.coordinate for i in issues} == {"Box", "Query.find(id:)"}
    issues = issues_of(
        a="type Query { r: R } union R = S | T type S @inaccessible { x: Int }"
        " type T @inaccessible { y: Int }"
    )
    assert codes(issues) == ["ONLY_INACCESSIBLE_CHILDREN"]
    assert issues[0].coordinate == "R"


# --- enums and inputs ----------------------------------------------------------------------------


def enum_values(sdl: str, name: str) -> dict[str, list[str]]:
    node = type_node(sdl, name)
    assert isinstance(node, EnumTypeDefinitionNode)
    return {v.name.value: [print_ast(d) for d in v.directives or ()] for v in node.values or ()}


def test_output_only_enum_is_the_union_of_values() -> None:
    sdl = compose_all(
        a="type Query { a: Colour } enum Colour { RED GREEN }",
        b="type Query { b: Colour } enum Colour { RED BLUE }",
    )
    assert enum_values(sdl, "Colour") == {
        "RED": ["@join__enumValue(graph: A)", "@join__enumValue(graph: B)"],
        "GREEN": ["@join__enumValue(graph: A)"],
        "BLUE": ["@join__enumValue(graph: B)"],
    }


def test_input_only_enum_is_the_intersection_of_values() -> None:
    sdl = compose_all(
        a="type Query { a(c: Colour): Int } enum Colour { RED GREEN }",
        b="type Query { b(c: Colour): Int } enum Colour { RED BLUE }",
    )
    assert list(enum_values(sdl, "Colour")) == ["RED"]


def test_enum_used_as_input_and_output_must_be_identical() -> None:
    issues = issues_of(
        a="type Query { a(c: Colour): Colour } enum Colour { RED GREEN }",
        b="type Query { b: Colour } enum Colour { RED }",
    )
    assert codes(issues) == ["ENUM_VALUE_MISMATCH"]
    assert issues[0].coordinate == "Colour.GREEN"
    assert issues[0].subgraphs == ("a", "b")


def test_input_only_enum_with_no_common_value() -> None:
    issues = issues_of(
        a="type Query { a(c: Colour): Int } enum Colour { RED }",
        b="type Query { b(c: Colour): Int } enum Colour { BLUE }",
    )
    assert codes(issues) == ["EMPTY_MERGED_ENUM_TYPE"]


def test_input_objects_keep_common_fields_and_most_restrictive_types() -> None:
    sdl = compose_all(
        a="type Query { a(f: Filter): Int } input Filter { name: String! age: Int tag: String }",
        b="type Query { b(f: Filter): Int } input Filter { name: String age: Int }",
    )
    assert field_names(sdl, "Filter") == ["name", "age"]
    assert print_ast(field_node(sdl, "Filter", "name").type) == "String!"
    assert field_directives(sdl, "Filter", "name") == [
        '@join__field(graph: A, type: "String!")',
        '@join__field(graph: B, type: "String")',
    ]


def test_required_input_field_missing_in_another_subgraph() -> None:
    issues = issues_of(
        a="type Query { a(f: Filter): Int } input Filter { name: String nino: ID! }",
        b="type Query { b(f: Filter): Int } input Filter { name: String }",
    )
    assert codes(issues) == ["REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"]
    assert issues[0].coordinate == "Filter.nino"
    assert issues[0].subgraphs == ("a", "b")


def test_field_arguments_are_intersected() -> None:
    sdl = compose_all(
        a="type Query { u: User @shareable }\n"
        "type User @shareable { name(style: Int, lang: String): String }",
        b="type Query { u: User @shareable } type User @shareable { name(lang: String): String }",
    )
    assert [a.name.value for a in field_node(sdl, "User", "name").arguments or ()] == ["lang"]
    issues = issues_of(
        a="type Query { u: User @shareable } type User @shareable { name(style: Int!): String }",
        b="type Query { u: User @shareable } type User @shareable { name: String }",
    )
    assert codes(issues) == ["REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"]
    assert issues[0].coordinate == "User.name(style:)"


def test_defaults_kept_only_when_every_subgraph_agrees() -> None:
    sdl = compose_all(
        a="type Query { u: U @shareable } type U @shareable { f(x: Int = 1, y: Int = 2): Int }",
        b="type Query { u: U @shareable } type U @shareable { f(x: Int = 1, y: Int): Int }",
    )
    defaults = {
        a.name.value: print_ast(a.default_value) if a.default_value else None
        for a in field_node(sdl, "U", "f").arguments or ()
    }
    assert defaults == {"x": "1", "y": None}
    issues = issues_of(
        a="type Query { u: U @shareable } type U @shareable { f(x: Int = 1): Int }",
        b="type Query { u: U @shareable } type U @shareable { f(x: Int = 2): Int }",
    )
    assert codes(issues) == ["FIELD_ARGUMENT_DEFAULT_MISMATCH"]
    assert issues[0].coordinate == "U.f(x:)"


def test_default_values_print_as_apollo_prints_them() -> None:
    sdl = compose_all(
        a='type Query { a(s: String = "x\\"y", l: [Int] = [1, 2], o: In = {a: 1, b: "z"},'
        " e: E = V): Int } input In { a: Int b: String } enum E { V W }"
    )
    assert 'a(s: String = "x\\"y", l: [Int] = [1, 2], o: In = {a: 1, b: "z"}, e: E = V): Int' in sdl


# --- roots and internals -------------------------------------------------------------------------


def test_renamed_root_types_are_normalised() -> None:
    sdl = compose(
        [
            source(
                "a",
                "schema { query: RootQuery mutation: RootMutation }\n"
                "type RootQuery { me: RootQuery } type RootMutation { poke: Int }",
            ),
            source("b", "type Query { other: Int }"),
        ]
    )
    assert field_names(sdl, "Query") == ["me", "other"]
    assert print_ast(field_node(sdl, "Query", "me").type) == "Query"
    assert field_names(sdl, "Mutation") == ["poke"]
    assert "RootQuery" not in sdl


def test_federation_internals_are_stripped() -> None:
    sdl = compose(
        [
            source(
                "a",
                """
                scalar _Any
                scalar link__Import
                scalar federation__FieldSet
                type _Service { sdl: String! }
                union _Entity = User
                type User @key(fields: "id") { id: ID! }
                type Query {
                  _entities(representations: [_Any!]!): [_Entity]!
                  _service: _Service!
                  me: User
                }
                """,
            )
        ]
    )
    for internal in ("_Any", "_Entity", "_Service", "_service", "_entities", "federation__"):
        assert internal not in sdl
    build_ast_schema(parse(sdl))


def test_renamed_and_namespaced_federation_directives() -> None:
    sdl = compose(
        [
            source(
                "a",
                'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",'
                ' as: "fed", import: [{name: "@key", as: "@id"}])\n'
                "scalar fed__FieldSet\n"
                "type Query { u: User }\n"
                'type User @id(fields: "id") { id: ID! n: Int @fed__shareable }',
                header=False,
            ),
            source(
                "b",
                'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3")\n'
                'type User @federation__key(fields: "id") {\n'
                "  id: ID! n: Int @federation__shareable\n}",
                header=False,
            ),
        ]
    )
    assert type_directives(sdl, "User") == [
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: B, key: "id")',
    ]
    assert field_directives(sdl, "User", "n") == []
    assert "fed__" not in sdl


def test_federation_1_subgraphs_are_read_with_federation_2_meaning() -> None:
    sdl = compose(
        [
            source(
                "a",
                'type Query { top: [Product] } type Product @key(fields: "upc") { upc: String! }'
                " type Money { amount: Int }",
                header=False,
            ),
            source(
                "b",
                'extend type Product @key(fields: "upc") { upc: String! @external price: Money }'
                " type Money { amount: Int }",
                header=False,
            ),
        ]
    )
    # Apollo's upgrade reads the extension as a definition: no extension flag.
    assert type_directives(sdl, "Product") == [
        '@join__type(graph: A, key: "upc")',
        '@join__type(graph: B, key: "upc")',
    ]
    assert field_directives(sdl, "Product", "upc") == []
    assert field_directives(sdl, "Money", "amount") == []


# --- composed directives ---------------------------------------------------------------------


def test_composed_directive_definition_link_and_applications() -> None:
    sdl = compose(fixture_sources("citizen"))
    # "data-category" cannot prefix GraphQL names, so the link gets Apollo's generated alias.
    assert (
        '@link(url: "https://joinedup.gov.uk/data-category/v1.1", as: "_0datacategory",'
        ' import: ["@dataCategory"])'
    ) in sdl
    assert (
        "directive @dataCategory(name: String!, sensitivity: Sensitivity!)"
        " on FIELD_DEFINITION | OBJECT | INTERFACE"
    ) in sdl
    assert field_directives(sdl, "Citizen", "bloodPressure") == [
        "@join__field(graph: NHS)",
        '@dataCategory(name: "user.health.vitals", sensitivity: SPECIAL)',
    ]
    schema = build_ast_schema(parse(sdl))
    assert schema.get_directive("dataCategory") is not None


def test_composed_directive_without_a_link() -> None:
    issues = issues_of(
        a='extend schema @composeDirective(name: "@secret")\n'
        "directive @secret on FIELD_DEFINITION\ntype Query { a: Int @secret }"
    )
    assert codes(issues) == ["DIRECTIVE_COMPOSITION_ERROR"]
    assert '"@secret"' in issues[0].message


def test_deprecation_is_kept_once() -> None:
    sdl = compose_all(
        a='type Query { u: U @shareable } type U @shareable { old: Int @deprecated(reason: "a") }',
        b='type Query { u: U @shareable } type U @shareable { old: Int @deprecated(reason: "b") }',
    )
    assert field_directives(sdl, "U", "old") == ['@deprecated(reason: "a")']
    build_ast_schema(parse(sdl))


def test_executable_directives_defined_everywhere_are_kept() -> None:
    sdl = compose_all(
        a="directive @trace(level: Int = 1) on FIELD | QUERY\n"
        "directive @only on FIELD\ntype Query { a: Int }",
        b="directive @trace(level: Int = 1) on QUERY | FIELD | MUTATION\ntype Query { b: Int }",
    )
    assert "directive @trace(level: Int = 1) on FIELD | QUERY" in sdl
    assert "@only" not in sdl
    assert build_ast_schema(parse(sdl)).get_directive("trace") is not None


def test_directives_that_are_not_composed_are_dropped() -> None:
    sdl = compose_all(a="directive @internal on FIELD_DEFINITION\ntype Query { a: Int @internal }")
    assert "@internal" not in sdl


# --- satisfiability ------------------------------------------------------------------------------


def test_entity_with_only_unresolvable_keys_cannot_reach_its_fields() -> None:
    issues = issues_of(
        identity='type Query { citizen: Citizen } type Citizen @key(fields: "nino") { nino: ID! }',
        dvla='type Citizen @key(fields: "nino", resolvable: false) { nino: ID! licence: String }',
    )
    assert codes(issues) == ["SATISFIABILITY_ERROR"]
    issue = issues[0]
    assert issue.coordinate == "Citizen.licence"
    assert issue.subgraphs == ("dvla", "identity")
    assert "{\n  citizen {\n    licence\n  }\n}" in issue.message
    assert 'cannot move to subgraph "dvla"' in issue.message


def test_unresolvable_key_is_fine_when_another_subgraph_can_be_reached() -> None:
    sdl = compose_all(
        identity='type Query { citizen: Citizen } type Citizen @key(fields: "nino") { nino: ID! }',
        dvla='type Citizen @key(fields: "nino") { nino: ID! licence: String }',
        council="type Query { residents: [Citizen] }\n"
        'type Citizen @key(fields: "nino", resolvable: false) { nino: ID! }',
    )
    assert field_directives(sdl, "Citizen", "licence") == ["@join__field(graph: DVLA)"]


def test_fields_reached_through_a_chain_of_keys() -> None:
    sdl = compose_all(
        claims="type Query { claims: [Claim] } type Claim { parcel: Parcel }\n"
        'type Parcel @key(fields: "id") { id: ID! }',
        labels='type Parcel @key(fields: "id") @key(fields: "barcode") {\n'
        "  id: ID! barcode: String!\n}",
        tracking='type Parcel @key(fields: "barcode") { barcode: String! status: String }',
    )
    assert field_directives(sdl, "Parcel", "status") == ["@join__field(graph: TRACKING)"]


def test_value_type_field_reached_by_resolving_its_parent_elsewhere() -> None:
    sdl = compose_all(
        products="""
        type Query { top: [Product] }
        type Storage @shareable { aisle: String }
        type Product @key(fields: "upc") { upc: ID! storage: Storage @shareable }
        """,
        inventory="""
        type Storage @shareable { aisle: String temperature: Int }
        type Product @key(fields: "upc") { upc: ID! storage: Storage @shareable }
        """,
    )
    assert field_directives(sdl, "Storage", "temperature") == ["@join__field(graph: INVENTORY)"]


def test_requires_of_a_field_no_reachable_subgraph_resolves() -> None:
    issues = issues_of(
        a='type Query { t: T } type T @key(fields: "id") { id: ID! }',
        b="""
        type T @key(fields: "id") { id: ID! x: Int @external y: Int @requires(fields: "x") }
        """,
        c='type T @key(fields: "id", resolvable: false) { id: ID! x: Int }',
    )
    assert sorted(i.coordinate or "" for i in issues) == ["T.x", "T.y"]
    assert set(codes(issues)) == {"SATISFIABILITY_ERROR"}
    by_field = {i.coordinate: i for i in issues}
    assert "cannot satisfy @require conditions" in by_field["T.y"].message


def test_provided_fields_are_reachable_only_along_the_providing_path() -> None:
    reviews = """
    type Query { reviews: [Review] }
    type Review { author: User @provides(fields: "name") }
    type User @key(fields: "id", resolvable: false) { id: ID! name: String @external }
    """
    users = 'type User @key(fields: "id", resolvable: false) { id: ID! name: String @shareable }'
    sdl = compose_all(reviews=reviews, users=users)
    assert field_directives(sdl, "Review", "author") == [
        '@join__field(graph: REVIEWS, provides: "name")'
    ]
    issues = issues_of(reviews=reviews.replace("[Review]", "[Review] people: [User]"), users=users)
    assert [(i.code, i.coordinate) for i in issues] == [("SATISFIABILITY_ERROR", "User.name")]
    assert "people {\n    name\n  }" in issues[0].message


def test_shared_abstract_field_needs_common_runtime_types() -> None:
    issues = issues_of(
        a="type Query { u: U @shareable } union U = A type A @shareable { x: Int }",
        b="type Query { u: U @shareable } union U = B type B @shareable { y: Int }",
    )
    assert [(i.code, i.coordinate) for i in issues] == [
        ("SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES", "Query.u")
    ]
    assert ' - in subgraph "a", type "A";\n - in subgraph "b", type "B".' in issues[0].message
    compose_all(
        a="type Query { u: U @shareable } union U = A | B type A @shareable { x: Int }"
        " type B @shareable { y: Int }",
        b="type Query { u: U @shareable } union U = A type A @shareable { x: Int }",
    )


def test_value_type_field_missing_in_one_subgraph_is_unsatisfiable() -> None:
    issues = issues_of(
        a="type Query { pa: Position! } type Position @shareable { x: Int! y: Int! }",
        b="type Query { pb: Position! } type Position @shareable { x: Int! y: Int! z: Int! }",
    )
    assert codes(issues) == ["SATISFIABILITY_ERROR"]
    assert issues[0].coordinate == "Position.z"


# --- error reporting ----------------------------------------------------------------------------


def test_every_issue_is_reported_at_once() -> None:
    with pytest.raises(CompositionError) as caught:
        compose_all(
            a='type Query { u: User } type User @key(fields: "nope") { id: ID! n: Int }',
            b='type User @key(fields: "uid") { id: ID! n: String }',
        )
    # Subgraph problems come first; like Apollo, invalid subgraphs are not merged.
    assert [(i.code, i.subgraphs) for i in caught.value.issues] == [
        ("KEY_INVALID_FIELDS", ("a",)),
        ("KEY_INVALID_FIELDS", ("b",)),
    ]
    with pytest.raises(CompositionError) as caught:
        compose_all(
            a='type Query { u: User } type User @key(fields: "id") { id: ID! n: Int m: Int }',
            b='type User @key(fields: "id") { id: ID! n: String m: Int }',
        )
    found = codes(caught.value.issues)
    assert sorted(found) == [
        "FIELD_TYPE_MISMATCH",
        "INVALID_FIELD_SHARING",
        "INVALID_FIELD_SHARING",
    ]
    text = str(caught.value)
    for issue in caught.value.issues:
        assert issue.message in text


def test_invalid_sdl_and_bad_names() -> None:
    with pytest.raises(CompositionError) as caught:
        compose([source("a", "type Query {")])
    assert codes(caught.value.issues) == ["INVALID_GRAPHQL"]
    assert caught.value.issues[0].subgraphs == ("a",)
    with pytest.raises(CompositionError) as caught:
        compose([source("a", "type Query { a: Int }"), source("a", "type Query { b: Int }")])
    assert codes(caught.value.issues) == ["INVALID_SUBGRAPH_NAME"]
    with pytest.raises(CompositionError) as caught:
        compose([source("_", "type Query { a: Int }"), source(" ", "type Query { b: Int }")])
    assert codes(caught.value.issues) == ["INVALID_SUBGRAPH_NAME", "INVALID_SUBGRAPH_NAME"]
    with pytest.raises(CompositionError) as caught:
        compose([])
    assert codes(caught.value.issues) == ["NO_SUBGRAPHS"]


def test_subgraphs_without_any_query() -> None:
    issues = issues_of(a='type Thing @key(fields: "id") { id: ID! }')
    assert codes(issues) == ["NO_QUERIES"]


def test_unknown_directives_are_invalid_graphql() -> None:
    with pytest.raises(CompositionError) as caught:
        compose(
            [
                source(
                    "a",
                    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",'
                    ' import: ["@key", "@shareable"])\n'
                    "type Query { a: Int @federation__shareable b: Int @nope }",
                    header=False,
                )
            ]
        )
    # An imported directive is not reachable under the spec's prefix any more.
    assert [(i.code, i.message) for i in caught.value.issues] == [
        ("INVALID_GRAPHQL", '[a] Unknown directive "@federation__shareable".'),
        ("INVALID_GRAPHQL", '[a] Unknown directive "@nope".'),
    ]


def test_extension_without_a_definition_anywhere() -> None:
    issues = issues_of(
        a='type Query { t: T } extend type T @key(fields: "id") { id: ID! }',
        b='extend type T @key(fields: "id") { id: ID! x: Int }',
    )
    assert [(i.code, i.subgraphs) for i in issues] == [
        ("EXTENSION_WITH_NO_BASE", ("a",)),
        ("EXTENSION_WITH_NO_BASE", ("b",)),
    ]


def test_undefined_type_reference_is_reported_not_crashed() -> None:
    with pytest.raises(CompositionError) as caught:
        compose_all(a="type Query { a: Missing }")
    assert codes(caught.value.issues) == ["INVALID_GRAPHQL"]
    assert caught.value.issues[0].subgraphs == ("a",)
    assert caught.value.issues[0].coordinate == "Query.a"
    assert '"Missing"' in str(caught.value)


# --- round trip through the gateway's reader -------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_round_trips_through_parse_supergraph(case: str) -> None:
    from federation.supergraph import parse_supergraph

    sources = fixture_sources(case)
    supergraph = parse_supergraph(compose(sources))
    assert supergraph.subgraph_urls == {s.name: s.url for s in sources}
    query = supergraph.api_schema.query_type
    assert query is not None
    assert "join__Graph" not in supergraph.api_sdl
    if case == "products":
        product = supergraph.api_schema.get_type("Product")
        assert product is not None and "internalCode" not in product.fields  # type: ignore[attr-defined]
    elif case == "citizen":
        applied = supergraph.field_directives("Citizen", "bloodPressure")
        assert [print_ast(d) for d in applied] == [
            '@dataCategory(name: "user.health.vitals", sensitivity: SPECIAL)'
        ]
    else:
        applied = supergraph.field_directives("Film", "rental")
        assert [print_ast(d) for d in applied] == ["@audience(minAge: 18)"]
        book = supergraph.api_schema.get_type("Book")
        assert book is not None and "rating" in book.fields  # type: ignore[attr-defined]
        assert supergraph.api_schema.get_directive("trace") is not None


# --- strawberry subgraphs ----------------------------------------------------------------------


@strawberry.enum
class Sensitivity(Enum):
    PERSONAL = "PERSONAL"
    SPECIAL = "SPECIAL"


@strawberry.federation.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    compose=True,
    import_url="https://joinedup.gov.uk/data-category/v1.0",
)
class DataCategory:
    name: str
    sensitivity: Sensitivity


@strawberry.federation.type(keys=["nino"], name="Citizen")
class IdentityCitizen:
    nino: strawberry.ID
    name: str = strawberry.federation.field(
        directives=[DataCategory(name="user.name", sensitivity=Sensitivity.PERSONAL)]
    )
    internal_ref: str = strawberry.federation.field(inaccessible=True, default="")


@strawberry.type(name="Query")
class IdentityQuery:
    @strawberry.field
    def citizen(self, nino: strawberry.ID) -> IdentityCitizen | None:
        return IdentityCitizen(nino=nino, name="Ada")


@strawberry.type(name="Reading")
class NhsReading:
    systolic: int
    diastolic: int


@strawberry.federation.type(keys=["nino"], name="Citizen")
class NhsCitizen:
    nino: strawberry.ID
    blood_pressure: list[NhsReading] = strawberry.federation.field(
        directives=[DataCategory(name="user.health.vitals", sensitivity=Sensitivity.SPECIAL)],
        default_factory=list,
    )


@strawberry.type(name="Query")
class NhsQuery:
    @strawberry.field
    def patients(self) -> list[NhsCitizen]:
        return []


@strawberry.federation.type(keys=["nino"], name="Citizen")
class DvlaCitizen:
    nino: strawberry.ID
    name: str = strawberry.federation.field(external=True)
    licence_greeting: str = strawberry.federation.field(requires=["name"], default="")


@strawberry.federation.type(keys=["number"], name="Licence")
class DvlaLicence:
    number: strawberry.ID
    holder: DvlaCitizen


@strawberry.type(name="Query")
class DvlaQuery:
    @strawberry.field
    def licence(self, number: strawberry.ID) -> DvlaLicence | None:
        return None


def identity_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=IdentityQuery)


def nhs_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=NhsQuery)


def dvla_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=DvlaQuery)


STRAWBERRY = {"identity": identity_schema, "nhs": nhs_schema, "dvla": dvla_schema}


def test_composes_strawberry_subgraphs() -> None:
    sources = [
        SubgraphSource(name, f"http://{name}.example/graphql", make().as_str())
        for name, make in STRAWBERRY.items()
    ]
    sdl = compose(sources)
    assert type_directives(sdl, "Citizen") == [
        '@join__type(graph: DVLA, key: "nino")',
        '@join__type(graph: IDENTITY, key: "nino")',
        '@join__type(graph: NHS, key: "nino")',
    ]
    assert field_directives(sdl, "Citizen", "name") == [
        "@join__field(graph: DVLA, external: true)",
        "@join__field(graph: IDENTITY)",
        '@dataCategory(name: "user.name", sensitivity: PERSONAL)',
    ]
    assert field_directives(sdl, "Citizen", "licenceGreeting") == [
        '@join__field(graph: DVLA, requires: "name")'
    ]
    assert field_directives(sdl, "Citizen", "bloodPressure") == [
        "@join__field(graph: NHS)",
        '@dataCategory(name: "user.health.vitals", sensitivity: SPECIAL)',
    ]
    assert field_directives(sdl, "Citizen", "internalRef") == [
        "@inaccessible",
        "@join__field(graph: IDENTITY)",
    ]
    assert (
        '@link(url: "https://joinedup.gov.uk/data-category/v1.0", as: "_0datacategory",'
        ' import: ["@dataCategory"])'
    ) in sdl
    assert "_entities" not in sdl and "_Service" not in sdl
    build_ast_schema(parse(sdl))


def graphql_app(schema: strawberry.federation.Schema) -> Starlette:
    return Starlette(routes=[Route("/graphql", GraphQL(schema))])


async def test_compose_from_urls_over_http() -> None:
    with contextlib.ExitStack() as stack:
        urls = {
            name: stack.enter_context(serve(graphql_app(make()))) + "/graphql"
            for name, make in STRAWBERRY.items()
        }
        composed = await compose_from_urls(urls)
        async with aiohttp.ClientSession() as session:
            fetched = await fetch_sdl(session, urls["nhs"])
    expected = compose(
        [SubgraphSource(name, urls[name], make().as_str()) for name, make in STRAWBERRY.items()]
    )
    assert composed == expected
    assert "@key" in fetched and "bloodPressure" in fetched


async def test_compose_from_urls_accepts_base_urls() -> None:
    with serve(graphql_app(identity_schema())) as base:
        composed = await compose_from_urls({"identity": base})
    assert f'url: "{base}/graphql"' in composed


async def test_compose_from_urls_reports_a_subgraph_without_sdl() -> None:
    async def not_graphql(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such thing"})

    with (
        serve(graphql_app(identity_schema())) as good,
        serve(not_graphql) as bad,
        pytest.raises(CompositionError) as caught,
    ):
        await compose_from_urls({"identity": good, "broken": bad + "/graphql"})
    assert codes(caught.value.issues) == ["SUBGRAPH_SDL_UNAVAILABLE"]
    assert caught.value.issues[0].subgraphs == ("broken",)


async def test_compose_from_urls_lets_transport_errors_through_for_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(aiohttp.ClientError):
        await compose_from_urls({"gone": f"http://127.0.0.1:{port}/graphql"})


# --- every error names its subgraphs and coordinate ------------------------------------------

_ERRORS: list[tuple[str, str, dict[str, str]]] = [
    (
        "INVALID_FIELD_SHARING",
        "T.x",
        {
            "a": 'type Query { a: T } type T @key(fields: "id") { id: ID! x: Int }',
            "b": 'type Query { b: T } type T @key(fields: "id") { id: ID! x: Int }',
        },
    ),
    (
        "KEY_INVALID_FIELDS",
        "T",
        {"a": 'type Query { a: T } type T @key(fields: "nope") { id: ID! }'},
    ),
    (
        "FIELD_TYPE_MISMATCH",
        "T.x",
        {
            "a": "type Query { a: T @shareable } type T @shareable { x: Int }",
            "b": "type Query { a: T @shareable } type T @shareable { x: [Int] }",
        },
    ),
    (
        "TYPE_KIND_MISMATCH",
        "T",
        {"a": "type Query { a: T } type T { x: Int }", "b": "type Query { b: Int } enum T { X }"},
    ),
    (
        "EXTERNAL_MISSING_ON_BASE",
        "T.x",
        {
            "a": 'type Query { a: T } type T @key(fields: "id") { id: ID! }',
            "b": 'type T @key(fields: "id") {\n'
            '  id: ID! x: Int @external y: Int @requires(fields: "x")\n}',
        },
    ),
    (
        "SATISFIABILITY_ERROR",
        "T.x",
        {
            "a": 'type Query { a: T } type T @key(fields: "id") { id: ID! }',
            "b": 'type T @key(fields: "id", resolvable: false) { id: ID! x: Int }',
        },
    ),
    (
        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
        "In.y",
        {
            "a": "type Query { a(i: In): Int } input In { x: Int y: Int! }",
            "b": "type Query { b(i: In): Int } input In { x: Int }",
        },
    ),
    (
        "ENUM_VALUE_MISMATCH",
        "E.Y",
        {
            "a": "type Query { a(e: E): E } enum E { X Y }",
            "b": "type Query { b(e: E): E } enum E { X }",
        },
    ),
]


@pytest.mark.parametrize(("code", "coordinate", "subgraphs"), _ERRORS, ids=[e[0] for e in _ERRORS])
def test_errors_name_subgraphs_type_and_field(
    code: str, coordinate: str, subgraphs: dict[str, str]
) -> None:
    with pytest.raises(CompositionError) as caught:
        compose_all(**subgraphs)
    issue = next(i for i in caught.value.issues if i.code == code)
    assert issue.coordinate == coordinate
    assert issue.subgraphs and set(issue.subgraphs) <= set(subgraphs)
    text = str(caught.value)
    assert coordinate in text and code in text
    for name in issue.subgraphs:
        assert f'"{name}"' in text
