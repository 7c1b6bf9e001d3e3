"""Seeded department stores and their subgraphs served over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from subgraphs.app import create_app
from subgraphs.registry import DEPARTMENTS, department
from subgraphs.seed import seed_all
from tests.servers import serve

CITIZENS = 300
SEED = 7


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stores")
    seed_all(path, CITIZENS, SEED, DEPARTMENTS, progress=None)
    return path


class Subgraph:
    """A department subgraph running on a loopback port, with its app for inspection."""

    def __init__(self, app: Any, url: str, session: aiohttp.ClientSession) -> None:
        self.app = app
        self.url = url
        self.session = session

    @property
    def store_queries(self) -> int:
        count: int = self.app.state.store.queries
        return count

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = orjson.dumps({"query": query, "variables": variables or {}})
        headers = {"content-type": "application/json"}
        async with self.session.post(f"{self.url}/graphql", data=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            return orjson.loads(await resp.read())


@pytest.fixture(scope="session")
def serving(data_dir: Path) -> Iterator[dict[str, tuple[Any, str]]]:
    """Every department served once for the whole session."""
    import contextlib

    with contextlib.ExitStack() as stack:
        running = {}
        for d in DEPARTMENTS:
            app = create_app(d, data_dir)
            running[d.name] = (app, stack.enter_context(serve(app)))
        yield running


@pytest.fixture
async def subgraph(
    serving: dict[str, tuple[Any, str]],
) -> AsyncIterator[Callable[[str], Subgraph]]:
    async with aiohttp.ClientSession() as session:

        def open_subgraph(name: str) -> Subgraph:
            department(name)  # a clear error for a misspelt name
            app, url = serving[name]
            return Subgraph(app, url, session)

        yield open_subgraph
