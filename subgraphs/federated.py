"""What every subgraph shares: a schema that caches parsing and validation, and JSON via orjson.

The gateway sends each subgraph a handful of distinct operation texts, over and
over; parsing and validating each one again took about half of a department's CPU.
"""

from __future__ import annotations

from typing import Any

import orjson
import strawberry
from strawberry.extensions import ParserCache, ValidationCache

# Distinct operation texts a subgraph sees: one per plan step of each cached gateway plan.
CACHED_DOCUMENTS = 512


def federated_schema(**options: Any) -> strawberry.federation.Schema:
    """`strawberry.federation.Schema(**options)` with bounded parse and validation caches."""
    return strawberry.federation.Schema(
        **options,
        extensions=[
            lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
            lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        ],
    )


class OrjsonView:
    """Mixed into a subgraph's strawberry view: read and write JSON bodies with orjson.

    strawberry's views use the standard library's `json`, which is several times slower
    on the bodies a subgraph answers (a page of fifty citizens, say).
    """

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
