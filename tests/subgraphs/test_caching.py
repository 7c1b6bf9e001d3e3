"""Every subgraph parses and validates each distinct operation text once, not per request."""

from __future__ import annotations

import functools
from typing import Any, cast

import pytest
import strawberry
from strawberry.extensions import ParserCache, ValidationCache, parser_cache, validation_cache

from subgraphs.access.schema import schema as access_schema
from subgraphs.consent.schema import schema as consent_schema
from subgraphs.federated import CACHED_DOCUMENTS
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


async def test_the_same_operation_text_is_parsed_and_validated_once() -> None:
    # strawberry keeps both caches per size at module level; read them by the size we use.
    parsed = cast(
        "functools._lru_cache_wrapper[Any]", parser_cache._get_parse_cache(CACHED_DOCUMENTS)
    )
    validated = cast(
        "functools._lru_cache_wrapper[Any]",
        validation_cache._get_validate_cache(CACHED_DOCUMENTS),
    )
    query = "{ __typename first: __typename }"
    schema = SCHEMAS["hmrc"]
    assert (await schema.execute(query)).data == {"__typename": "Query", "first": "Query"}
    parses, validations = parsed.cache_info(), validated.cache_info()
    for _ in range(3):
        assert (await schema.execute(query)).data == {"__typename": "Query", "first": "Query"}
    assert parsed.cache_info().hits == parses.hits + 3
    assert parsed.cache_info().misses == parses.misses
    assert validated.cache_info().hits == validations.hits + 3
    assert validated.cache_info().misses == validations.misses
