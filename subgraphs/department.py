"""What makes a department subgraph: its schema, its store and its rules."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from joinedup.identifiers import is_valid_nin
from subgraphs.people import Person
from subgraphs.rights import RightsPolicy
from subgraphs.store import Row, Store

Loaders = Mapping[str, DataLoader[Any, Any]]
T = TypeVar("T")


@dataclass(frozen=True)
class Department:
    """A department subgraph, from schema to seed.

    `loaders` builds the per-request DataLoaders that turn a batch of entity
    keys into one store query; `seed` writes the department's share of a
    chunk of synthetic people into its freshly created database.
    """

    name: str
    port: int
    schema: strawberry.federation.Schema
    rights: RightsPolicy
    store_schema: str
    indexes: str
    loaders: Callable[[Store], Loaders]
    seed: Callable[[sqlite3.Connection, Iterable[Person], int], None]


@dataclass(frozen=True)
class Context:
    """What a resolver may use: its department's store, rules and loaders."""

    store: Store
    rights: RightsPolicy
    loaders: Loaders


def context(info: strawberry.Info) -> Context:
    ctx: Context = info.context
    return ctx


async def citizen_row(info: strawberry.Info, nin: object) -> Row:
    """The department's row for this NIN (one batched query), or an error saying what is wrong."""
    if not isinstance(nin, str) or not is_valid_nin(nin):
        raise GraphQLError(
            f"{nin!r} is not a National Insurance number", extensions={"code": "BAD_USER_INPUT"}
        )
    row: Row | None = await context(info).loaders["citizen"].load(nin)
    if row is None:
        raise GraphQLError(f"no citizen {nin} is known", extensions={"code": "NOT_FOUND"})
    return row


async def unless_unknown(lookup: Awaitable[T]) -> T | None:
    """A root field's answer: null (no error) when the citizen is not known here."""
    try:
        return await lookup
    except GraphQLError as error:
        if error.extensions and error.extensions.get("code") == "NOT_FOUND":
            return None
        raise
