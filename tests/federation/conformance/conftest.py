"""Fixture subgraphs over real HTTP, composed and served through the gateway's app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from federation.compose import SubgraphSource, compose, compose_from_urls, fetch_sdl

from .subgraphs import SCHEMAS
from .subgraphs.crates import SCHEMAS as CRATE_SCHEMAS
from .subgraphs.parcels import SCHEMAS as PARCEL_SCHEMAS
from .world import Fleet, Served, World, refusing_url, serve_gateway, start_fleet, start_world


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    with contextlib.ExitStack() as stack:
        yield start_fleet(stack, SCHEMAS)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def supergraph_sdl(fleet: Fleet) -> str:
    return await compose_from_urls(fleet.urls)


@pytest.fixture(scope="session")
def served(supergraph_sdl: str) -> Iterator[Served]:
    yield from serve_gateway(supergraph_sdl)


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
    with refusing_url() as nowhere:
        down = [
            SubgraphSource(s.name, nowhere, s.sdl) if s.name == "accounts" else s for s in sources
        ]
        yield from serve_gateway(compose(down))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def parcels() -> AsyncIterator[World]:
    async for world in start_world(PARCEL_SCHEMAS):
        yield world


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def crates() -> AsyncIterator[World]:
    async for world in start_world(CRATE_SCHEMAS):
        yield world
