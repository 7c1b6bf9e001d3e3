"""Serve one department subgraph as its own ASGI app (Starlette + strawberry)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from subgraphs.department import Context, Department
from subgraphs.federated import OrjsonView
from subgraphs.grant_check import GrantCheck
from subgraphs.store import Store, open_store


def database_path(data_dir: Path, department: str) -> Path:
    return data_dir / f"{department}.db"


class _DepartmentGraphQL(OrjsonView, GraphQL[Context, None]):
    def __init__(self, department: Department, stores: dict[str, Store]) -> None:
        super().__init__(department.schema, graphql_ide=None)
        self.department = department
        self.stores = stores

    async def get_context(self, request: Any, response: Any) -> Context:
        store = self.stores["store"]
        return Context(
            store=store, rights=self.department.rights, loaders=self.department.loaders(store)
        )


def create_app(
    department: Department, data_dir: Path, gateway_key: Ed25519PublicKey | None = None
) -> Starlette:
    """The department's subgraph at `/graphql`, reading `<data_dir>/<name>.db`.

    With `gateway_key`, every request must carry a grant signed by the gateway
    and ask for nothing beyond it.
    """
    stores: dict[str, Store] = {}
    graphql: Any = _DepartmentGraphQL(department, stores)
    if gateway_key is not None:
        graphql = GrantCheck(graphql, department.schema._schema, gateway_key, department.name)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stores["store"] = await open_store(database_path(data_dir, department.name))
        app.state.store = stores["store"]
        try:
            yield
        finally:
            await stores.pop("store").close()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "department": department.name})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
