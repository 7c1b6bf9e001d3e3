"""Fixture subgraphs over real HTTP, composed and served through the gateway's app."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from federation.app import create_app
from federation.compose import (
    CompositionError,
    SubgraphSource,
    compose,
    compose_from_urls,
    fetch_sdl,
)
from federation.gateway import Gateway
from tests.servers import serve

from .case import Call
from .recorder import Recorder
from .subgraphs import SCHEMAS
from .subgraphs.crates import SCHEMAS as CRATE_SCHEMAS
from .subgraphs.parcels import SCHEMAS as PARCEL_SCHEMAS


@dataclass(frozen=True)
class Fleet:
    """The running fixture subgraphs: endpoint URL and request recorder by name."""

    urls: dict[str, str]
    recorders: dict[str, Recorder]

    def forget(self) -> None:
        for recorder in self.recorders.values():
            recorder.received.clear()

    def calls(self) -> dict[str, list[Call]]:
        return {name: sorted(r.calls(), key=repr) for name, r in self.recorders.items()}


@dataclass(frozen=True)
class Served:
    """A gateway and the URL of its `/graphql` endpoint."""

    gateway: Gateway
    url: str


def _start(stack: contextlib.ExitStack, schemas: dict[str, Schema]) -> Fleet:
    urls, recorders = {}, {}
    for name, schema in schemas.items():
        app = Starlette(routes=[Route("/graphql", GraphQL(schema, graphql_ide=None))])
        recorders[name] = Recorder(app)
        urls[name] = stack.enter_context(serve(recorders[name])) + "/graphql"
    return Fleet(urls, recorders)


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    with contextlib.ExitStack() as stack:
        yield _start(stack, SCHEMAS)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def supergraph_sdl(fleet: Fleet) -> str:
    return await compose_from_urls(fleet.urls)


def _serve_gateway(sdl: str) -> Iterator[Served]:
    gateway = Gateway.from_supergraph_sdl(sdl)
    with serve(create_app(gateway)) as base:
        yield Served(gateway, base + "/graphql")


@pytest.fixture(scope="session")
def served(supergraph_sdl: str) -> Iterator[Served]:
    yield from _serve_gateway(supergraph_sdl)


@contextlib.contextmanager
def _refusing_url() -> Iterator[str]:
    """A URL on a port that is bound but never listens: connections are refused, and
    no other server can take the port meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sources(fleet: Fleet) -> list[SubgraphSource]:
    async with aiohttp.ClientSession() as session:
        return [
            SubgraphSource(name, url, await fetch_sdl(session, url))
            for name, url in fleet.urls.items()
        ]


@pytest.fixture(scope="session")
def served_without_accounts(sources: list[SubgraphSource]) -> Iterator[Served]:
    """The same supergraph, but the accounts subgraph's URL answers nothing."""
    with _refusing_url() as nowhere:
        down = [
            SubgraphSource(s.name, nowhere, s.sdl) if s.name == "accounts" else s for s in sources
        ]
        yield from _serve_gateway(compose(down))


@dataclass(frozen=True)
class World:
    """A small set of fixture subgraphs and its gateway, or why it could not compose."""

    fleet: Fleet
    served: Served | CompositionError


async def _world(schemas: dict[str, Schema]) -> AsyncIterator[World]:
    with contextlib.ExitStack() as stack:
        fleet = _start(stack, schemas)
        try:
            sdl = await compose_from_urls(fleet.urls)
        except CompositionError as error:
            yield World(fleet, error)
            return
        for served in _serve_gateway(sdl):
            yield World(fleet, served)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def parcels() -> AsyncIterator[World]:
    async for world in _world(PARCEL_SCHEMAS):
        yield world


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def crates() -> AsyncIterator[World]:
    async for world in _world(CRATE_SCHEMAS):
        yield world
