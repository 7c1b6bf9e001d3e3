"""Send operations to subgraphs over pooled keep-alive HTTP connections."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
import orjson
from yarl import URL

from federation.types import GraphQLErrorDict, JSONObject, Variables

# Bodies are small and local: asking for them uncompressed saves a decompression step.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024  # a fifty-citizen answer is tens of kilobytes
MAX_ERROR_PATH = 64  # the gateway's limits keep every query far shallower
_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json",
    "accept-encoding": "identity",
}


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    """What one subgraph request produced."""

    data: JSONObject | None
    errors: list[GraphQLErrorDict] = field(default_factory=list)
    failure: str | None = None
    """Why the subgraph gave no usable answer (down, timeout, 5xx, not JSON)."""


def open_sessions(
    urls: Mapping[str, str],
    *,
    timeout: float,
    timeouts: Mapping[str, float] | None = None,
    connections: int = 100,
) -> dict[str, aiohttp.ClientSession]:
    """One keep-alive session per subgraph (call inside a running event loop).

    `timeouts` overrides the total request timeout of some subgraphs by name.
    """
    overrides = timeouts or {}
    return {
        name: aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=60),
            timeout=aiohttp.ClientTimeout(total=overrides.get(name, timeout)),
            headers=_HEADERS,
            auto_decompress=False,
            # Subgraphs set no cookies worth keeping; the jar's bookkeeping costs every request.
            cookie_jar=aiohttp.DummyCookieJar(),
            json_serialize=lambda v: orjson.dumps(v).decode(),
        )
        for name in urls
    }


async def close_sessions(sessions: Mapping[str, aiohttp.ClientSession]) -> None:
    await asyncio.gather(*(s.close() for s in sessions.values()))


async def _bounded_read(response: aiohttp.ClientResponse) -> bytes | None:
    """The body, or None past `MAX_RESPONSE_BYTES` (a department's answers have a length)."""
    length = response.content_length
    if length is not None:
        return await response.read() if length <= MAX_RESPONSE_BYTES else None
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def post(
    session: aiohttp.ClientSession,
    url: URL,
    operation: str,
    variables: Variables,
    headers: Mapping[str, str] | None = None,
) -> SubgraphResponse:
    """POST one GraphQL operation; never raises for network or protocol failures."""
    body = orjson.dumps({"query": operation, "variables": variables})
    try:
        async with session.post(url, data=body, headers=headers) as response:
            status = response.status
            raw = await _bounded_read(response)
            if raw is None:
                return SubgraphResponse(None, failure=f"answered over {MAX_RESPONSE_BYTES} bytes")
    except TimeoutError:
        return SubgraphResponse(None, failure="timed out")
    except aiohttp.ClientError as exc:
        return SubgraphResponse(None, failure=f"request failed: {exc.__class__.__name__}")
    if status >= 500:
        return SubgraphResponse(None, failure=f"HTTP {status}")
    try:
        decoded = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return SubgraphResponse(None, failure=f"HTTP {status} with a body that is not JSON")
    if not isinstance(decoded, dict) or ("data" not in decoded and "errors" not in decoded):
        return SubgraphResponse(None, failure=f"HTTP {status} without a GraphQL response")
    data = decoded.get("data")
    errors = decoded.get("errors") or []
    if not isinstance(errors, list):
        errors = [{"message": str(errors)}]
    return SubgraphResponse(data if isinstance(data, dict) else None, [_error(e) for e in errors])


def _error(error: object) -> GraphQLErrorDict:
    """A department's error as the gateway can use it: a path that is not a short list of
    names and indices is dropped (it would be hashed, and every prefix of it kept)."""
    if not isinstance(error, dict):
        return {"message": str(error)}
    path = error.get("path")
    if path is None or (
        isinstance(path, list)
        and len(path) <= MAX_ERROR_PATH
        and all(type(step) in (str, int) for step in path)
    ):
        return error
    return {key: value for key, value in error.items() if key != "path"}
