"""Type aliases shared by the gateway's stages."""

from __future__ import annotations

from typing import Any, TypeAlias

JSON: TypeAlias = Any
"""A value decoded from JSON (dict, list, str, int, float, bool or None)."""

JSONObject: TypeAlias = dict[str, Any]
"""A JSON object, such as one entity in a subgraph response."""

ResponsePath: TypeAlias = tuple[str | int, ...]
"""A path into a response as the client sees it: keys and list indices."""

PlanPath: TypeAlias = tuple[str, ...]
"""A path into merged data at plan time; `@` stands for every item of a list."""

Variables: TypeAlias = dict[str, Any]
"""Operation variables by name (without the `$`)."""

GraphQLErrorDict: TypeAlias = dict[str, Any]
"""A GraphQL error as it appears in a response: message, path, extensions."""
