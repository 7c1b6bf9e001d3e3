"""The schema clients see: composed custom directives kept, federation machinery and
@inaccessible elements left out."""

from __future__ import annotations

import aiohttp
from graphql import StringValueNode

from .world import Served


async def _schema_sdl(served: Served) -> str:
    url = served.url.removesuffix("/graphql") + "/schema.graphql"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        return await response.text()


async def test_schema_sdl_keeps_composed_directives(served: Served) -> None:
    sdl = await _schema_sdl(served)
    assert "directive @sensitivity(level: String!) on FIELD_DEFINITION" in sdl
    assert 'price: Int! @sensitivity(level: "commercial")' in sdl
    assert 'trackingCode: String @deprecated(reason: "Ask the carrier")' in sdl


async def test_schema_sdl_leaves_out_federation_and_inaccessible(served: Served) -> None:
    sdl = await _schema_sdl(served)
    for hidden in ("join__", "link__", "_entities", "_service", "_Any", "@inaccessible"):
        assert hidden not in sdl, hidden
    for hidden in ("internalCost", "AuditRecord", "audit:", "debug:", "maxPrice", "minReviews"):
        assert hidden not in sdl, hidden
    assert "RANDOM" not in sdl


def test_field_directives_of_a_composed_directive(served: Served) -> None:
    (directive,) = served.gateway.supergraph.field_directives("Product", "price")
    assert directive.name.value == "sensitivity"
    (argument,) = directive.arguments or ()
    assert argument.name.value == "level"
    assert isinstance(argument.value, StringValueNode)
    assert argument.value.value == "commercial"
    assert served.gateway.supergraph.field_directives("Product", "weight") == ()
