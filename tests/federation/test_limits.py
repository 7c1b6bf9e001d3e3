"""Each limit in `check_limits`, with the error code a client sees."""

from __future__ import annotations

import pytest
from graphql import build_schema, get_introspection_query, parse

from federation.limits import Limits, check_limits, list_size_from_variables

SCHEMA = build_schema(
    """
    type Citizen {
      nino: ID!
      name: String
      household(first: Int): [Citizen!]!
      letters(limit: Int): [Letter]
    }
    type Letter { subject: String, from: Citizen }
    type CitizenPage { endCursor: String, citizens: [Citizen!]! }
    type Query {
      citizen(nino: ID!): Citizen
      citizens(first: Int): [Citizen!]!
      page(first: Int): CitizenPage!
      version: String
    }
    """
)


def codes(query: str, limits: Limits, **kwargs: object) -> list[str]:
    errors = check_limits(parse(query), limits, schema=SCHEMA, **kwargs)  # type: ignore[arg-type]
    return [str((e.extensions or {})["code"]) for e in errors]


def nested(levels: int) -> str:
    inner = "name"
    for _ in range(levels - 1):
        inner = f"household {{ {inner} }}"
    return f"{{ citizen(nino: 1) {{ {inner} }} }}"


def test_an_ordinary_query_passes_the_defaults() -> None:
    assert codes("{ citizen(nino: 1) { name household { name } } }", Limits()) == []


def test_the_standard_introspection_query_passes_the_defaults() -> None:
    assert codes(get_introspection_query(descriptions=True), Limits()) == []


def test_depth_counts_field_levels() -> None:
    limits = Limits(max_depth=4)
    assert codes(nested(3), limits) == []  # citizen + 2 household + name = 4 levels
    assert codes(nested(4), limits) == ["MAX_DEPTH_EXCEEDED"]


def test_depth_counts_through_fragments() -> None:
    query = """
    { citizen(nino: 1) { ...A } }
    fragment A on Citizen { household { ...B } }
    fragment B on Citizen { household { ... on Citizen { household { name } } } }
    """
    assert codes(query, Limits(max_depth=5)) == []
    assert codes(query, Limits(max_depth=4)) == ["MAX_DEPTH_EXCEEDED"]


def test_fragment_cycles_end_the_walk() -> None:
    query = """
    { citizen(nino: 1) { ...A } }
    fragment A on Citizen { household { ...B } }
    fragment B on Citizen { household { ...A } }
    """
    assert codes(query, Limits()) == []
    assert codes("{ ...Q } fragment Q on Query { ...Q }", Limits()) == []


def test_fragments_spread_many_times_are_walked_once() -> None:
    # Each fragment spreads the next twice: 2**40 expansions if walked naively.
    fragments = "".join(
        f"fragment F{i} on Citizen {{ household {{ ...F{i + 1} ...F{i + 1} }} }}\n"
        for i in range(40)
    )
    query = "{ citizen(nino: 1) { ...F0 } }\n" + fragments + "fragment F40 on Citizen { name }"
    assert codes(query, Limits()) == [
        "MAX_DEPTH_EXCEEDED",
        "MAX_COST_EXCEEDED",
        "MAX_FIELDS_EXCEEDED",
    ]


def test_aliases_are_counted_everywhere() -> None:
    aliases = " ".join(f"a{i}: name" for i in range(5))
    query = f"{{ citizen(nino: 1) {{ {aliases} ...F }} }} fragment F on Citizen {{ n: nino }}"
    assert codes(query, Limits(max_aliases=6)) == []
    assert codes(query, Limits(max_aliases=5)) == ["MAX_ALIASES_EXCEEDED"]


def test_root_fields_include_those_in_root_fragments() -> None:
    query = "{ version citizen(nino: 1) { name } ...R } fragment R on Query { v2: version }"
    assert codes(query, Limits(max_root_fields=3)) == []
    assert codes(query, Limits(max_root_fields=2)) == ["MAX_ROOT_FIELDS_EXCEEDED"]


def test_list_fields_multiply_cost_by_their_size_argument() -> None:
    query = (
        "{ citizens(first: 50) { household(first: 20) { letters(limit: 5) { from { name } } } } }"
    )
    # citizens: 1 + 50 * (household: 1 + 20 * (letters: 1 + 5 * (from: 1)))
    assert codes(query, Limits(max_cost=1 + 50 * (1 + 20 * (1 + 5 * 1)))) == []
    assert codes(query, Limits(max_cost=50 * 121)) == ["MAX_COST_EXCEEDED"]


def test_lists_without_a_size_use_the_default_list_size() -> None:
    query = "{ citizens { household { nino } } }"
    assert codes(query, Limits(max_cost=11, default_list_size=10)) == []
    assert codes(query, Limits(max_cost=11, default_list_size=11)) == ["MAX_COST_EXCEEDED"]


def test_list_sizes_from_variables_use_the_given_values() -> None:
    query = "query ($n: Int) { citizens(first: $n) { household { nino } } }"
    assert list_size_from_variables(parse(query))
    assert not list_size_from_variables(parse("{ citizens(first: 3) { nino } }"))
    limits = Limits(max_cost=100)
    assert codes(query, limits, variables={"n": 9}) == []
    assert codes(query, limits, variables={"n": 1000}) == ["MAX_COST_EXCEEDED"]


def test_only_the_named_operation_is_checked() -> None:
    query = "query Deep " + nested(30) + " query Small { version }"
    limits = Limits(max_cost=10**40)
    assert codes(query, limits, operation_name="Small") == []
    assert codes(query, limits, operation_name="Deep") == ["MAX_DEPTH_EXCEEDED"]
    assert codes(query, limits) == ["MAX_DEPTH_EXCEEDED"]


def test_errors_name_the_limit_and_the_figure_found() -> None:
    [error] = check_limits(parse(nested(5)), Limits(max_depth=3), schema=SCHEMA)
    assert error.message == "The operation is nested 6 levels deep; the limit is 3."
    assert error.extensions == {"code": "MAX_DEPTH_EXCEEDED", "limit": 3, "found": 6}


def test_unknown_fields_still_count_without_a_schema() -> None:
    query = "{ a { b { c { d } } } x: e }"
    errors = check_limits(parse(query), Limits(max_depth=3, max_aliases=0))
    assert [e.extensions["code"] for e in errors if e.extensions] == [
        "MAX_DEPTH_EXCEEDED",
        "MAX_ALIASES_EXCEEDED",
    ]


def test_typename_costs_nothing() -> None:
    query = "{ citizens(first: 100) { __typename household { __typename } } }"
    assert codes(query, Limits(max_cost=101)) == []


@pytest.mark.parametrize("bad", [{"max_depth": -1}, {"max_cost": 1.5}, {"max_aliases": True}])
def test_limits_reject_nonsense(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=f"Limits.{next(iter(bad))} must be a whole number"):
        Limits(**bad)  # type: ignore[arg-type]


def doubling(levels: int) -> str:
    """Each fragment spreads the one before twice: 2**levels fields once expanded."""
    fragments = ["fragment F0 on Citizen { name }"]
    for n in range(1, levels):
        fragments.append(f"fragment F{n} on Citizen {{ ...F{n - 1} ...F{n - 1} }}")
    return f"{{ citizen(nino: 1) {{ ...F{levels - 1} }} }} " + " ".join(fragments)


def test_fields_are_counted_with_every_fragment_expanded() -> None:
    # Planning walks what the fragments expand to: a short text may stand for millions.
    assert codes(doubling(10), Limits()) == []  # 1 + 512 fields
    assert codes(doubling(12), Limits()) == ["MAX_FIELDS_EXCEEDED"]  # 1 + 2048
    assert codes(doubling(60), Limits()) == ["MAX_FIELDS_EXCEEDED"]  # counted, not walked


def test_a_list_size_too_long_for_an_integer_is_over_the_cost_limit() -> None:
    query = "{ citizens(first: NUMBER) { household { name } } }".replace("NUMBER", "9" * 5000)
    assert codes(query, Limits()) == ["MAX_COST_EXCEEDED"]


def test_a_pages_size_is_the_size_of_the_list_inside_it() -> None:
    # `page(first: 100)` is an object; its `citizens` list is what holds a hundred.
    query = "{ page(first: SIZE) { endCursor citizens { household { name } } } }"
    assert codes(query.replace("SIZE", "100"), Limits(max_cost=50)) == ["MAX_COST_EXCEEDED"]
    assert codes(query.replace("SIZE", "1"), Limits(max_cost=50)) == []
