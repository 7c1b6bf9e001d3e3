"""What makes a department subgraph: its schema, its store and its rules."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from subgraphs.people import Person
from subgraphs.rights import RightsPolicy
from subgraphs.store import Store

Loaders = Mapping[str, DataLoader[Any, Any]]


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
