"""Serve the consent service: its subgraph at `/graphql`, its receipt key at the JWKS URL.

Who is asking comes from the gateway's `Joinedup-Grant` header: the client,
and the citizen when one acts for themselves. With a gateway key the grant
must verify and cover every field asked (`GrantCheck`); without one (a
trusted network, as for the departments) the grant is read unverified.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from subgraphs.consent.receipts import jwks
from subgraphs.consent.requests import open_request_store
from subgraphs.consent.schema import Context, make_context, schema
from subgraphs.consent.service import Deps, load_registry
from subgraphs.consent.store import open_consent_store
from subgraphs.federated import OrjsonView
from subgraphs.grant_check import GrantCheck, caller_of

NAME = "consent"
PORT = 4007
JWKS_PATH = "/.well-known/jwks.json"


class _ConsentGraphQL(OrjsonView, GraphQL[Context, None]):
    def __init__(self, deps: dict[str, Deps], gateway_key: Ed25519PublicKey | None) -> None:
        super().__init__(schema, graphql_ide=None)
        self.deps = deps
        self.gateway_key = gateway_key

    async def get_context(self, request: Any, response: Any) -> Context:
        return make_context(self.deps["deps"], caller_of(request.headers, self.gateway_key, NAME))


def create_app(
    store_url: str,
    purposes: Mapping[str, Any],
    clients: Mapping[str, Any],
    receipt_key: Ed25519PrivateKey,
    gateway_key: Ed25519PublicKey | None = None,
) -> Starlette:
    """The consent service on the store at `store_url` (`sqlite:///...` or `postgresql://...`).

    `purposes` and `clients` are the registries (the `purposes` and `clients`
    objects of their JSON files); `receipt_key` signs receipts. With
    `gateway_key`, every request must carry a grant signed by the gateway.
    """
    registry = load_registry(purposes, clients)
    opened: dict[str, Deps] = {}
    graphql: Any = _ConsentGraphQL(opened, gateway_key)
    if gateway_key is not None:
        graphql = GrantCheck(graphql, schema._schema, gateway_key, NAME)
    published = jwks(receipt_key.public_key())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await open_consent_store(store_url, registry.facts)
        try:
            requests = await open_request_store(store_url)
        except BaseException:
            await store.close()
            raise
        opened["deps"] = Deps(store, requests, registry, receipt_key)
        app.state.store = store
        app.state.requests = requests
        try:
            yield
        finally:
            del opened["deps"]
            await requests.close()
            await store.close()

    async def keys(request: Request) -> JSONResponse:
        return JSONResponse(published, headers={"cache-control": "public, max-age=300"})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "department": NAME})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route(JWKS_PATH, keys),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
