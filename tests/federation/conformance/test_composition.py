"""Composition over the fixture subgraphs: deterministic output, Apollo's rules."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from federation.compose import CompositionError, SubgraphSource, compose

from .subgraphs.crates import SCHEMAS as CRATE_SCHEMAS
from .subgraphs.parcels import SCHEMAS as PARCEL_SCHEMAS


def test_same_subgraphs_give_byte_identical_supergraph(
    sources: list[SubgraphSource], supergraph_sdl: str
) -> None:
    first = compose(sources)
    assert compose(sources) == first
    assert compose(list(reversed(sources))) == first
    for seed in range(3):
        shuffled = list(sources)
        random.Random(seed).shuffle(shuffled)
        assert compose(shuffled) == first
    assert supergraph_sdl == first


_COMPOSE_FROM_JSON = """
import json, sys
from federation.compose import SubgraphSource, compose
sources = [SubgraphSource(**s) for s in json.load(sys.stdin)]
sys.stdout.write(compose(sources))
"""


@pytest.mark.parametrize("seed", ["1", "2"])
def test_same_supergraph_in_another_process_with_another_hash_seed(
    sources: list[SubgraphSource], supergraph_sdl: str, seed: str, tmp_path: Path
) -> None:
    listed = [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in reversed(sources)]
    result = subprocess.run(
        [sys.executable, "-c", _COMPOSE_FROM_JSON],
        input=json.dumps(listed),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    assert result.stdout == supergraph_sdl


def test_supergraph_names_every_subgraph_and_its_url(
    sources: list[SubgraphSource], supergraph_sdl: str
) -> None:
    for source in sources:
        graph = f'{source.name.upper()} @join__graph(name: "{source.name}", url: "{source.url}")'
        assert graph in supergraph_sdl


_USERS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
                    import: ["@key", "@shareable"])
type Query { users: [User] }
type User @key(fields: "id") { id: ID! name: String! @shareable }
"""
_POSTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
                    import: ["@key", "@external", "@provides"])
type Query { posts: [Post] }
type Post { id: ID! author: User @provides(fields: "name") }
type User @key(fields: "id") { id: ID! name: String! @external }
"""


def test_provided_external_field_counts_as_shareable() -> None:
    supergraph = compose(
        [
            SubgraphSource("users", "http://users.example/graphql", _USERS),
            SubgraphSource("posts", "http://posts.example/graphql", _POSTS),
        ]
    )
    assert 'provides: "name"' in supergraph


def test_entity_reachable_through_a_chain_of_keys_composes() -> None:
    sources = [
        SubgraphSource(name, f"http://{name}.example/graphql", schema.as_str())
        for name, schema in PARCEL_SCHEMAS.items()
    ]
    try:
        supergraph = compose(sources)
    except CompositionError as error:
        pytest.fail(str(error))
    assert '@join__type(graph: TRACKING, key: "barcode")' in supergraph


def test_value_type_field_reachable_through_parent_entity_composes() -> None:
    sources = [
        SubgraphSource(name, f"http://{name}.example/graphql", schema.as_str())
        for name, schema in CRATE_SCHEMAS.items()
    ]
    try:
        supergraph = compose(sources)
    except CompositionError as error:
        pytest.fail(str(error))
    assert "handling: String! @join__field(graph: HANDLING)" in supergraph


def _link(*imports: str) -> str:
    names = ", ".join(f'"@{name}"' for name in ("key", *imports))
    return (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [{names}])\n'
    )


_BROKEN: list[tuple[str, str, str, str, str]] = [
    (
        "INVALID_FIELD_SHARING",
        "Product.name",
        _link() + 'type Query { a: [Product] } type Product @key(fields: "upc") '
        "{ upc: ID! name: String }",
        _link() + 'type Query { b: [Product] } type Product @key(fields: "upc") '
        "{ upc: ID! name: String }",
        "both subgraphs resolve a field that neither marks @shareable",
    ),
    (
        "FIELD_TYPE_MISMATCH",
        "Product.name",
        _link("shareable") + 'type Query { a: [Product] } type Product @key(fields: "upc") '
        "{ upc: ID! name: String @shareable }",
        _link("shareable") + 'type Query { b: [Product] } type Product @key(fields: "upc") '
        "{ upc: ID! name: Int @shareable }",
        "the subgraphs disagree on the field's type",
    ),
    (
        "EXTERNAL_MISSING_ON_BASE",
        "Product.weight",
        _link() + 'type Query { a: [Product] } type Product @key(fields: "upc") { upc: ID! }',
        _link("external", "requires") + 'type Product @key(fields: "upc") { upc: ID! '
        'weight: Int @external estimate: Int @requires(fields: "weight") }',
        "an @external field that no subgraph defines",
    ),
    (
        "ENUM_VALUE_MISMATCH",
        "Order.DESC",
        _link() + "enum Order { ASC DESC } type Query { a(o: Order): Order }",
        _link() + "enum Order { ASC } type Query { b(o: Order): Order }",
        "an enum used as input and output must have the same values everywhere",
    ),
    (
        "EXTERNAL_UNUSED",
        "Product.weight",
        _link() + 'type Query { a: [Product] } type Product @key(fields: "upc") '
        "{ upc: ID! weight: Int }",
        _link("external") + 'type Query { b: [Product] } type Product @key(fields: "upc") '
        "{ upc: ID! weight: Int @external }",
        "an @external field no @key, @requires or @provides uses",
    ),
    (
        "TYPE_KIND_MISMATCH",
        "Box",
        _link() + "type Box { size: Int } type Query { a: Box }",
        _link() + "interface Box { size: Int } type Query { b: Box }",
        "the same name is an object type in one subgraph and an interface in another",
    ),
    (
        "REFERENCED_INACCESSIBLE",
        "Query.audit",
        _link("inaccessible") + "type Audit @inaccessible { note: String } "
        "type Query { audit: Audit }",
        _link() + "type Query { b: Int }",
        "a visible field may not return an @inaccessible type",
    ),
    (
        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
        "Filter.prefix",
        _link() + "input Filter { prefix: String! } type Query { a(f: Filter): Int }",
        _link() + "input Filter { other: Int } type Query { b(f: Filter): Int }",
        "a required input field must be in every subgraph",
    ),
]


@pytest.mark.parametrize(
    ("code", "coordinate", "first", "second", "why"), _BROKEN, ids=[b[0] for b in _BROKEN]
)
def test_composition_rule_violations_are_reported(
    code: str, coordinate: str, first: str, second: str, why: str
) -> None:
    sources = [
        SubgraphSource("first", "http://first.example/graphql", first),
        SubgraphSource("second", "http://second.example/graphql", second),
    ]
    with pytest.raises(CompositionError) as raised:
        compose(sources)
    issues = [i for i in raised.value.issues if i.code == code]
    assert issues, f"{why}: expected {code}, got {raised.value}"
    assert any(i.coordinate == coordinate for i in issues), raised.value
    assert all(part in str(raised.value) for part in coordinate.split(".")), raised.value
    named = {name for i in issues for name in i.subgraphs}
    assert named and named <= {"first", "second"}, raised.value
