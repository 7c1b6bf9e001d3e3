"""The part of OPA's REST API the gateway uses, as OPA documents it, for tests.

`POST /v1/data/{path}` evaluates `data.<path>` with the request's `input` on a
real Rego engine over a real policy directory and answers
`{"result": ..., "decision_id": ...}` (no `result` key when undefined), with
`provenance` when `?provenance=true`; a malformed body is a 400 with OPA's
`{"code": "invalid_parameter", "message": ...}`. `GET /health` answers `{}`.
Knobs let a test slow it down or break it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation import rego


@dataclass
class Knobs:
    delay: float = 0.0
    status: int = 200
    calls: int = 0


def _json(value: object, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status, media_type="application/json")


def opa_app(policy_dir: Path, knobs: Knobs) -> Starlette:
    bundle = rego.read_bundle(policy_dir)
    engines: list[Any] = []  # a Regorus engine is used only on the thread that made it

    def engine() -> Any:
        if not engines:
            engines.append(rego.compile_bundle(bundle))
        return engines[0]

    async def data(request: Request) -> Response:
        knobs.calls += 1
        if knobs.delay:
            await asyncio.sleep(knobs.delay)
        if knobs.status != 200:
            return _json({"code": "internal_error", "message": "broken on purpose"}, knobs.status)
        try:
            body = orjson.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be an object")
        except (orjson.JSONDecodeError, ValueError) as error:
            return _json({"code": "invalid_parameter", "message": str(error)}, 400)
        path = request.path_params["path"].strip("/").replace("/", ".")
        answer: dict[str, object] = {"decision_id": str(uuid.uuid4())}
        try:
            answer["result"] = rego.evaluate(engine(), f"data.{path}", body.get("input"))
        except RuntimeError as error:
            if "not a valid rule path" not in str(error):
                return _json({"code": "internal_error", "message": rego.message(error)}, 500)
        if answer.get("result") is None:
            answer.pop("result", None)
        if request.query_params.get("provenance") == "true":
            answer["provenance"] = {
                "version": "test",
                "bundles": {"joinedup": {"revision": bundle.revision}},
            }
        return _json(answer)

    async def health(request: Request) -> Response:
        return _json({})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        engines.clear()  # dropped here, on the server's thread

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/v1/data/{path:path}", data, methods=["POST"]),
            Route("/health", health),
        ],
    )
