"""Running fixture subgraphs and gateways: the pieces the fixtures put together."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from federation.app import create_app
from federation.compose import CompositionError, compose_from_urls
from federation.gateway import Gateway
from tests.servers import serve

from .case import Call
from .recorder import Recorder


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


@dataclass(frozen=True)
class World:
    """A small set of fixture subgraphs and its gateway, or why it could not compose."""

    fleet: Fleet
    served: Served | CompositionError


def start_fleet(stack: contextlib.ExitStack, schemas: dict[str, Schema]) -> Fleet:
    """Serve each schema at `/graphql` on its own port, recording what it receives."""
    urls, recorders = {}, {}
    for name, schema in schemas.items():
        app = Starlette(routes=[Route("/graphql", GraphQL(schema, graphql_ide=None))])
        recorders[name] = Recorder(app)
        urls[name] = stack.enter_context(serve(recorders[name])) + "/graphql"
    return Fleet(urls, recorders)


def serve_gateway(sdl: str) -> Iterator[Served]:
    gateway = Gateway.from_supergraph_sdl(sdl)
    with serve(create_app(gateway, security=None)) as base:
        yield Served(gateway, base + "/graphql")


@contextlib.contextmanager
def refusing_url() -> Iterator[str]:
    """A URL on a port that is bound but never listens: connections are refused, and
    no other server can take the port meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"


async def start_world(schemas: dict[str, Schema]) -> AsyncIterator[World]:
    with contextlib.ExitStack() as stack:
        fleet = start_fleet(stack, schemas)
        try:
            sdl = await compose_from_urls(fleet.urls)
        except CompositionError as error:
            yield World(fleet, error)
            return
        for served in serve_gateway(sdl):
            yield World(fleet, served)
