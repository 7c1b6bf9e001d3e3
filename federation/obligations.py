"""Obligations: conditions a policy attaches to a release, applied before data is merged.

A policy may allow a field on a condition, such as "release only the year of a
date of birth". The gateway applies each condition to the department's answer
before it is merged, so the full value never reaches the client. A condition
the gateway does not know how to apply refuses the field instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from federation.types import JSONObject

OBLIGATION_UNSUPPORTED = "OBLIGATION_UNSUPPORTED"


def _year_only(value: Any) -> Any:
    """`1977-10-26` (a date or a timestamp) becomes `1977`."""
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
        return value[:4]
    return None


APPLY: Mapping[str, Callable[[Any], Any]] = {"year_only": _year_only}


def supported(obligations: Iterable[str]) -> bool:
    return all(name in APPLY for name in obligations)


def rewriter(
    duties: Mapping[tuple[str, ...], tuple[str, ...]],
) -> Callable[[int, JSONObject], None] | None:
    """A function applying `duties` (response path → obligations) to one answer in place."""
    if not duties:
        return None

    def rewrite(position: int, answer: JSONObject) -> None:
        del position  # the same duties hold for every subject of one request
        for path, names in duties.items():
            _apply(answer, path, names)

    return rewrite


def _apply(node: Any, path: tuple[str, ...], names: tuple[str, ...]) -> None:
    if isinstance(node, list):
        for item in node:
            _apply(item, path, names)
        return
    if not isinstance(node, dict) or not path:
        return
    head, rest = path[0], path[1:]
    if head not in node:
        return
    if rest:
        _apply(node[head], rest, names)
        return
    value = node[head]
    for name in names:
        value = APPLY[name](value) if value is not None else None
    node[head] = value
