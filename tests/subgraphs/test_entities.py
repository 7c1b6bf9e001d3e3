"""`_entities`: a batch of keys is one store query; bad keys are null plus an error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS
from tests.subgraphs.conftest import CITIZENS, SEED, Subgraph

ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Citizen { nin } }
}"""


def _representations(nins: list[str]) -> dict[str, object]:
    return {"representations": [{"__typename": "Citizen", "nin": nin} for nin in nins]}


@pytest.mark.parametrize("name", [d.name for d in DEPARTMENTS])
async def test_hundred_keys_one_store_query(subgraph: Callable[[str], Subgraph], name: str) -> None:
    graph = subgraph(name)
    nins = [p.nin for p in people(100, SEED)]
    before = graph.store_queries
    result = await graph.query(ENTITIES, _representations(nins))
    assert graph.store_queries - before == 1
    assert "errors" not in result
    assert [entity["nin"] for entity in result["data"]["_entities"]] == nins


@pytest.mark.parametrize("name", [d.name for d in DEPARTMENTS])
async def test_unknown_and_malformed_keys(subgraph: Callable[[str], Subgraph], name: str) -> None:
    known = next(people(1, SEED)).nin
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    result = await subgraph(name).query(
        ENTITIES, _representations([known, unknown, "not-a-nin", known])
    )
    entities = result["data"]["_entities"]
    assert entities == [{"nin": known}, None, None, {"nin": known}]
    by_index = {error["path"][1]: error for error in result["errors"]}
    assert set(by_index) == {1, 2}
    assert by_index[1]["extensions"]["code"] == "NOT_FOUND"
    assert by_index[2]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not-a-nin" in by_index[2]["message"]


@pytest.mark.parametrize("name", [d.name for d in DEPARTMENTS])
async def test_representation_without_key_is_an_error(
    subgraph: Callable[[str], Subgraph], name: str
) -> None:
    result = await subgraph(name).query(
        ENTITIES,
        {"representations": [{"__typename": "Citizen"}, {"__typename": "Citizen", "nin": 7}]},
    )
    assert result["data"]["_entities"] == [None, None]
    assert len(result["errors"]) == 2
