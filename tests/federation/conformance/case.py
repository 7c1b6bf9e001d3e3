"""The shape of a conformance case and the functions that write expected subgraph calls."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

QUERY = "query"
MUTATION = "mutation"

Call = str | tuple[str, ...]
"""A root fetch (`QUERY` or `MUTATION`) or an `_entities` fetch given by its
representations as sorted canonical JSON (see `entities`)."""


@dataclass(frozen=True)
class Case:
    """One operation sent to the gateway and the exact response it must give.

    `expected_subgraph_calls`, when given, lists every request each fixture
    subgraph must receive for the operation (subgraphs not named: none at all).
    `xfail` names a known gateway defect; the case then must fail (strict).
    """

    name: str
    query: str
    variables: dict[str, Any] | None
    expected: dict[str, Any]
    expected_subgraph_calls: Mapping[str, Sequence[Call]] | None = None
    xfail: str | None = None
    operation_name: str | None = None


def entities(*representations: Mapping[str, Any]) -> tuple[str, ...]:
    """One `_entities` call carrying exactly these representations."""
    return tuple(sorted(json.dumps(dict(r), sort_keys=True) for r in representations))


def keyed(typename: str, field: str, *values: Any) -> tuple[str, ...]:
    """One `_entities` call for `typename` entities with a single key field."""
    return entities(*({"__typename": typename, field: value} for value in values))


class Text:
    """Matches a string the contract leaves open (such as an error's wording) by regex."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and re.search(self.pattern, other) is not None

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"Text({self.pattern!r})"


def request_error(message: str, line: int, column: int, code: str) -> dict[str, Any]:
    """The response to a request refused before execution: one error, no data."""
    return {
        "errors": [
            {
                "message": message,
                "locations": [{"line": line, "column": column}],
                "extensions": {"code": code},
            }
        ]
    }


def validation_error(message: str, line: int, column: int) -> dict[str, Any]:
    """The response to an operation the API schema rejects."""
    return request_error(message, line, column, "GRAPHQL_VALIDATION_FAILED")


def error(message: Any, path: list[str | int], code: str, subgraph: str) -> dict[str, Any]:
    """A field error as the client must see it, naming the subgraph it came from."""
    return {
        "message": message,
        "path": path,
        "extensions": {"code": code, "serviceName": subgraph},
    }
