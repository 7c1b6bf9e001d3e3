"""Send an operation to the gateway and compare its whole response with the expected one."""

from __future__ import annotations

from typing import Any

import aiohttp

ACCEPT = "application/graphql-response+json, application/json;q=0.9"


async def post(
    url: str, query: str, variables: dict[str, Any] | None, operation_name: str | None = None
) -> tuple[int, Any]:
    """POST one operation; the HTTP status and the decoded JSON body."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if operation_name is not None:
        body["operationName"] = operation_name
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers={"accept": ACCEPT}) as response,
    ):
        return response.status, await response.json(content_type=None)


def ordered(value: Any) -> Any:
    """`value` with every object turned into its list of items, so key order counts."""
    if isinstance(value, dict):
        return [[key, ordered(item)] for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def assert_response(status: int, actual: Any, expected: dict[str, Any]) -> None:
    """Exact comparison: the same keys, the same data in selection order, and the
    same errors (in any order: fetches that run at once may fail in any order)."""
    assert isinstance(actual, dict), actual
    assert sorted(actual) == sorted(expected), f"response {actual!r}"
    if "data" in expected:
        assert actual["data"] == expected["data"], f"data {actual['data']!r}"
        assert ordered(actual["data"]) == ordered(expected["data"]), "fields out of order"
    unmatched = list(actual.get("errors", []))
    for want in expected.get("errors", []):
        assert want in unmatched, f"missing error {want!r}; got {actual.get('errors')!r}"
        unmatched.remove(want)
    assert not unmatched, f"unexpected errors {unmatched!r}"
    # GraphQL over HTTP: a response with data is 200; a request error is 400.
    assert status == (200 if "data" in expected else 400), status
