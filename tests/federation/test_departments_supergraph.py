"""The six departments, the consent and access services compose into one stable supergraph."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.compose import compose_from_urls
from federation.supergraph import parse_supergraph
from subgraphs.app import create_app
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all
from tests.servers import serve


@pytest.fixture(scope="module")
def departments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data_dir: Path = tmp_path_factory.mktemp("compose")
    seed_all(data_dir, 10, 1, DEPARTMENTS, progress=None)
    with contextlib.ExitStack() as stack:
        yield {
            d.name: stack.enter_context(serve(create_app(d, data_dir))) + "/graphql"
            for d in DEPARTMENTS
        }


async def test_composition_is_the_same_on_every_run_and_in_any_order(
    departments: dict[str, str],
) -> None:
    first = await compose_from_urls(departments)
    names = list(departments)
    for seed in range(3):
        random.Random(seed).shuffle(names)
        assert await compose_from_urls({n: departments[n] for n in names}) == first


async def test_every_citizen_field_keeps_its_data_category_and_owner(
    departments: dict[str, str],
) -> None:
    supergraph = parse_supergraph(await compose_from_urls(departments))
    citizen = supergraph.types["Citizen"]
    assert set(citizen.graphs) == set(departments)
    for name, field in citizen.fields.items():
        directives = supergraph.field_directives("Citizen", name)
        assert [d.name.value for d in directives] == ["dataCategory"], name
        assert field.graphs, name
    described = supergraph.api_schema.get_type("Citizen").fields["taxCode"].description  # type: ignore[union-attr]
    assert described is not None and "hmrc" in described and "user.financial.tax" in described
    assert "@dataCategory(" in supergraph.api_sdl
