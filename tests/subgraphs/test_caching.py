"""Every subgraph parses and validates each distinct operation text once, not per request."""

from __future__ import annotations

import pytest
import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from subgraphs.access.schema import schema as access_schema
from subgraphs.consent.schema import schema as consent_schema
from subgraphs.registry import DEPARTMENTS

SCHEMAS = {d.name: d.schema for d in DEPARTMENTS} | {
    "consent": consent_schema,
    "access": access_schema,
}


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_schema_caches_parsing_and_validation(name: str) -> None:
    schema: strawberry.federation.Schema = SCHEMAS[name]
    made = {type(make()) for make in schema.extensions}
    assert {ParserCache, ValidationCache} <= made


async def test_an_invalid_operation_is_refused_every_time_it_is_sent() -> None:
    schema = SCHEMAS["identity"]
    for _ in range(3):
        result = await schema.execute("{ citizen(nin: 1) { noSuchField } }")
        assert result.data is None
        assert result.errors
        assert "noSuchField" in " ".join(e.message for e in result.errors)
