"""The model of one subgraph that composition works on: its types, fields, keys and the
directive applications it keeps, with federation directives already resolved."""

from __future__ import annotations

from dataclasses import dataclass, field

from federation._compose_links import Link
from federation._compose_model import CompositionIssue

Kind = str  # "object" | "interface" | "union" | "enum" | "input" | "scalar"


@dataclass
class Applied:
    """Directive applications composition keeps on an element: `@inaccessible`, and the
    others (`@tag`, composed and built-in ones) as (name, printed) in source order."""

    inaccessible: bool = False
    kept: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Arg:
    name: str
    type: str
    description: str | None
    default: str | None
    applied: Applied


@dataclass
class Field:
    name: str
    type: str
    description: str | None
    args: dict[str, Arg]
    applied: Applied
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None
    default: str | None = None  # input fields only


@dataclass
class Key:
    fields: str
    resolvable: bool
    extension: bool


@dataclass
class EnumValue:
    name: str
    description: str | None
    applied: Applied


@dataclass
class TypeDef:
    name: str
    kind: Kind
    description: str | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    keys: list[Key] = field(default_factory=list)
    extends: bool = False
    interface_object: bool = False
    defined: bool = False  # has a definition, not only `extend` blocks
    applied: Applied = field(default_factory=Applied)


@dataclass(frozen=True)
class ComposedDirective:
    """A custom directive a subgraph asks to keep with `@composeDirective`."""

    local_name: str
    link: Link
    description: str | None
    args: dict[str, Arg]
    locations: list[str]
    repeatable: bool


@dataclass(frozen=True)
class ExecutableDirective:
    """A directive operations may use (on `FIELD`, `QUERY`...), as one subgraph defines it."""

    name: str
    description: str | None
    args: dict[str, Arg]
    locations: list[str]  # executable ones only, sorted as Apollo sorts them
    repeatable: bool


@dataclass
class Subgraph:
    name: str
    url: str
    types: dict[str, TypeDef]
    links: list[Link]
    composed: dict[str, ComposedDirective]
    executable: dict[str, ExecutableDirective]
    issues: list[CompositionIssue]
    features: list[str] = field(default_factory=list)


def type_name(type_ref: str) -> str:
    """The named type inside a printed type reference: `[String!]!` -> `String`."""
    return type_ref.strip("[]!")
