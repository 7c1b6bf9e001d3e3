"""Every conformance case: fixture subgraphs over HTTP, composed, served by the gateway
over HTTP; the whole response and every subgraph request are checked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from federation.compose import CompositionError

from . import cases_directives, cases_entities, cases_errors, cases_operations, cases_types
from .case import Call, Case
from .client import assert_response, post
from .world import Fleet, Served, World

CASES: list[Case] = [
    *cases_entities.CASES,
    *cases_directives.CASES,
    *cases_types.CASES,
    *cases_operations.CASES,
    *cases_errors.CASES,
]


def _params(cases: Sequence[Case]) -> list[object]:
    return [
        pytest.param(
            case,
            id=case.name,
            marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [],
        )
        for case in cases
    ]


def _expected_calls(case: Case, fleet: Fleet) -> dict[str, list[Call]]:
    assert case.expected_subgraph_calls is not None
    unknown = set(case.expected_subgraph_calls) - set(fleet.recorders)
    assert not unknown, f"no such fixture subgraph: {unknown}"
    return {
        name: sorted(case.expected_subgraph_calls.get(name, []), key=repr)
        for name in fleet.recorders
    }


async def _run(case: Case, served: Served, fleet: Fleet) -> None:
    fleet.forget()
    status, body = await post(served.url, case.query, case.variables, case.operation_name)
    assert_response(status, body, case.expected)
    if case.expected_subgraph_calls is not None:
        assert fleet.calls() == _expected_calls(case, fleet)


def test_case_names_are_unique() -> None:
    others = [*cases_entities.PARCEL_CASES, *cases_entities.CRATE_CASES, *cases_errors.DOWN_CASES]
    names = [c.name for c in [*CASES, *others]]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", _params(CASES))
async def test_conformance(case: Case, served: Served, fleet: Fleet) -> None:
    await _run(case, served, fleet)


async def _run_in(case: Case, world: World) -> None:
    if isinstance(world.served, CompositionError):
        pytest.fail(f"the subgraphs do not compose: {world.served}")
    await _run(case, world.served, world.fleet)


@pytest.mark.parametrize("case", _params(cases_entities.PARCEL_CASES))
async def test_key_chain(case: Case, parcels: World) -> None:
    await _run_in(case, parcels)


@pytest.mark.parametrize("case", _params(cases_entities.CRATE_CASES))
async def test_parent_entity(case: Case, crates: World) -> None:
    await _run_in(case, crates)


@pytest.mark.parametrize("case", _params(cases_errors.DOWN_CASES))
async def test_subgraph_down(case: Case, served_without_accounts: Served, fleet: Fleet) -> None:
    await _run(case, served_without_accounts, fleet)


async def test_plan_cache_plans_an_operation_once(served: Served) -> None:
    query = "query Cached($upc: String!) { product(upc: $upc) { name inStock } }"
    gateway = served.gateway
    misses, hits = gateway.plan_cache_misses, gateway.plan_cache_hits
    for upc, name, in_stock in (("5", "Rug", False), ("6", "Shelf", True)):
        status, body = await post(served.url, query, {"upc": upc})
        assert_response(status, body, {"data": {"product": {"name": name, "inStock": in_stock}}})
    assert gateway.plan_cache_misses == misses + 1
    assert gateway.plan_cache_hits == hits + 1


async def test_cases_sent_all_at_once_get_their_own_answers(served: Served) -> None:
    """The gateway keeps concurrent operations apart (no state shared between them)."""
    queries = [c for c in CASES if not c.xfail and not c.query.lstrip().startswith("mutation")]
    answers = await asyncio.gather(
        *(post(served.url, c.query, c.variables, c.operation_name) for c in queries)
    )
    for case, (status, body) in zip(queries, answers, strict=True):
        assert_response(status, body, case.expected)
