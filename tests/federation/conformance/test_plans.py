"""The shape of the gateway's query plans for the fixture subgraphs: what runs in
sequence, what runs in parallel (which subgraph calls alone cannot show)."""

from __future__ import annotations

import re

from graphql import parse

from federation.plan import format_plan

from .world import Served

_NODE = re.compile(
    r'^( *)(Sequence|Parallel) \{|^( *)(Fetch|Flatten)\((?:service|path): "([^"]+)"\)'
)


def _outline(served: Served, query: str) -> list[str]:
    """The plan's Sequence/Parallel/Flatten/Fetch nodes, one a line, indented by depth."""
    plan = served.gateway.plan(parse(query), None, cache_key=f"outline {query}")
    nodes = []
    for line in format_plan(plan).splitlines():
        match = _NODE.match(line)
        if match:
            indent = match.group(1) if match.group(2) else match.group(3)
            kind = match.group(2) or f"{match.group(4)} {match.group(5)}"
            nodes.append((len(indent), kind))
    top = min(indent for indent, _ in nodes)
    return [" " * ((indent - top) // 2 * 2) + kind for indent, kind in nodes]


def test_one_subgraph_is_one_fetch(served: Served) -> None:
    assert _outline(served, "{ topProducts { name price } }") == ["Fetch products"]


def test_requires_chain_runs_in_sequence(served: Served) -> None:
    assert _outline(served, "{ topProducts(first: 2) { upc shippingClass } }") == [
        "Sequence",
        "  Fetch products",
        "  Flatten topProducts.@",
        "    Fetch shipping",
        "  Flatten topProducts.@",
        "    Fetch inventory",
    ]


def test_independent_entity_fetches_run_in_parallel(served: Served) -> None:
    outline = _outline(served, '{ review(id: "r3") { product { inStock price } } }')
    assert outline[:3] == ["Sequence", "  Fetch reviews", "  Parallel"]
    branches = [outline[3:5], outline[5:7]]
    assert sorted(branches) == [
        ["    Flatten review.product", "      Fetch inventory"],
        ["    Flatten review.product", "      Fetch products"],
    ]
    assert len(outline) == 7


def test_mutation_fields_run_in_sequence(served: Served) -> None:
    mutation = (
        'mutation { a: signIn(journal: "plan", username: "ada") '
        'b: postReview(journal: "plan", body: "b") c: signIn(journal: "plan", username: "alan") }'
    )
    assert _outline(served, mutation) == [
        "Sequence",
        "  Fetch accounts",
        "  Fetch reviews",
        "  Fetch accounts",
    ]
