"""Compose Apollo Federation v2 subgraphs into a supergraph (join spec v0.3).

`compose` reads each subgraph's SDL, checks the federation rules (sharing, keys,
`@external`, `@requires`/`@provides`, `@override`, type and enum merging, interfaces and
`@interfaceObject`, `@inaccessible`, a bounded satisfiability check) and prints the
supergraph SDL as Apollo's composition prints it: for subgraphs linking federation up to
v2.3 the output is byte for byte what `@apollo/composition` gives. Every problem found is
reported at once in a `CompositionError`, with Apollo's error codes.

The pipeline, one module each: read (`_compose_subgraph`), check field sets
(`_compose_fieldsets`), merge (`_compose_merge` with `_compose_fields`, `_compose_values`,
`_compose_interfaces`, `_compose_specs`), check (`_compose_inaccessible`,
`_compose_satisfy`), print (`_compose_print`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import aiohttp
import orjson
from graphql import GraphQLError, build_ast_schema, parse, validate_schema

from federation._compose_fieldsets import check_field_sets
from federation._compose_inaccessible import check_inaccessible
from federation._compose_merge import Merger
from federation._compose_model import CompositionError, CompositionIssue, SubgraphSource
from federation._compose_print import print_schema
from federation._compose_satisfy import check_satisfiability
from federation._compose_subgraph import read_subgraph

__all__ = [
    "CompositionError",
    "CompositionIssue",
    "SubgraphSource",
    "compose",
    "compose_from_urls",
    "fetch_sdl",
    "subgraph_endpoint",
]

_SDL_QUERY = "query SubgraphSdl { _service { sdl } }"


def _check_names(subgraphs: Sequence[SubgraphSource]) -> list[CompositionIssue]:
    issues = []
    if not subgraphs:
        issues.append(CompositionIssue("NO_SUBGRAPHS", "No subgraphs to compose", (), None))
    seen: set[str] = set()
    for source in subgraphs:
        if not source.name.strip() or source.name == "_":
            issues.append(
                CompositionIssue(
                    "INVALID_SUBGRAPH_NAME",
                    f'Invalid name "{source.name}" for a subgraph: a subgraph needs a name and'
                    ' "_" is reserved',
                    (source.name,),
                    None,
                )
            )
        elif source.name in seen:
            issues.append(
                CompositionIssue(
                    "INVALID_SUBGRAPH_NAME",
                    f'Subgraph name "{source.name}" is used by more than one subgraph',
                    (source.name,),
                    None,
                )
            )
        seen.add(source.name)
    return issues


def compose(subgraphs: Sequence[SubgraphSource]) -> str:
    """Compose `subgraphs` into supergraph SDL.

    The result does not depend on the order of `subgraphs`. Raises `CompositionError`
    listing every issue found.
    """
    issues = _check_names(subgraphs)
    if issues:
        raise CompositionError(issues)
    ordered = sorted(subgraphs, key=lambda s: s.name)
    models = [read_subgraph(s.name, s.url, s.sdl) for s in ordered]
    unreadable = [i for m in models for i in m.issues if i.code == "INVALID_GRAPHQL"]
    if unreadable:
        raise CompositionError(unreadable)
    uses = {m.name: check_field_sets(m) for m in models}
    issues = [i for m in models for i in m.issues]
    if issues:
        # As Apollo does: invalid subgraphs are not merged (their merge would only add noise).
        raise CompositionError(issues)
    merger = Merger(models, uses)
    schema = merger.merge()
    issues = merger.issues
    if not issues:
        issues += check_inaccessible(schema, models)
        issues += check_satisfiability(models, merger.resolvers, schema.types)
    if issues:
        raise CompositionError(issues)
    sdl = print_schema(schema)
    problems = _schema_problems(sdl)
    if problems:
        raise CompositionError(
            [
                CompositionIssue(
                    "INVALID_SUPERGRAPH", p.message, tuple(m.name for m in models), None
                )
                for p in problems
            ]
        )
    return sdl


def _schema_problems(sdl: str) -> list[GraphQLError]:
    """GraphQL validity of the composed SDL (e.g. an object missing an interface field)."""
    try:
        schema = build_ast_schema(parse(sdl))
    except (GraphQLError, TypeError) as error:
        return [error if isinstance(error, GraphQLError) else GraphQLError(str(error))]
    return list(validate_schema(schema))


def subgraph_endpoint(url: str) -> str:
    """The GraphQL endpoint of a subgraph: a bare base URL gets the `/graphql` path."""
    return url.rstrip("/") + "/graphql" if urlsplit(url).path in ("", "/") else url


async def fetch_sdl(session: aiohttp.ClientSession, url: str) -> str:
    """Ask the subgraph at `url` for its SDL (`{ _service { sdl } }`).

    Transport failures (refused connection, timeout, HTTP 5xx) raise `aiohttp` errors so a
    caller may retry while subgraphs start; an answer without an SDL raises
    `CompositionError` (code `SUBGRAPH_SDL_UNAVAILABLE`).
    """
    endpoint = subgraph_endpoint(url)
    async with session.post(
        endpoint,
        data=orjson.dumps({"query": _SDL_QUERY, "operationName": "SubgraphSdl"}),
        headers={"content-type": "application/json", "accept": "application/json"},
        timeout=aiohttp.ClientTimeout(total=10),
    ) as response:
        if response.status >= 500:
            response.raise_for_status()
        body = await response.read()
        status = response.status
    try:
        sdl = orjson.loads(body)["data"]["_service"]["sdl"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        sdl = None
    if not isinstance(sdl, str):
        raise _unavailable(
            endpoint, f"HTTP {status}, the answer holds no _service.sdl: {body[:200]!r}"
        )
    return sdl


def _unavailable(endpoint: str, why: str) -> CompositionError:
    return CompositionError(
        [
            CompositionIssue(
                "SUBGRAPH_SDL_UNAVAILABLE", f"Cannot read the SDL of {endpoint}: {why}", (), None
            )
        ]
    )


async def compose_from_urls(subgraphs: Mapping[str, str]) -> str:
    """Fetch each subgraph's SDL (name -> URL, all at once) and compose them."""
    names = sorted(subgraphs)
    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(
            *(fetch_sdl(session, subgraphs[name]) for name in names), return_exceptions=True
        )
    issues: list[CompositionIssue] = []
    sources: list[SubgraphSource] = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, CompositionError):
            issues += [
                CompositionIssue(i.code, f"[{name}] {i.message}", (name,), None)
                for i in result.issues
            ]
        elif isinstance(result, BaseException):
            raise result
        else:
            sources.append(SubgraphSource(name, subgraph_endpoint(subgraphs[name]), result))
    if issues:
        raise CompositionError(issues)
    return compose(sources)
