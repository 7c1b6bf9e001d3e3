"""Serve the access service: its subgraph at `/graphql`.

Who is asking comes from the gateway's `Joinedup-Grant` header: the client,
and the citizen when one acts for themselves. With a gateway key the grant
must verify and cover every field asked (`GrantCheck`); without one (a
trusted network, as for the departments) the grant is read unverified.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from subgraphs.access.log import Catalog, catalog_from_sdl
from subgraphs.access.outcomes import open_outcome_store
from subgraphs.access.schema import Context, Deps, schema
from subgraphs.federated import OrjsonView
from subgraphs.grant_check import GrantCheck, caller_of

NAME = "access"
PORT = 4008


def department_catalog() -> dict[tuple[str, str], str]:
    """The field categories of every department and of the consent and access services."""
    from subgraphs.consent import app as consent_app
    from subgraphs.consent.schema import schema as consent_schema
    from subgraphs.registry import DEPARTMENTS

    sdl = {d.name: d.schema.as_str() for d in DEPARTMENTS}
    sdl[consent_app.NAME] = consent_schema.as_str()
    sdl[NAME] = schema.as_str()
    return catalog_from_sdl(sdl)


class _AccessGraphQL(OrjsonView, GraphQL[Context, None]):
    def __init__(self, deps: dict[str, Deps], gateway_key: Ed25519PublicKey | None) -> None:
        super().__init__(schema, graphql_ide=None)
        self.deps = deps
        self.gateway_key = gateway_key

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(self.deps["deps"], caller_of(request.headers, self.gateway_key, NAME))


def create_app(
    ledger_url: str,
    outcome_url: str,
    purposes: Mapping[str, Any],
    clients: Mapping[str, Any],
    gateway_key: Ed25519PublicKey | None = None,
    catalog: Catalog | None = None,
) -> Starlette:
    """The access service reading the ledger at `ledger_url`, outcomes at `outcome_url`.

    `purposes` and `clients` are the registries (the `purposes` and `clients`
    objects of their JSON files); `catalog` maps (department, field coordinate)
    to its data category (by default read from every department's schema).
    With `gateway_key`, every request must carry a grant signed by the gateway.
    """
    opened: dict[str, Deps] = {}
    graphql: Any = _AccessGraphQL(opened, gateway_key)
    if gateway_key is not None:
        graphql = GrantCheck(graphql, schema._schema, gateway_key, NAME)
    fields = catalog if catalog is not None else department_catalog()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        outcomes = await open_outcome_store(outcome_url)
        opened["deps"] = Deps(ledger_url, outcomes, fields, purposes, clients)
        try:
            yield
        finally:
            del opened["deps"]
            await outcomes.close()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "department": NAME})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
