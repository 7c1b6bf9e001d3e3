"""Query plans: a small frozen tree of subgraph fetches, and how to print one."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    value_from_ast_untyped,
)

from federation._plan_shape import Conditions, ObjectShape, compile_shape
from federation.supergraph import Supergraph
from federation.types import PlanPath


class PlanningError(Exception):
    """The operation cannot be planned against the supergraph."""


@dataclass(frozen=True, slots=True)
class RepresentationField:
    """One field copied from a merged object into an `_entities` representation."""

    data_key: str
    name: str
    key: bool
    """A key field: a representation whose key is null is not sent."""
    fields: tuple[RepresentationField, ...] | None = None


@dataclass(frozen=True, slots=True)
class RepresentationType:
    """How to build representations for objects of one `__typename`."""

    typename: str
    """The `__typename` sent (an interface's name for an `@interfaceObject` subgraph)."""
    fields: tuple[RepresentationField, ...]


@dataclass(frozen=True, slots=True)
class FetchPart:
    """A field or inline fragment of a fetch's selection, as text, with its sub-selection.

    A later stage may leave parts out of a fetch, at any depth (see `narrow`).
    """

    coordinate: str
    """`Type.field`; for an inline fragment, its `... on Type` head."""
    head: str
    """`alias: name(arguments) @include(...)`, or `... on Type @skip(...)`."""
    parts: tuple[FetchPart, ...] = ()

    @property
    def is_fragment(self) -> bool:
        return self.head.startswith("...")

    @property
    def text(self) -> str:
        if not self.parts:
            return self.head
        return f"{self.head} {{ {' '.join(p.text for p in self.parts)} }}"


@dataclass(frozen=True, slots=True)
class Fetch:
    """One request to one subgraph; its operation text is built at plan time."""

    id: int
    service: str
    operation: str
    variable_usages: tuple[str, ...]
    selection: str
    """The fetched selection, printed readably (for `format_plan`)."""
    coordinates: tuple[str, ...]
    """`Type.field` coordinates this fetch asks for, so a later stage can filter them."""
    representations: Mapping[str, RepresentationType] | None = None
    """For entity fetches: representation builders by the object's `__typename`."""
    requires: str = ""
    """The representation selection, printed readably (entity fetches only)."""
    root_keys: tuple[str, ...] = ()
    """Response keys of the root fields (root fetches only)."""
    conditions: Conditions = None
    """`@skip`/`@include` variables under which anything in this fetch is wanted."""
    parts: tuple[FetchPart, ...] = ()
    variable_definitions: Mapping[str, str] = field(default_factory=dict)
    """Printed definitions of the variables this fetch uses, by name."""
    kind: str = "query"

    @property
    def is_entity_fetch(self) -> bool:
        return self.representations is not None


@dataclass(frozen=True, slots=True)
class Flatten:
    """Run `node` for every object found at `path` in the merged data."""

    path: PlanPath
    node: Fetch


@dataclass(frozen=True, slots=True)
class Sequence:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Parallel:
    nodes: tuple[PlanNode, ...]
    batches: tuple[Batch, ...] = ()
    """Entity fetches among `nodes` that go to the same subgraph in one request."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Several entity fetches of one step, sent to their subgraph as one operation.

    The operation has one aliased `_entities` field per fetch: `_e0`, `_e1`, ...,
    with representations in `$representations0`, `$representations1`, ...
    """

    service: str
    indices: tuple[int, ...]
    """Positions in the parallel node's `nodes` whose first fetch is one of these."""
    operation: str


PlanNode: TypeAlias = Fetch | Flatten | Sequence | Parallel


def operation_text(
    kind: str, entity: bool, parts: Iterable[FetchPart], definitions: Mapping[str, str]
) -> str:
    """A subgraph operation made of some parts, declaring the variables they use."""
    body = " ".join(p.text for p in parts)
    declared = _declared(body, definitions)
    if not entity:
        head = f"{kind}({', '.join(declared)})" if declared else kind
        return f"{head} {{ {body} }}"
    declared.insert(0, "$representations: [_Any!]!")
    return (
        f"query({', '.join(declared)}) "
        f"{{ _entities(representations: $representations) {{ {body} }} }}"
    )


def batch_operation(fetches: Iterable[Fetch]) -> str:
    """One operation asking for several entity fetches at once (see `Batch`)."""
    declared: list[str] = []
    definitions: dict[str, str] = {}
    fields: list[str] = []
    for index, fetch in enumerate(fetches):
        body = " ".join(p.text for p in fetch.parts)
        definitions.update(fetch.variable_definitions)
        declared.append(f"$representations{index}: [_Any!]!")
        fields.append(
            f"_e{index}: _entities(representations: $representations{index}) {{ {body} }}"
        )
    declared.extend(_declared(" ".join(fields), definitions))
    return f"query({', '.join(declared)}) {{ {' '.join(fields)} }}"


def used_variables(text: str, names: Iterable[str]) -> tuple[str, ...]:
    """Which of `names` an operation text uses (string literals aside), in their order."""
    found = set(_VARIABLE.findall(_STRING.sub("", text)))
    return tuple(n for n in names if n in found)


def _declared(text: str, definitions: Mapping[str, str]) -> list[str]:
    return [definitions[v] for v in used_variables(text, definitions)]


_STRING = re.compile(r'"""(?:.|\n)*?"""|"(?:\\.|[^"\\])*"')
_VARIABLE = re.compile(r"\$(\w+)")


def narrow(fetch: Fetch, keep: Callable[[FetchPart], bool]) -> Fetch | None:
    """The fetch with only the field parts `keep` accepts, at any depth; None if none is left.

    A fragment goes when nothing in it is kept; so does a field whose whole
    sub-selection goes.
    """
    parts = _kept(fetch.parts, keep)
    if not parts:
        return None
    if parts is fetch.parts:
        return fetch
    operation = operation_text(fetch.kind, fetch.is_entity_fetch, parts, fetch.variable_definitions)
    return dataclasses.replace(
        fetch,
        operation=operation,
        variable_usages=used_variables(operation, fetch.variable_usages),
        coordinates=tuple(dict.fromkeys(_coordinates(parts))),
        parts=parts,
    )


def _kept(parts: tuple[FetchPart, ...], keep: Callable[[FetchPart], bool]) -> tuple[FetchPart, ...]:
    """The kept parts; the very same tuple when nothing was left out."""
    out: list[FetchPart] = []
    changed = False
    for part in parts:
        if not part.is_fragment and not keep(part):
            changed = True
            continue
        if part.parts:
            inner = _kept(part.parts, keep)
            if not inner:
                changed = True
                continue
            if inner is not part.parts:
                part = dataclasses.replace(part, parts=inner)
                changed = True
        out.append(part)
    return tuple(out) if changed else parts


def _coordinates(parts: tuple[FetchPart, ...]) -> list[str]:
    found: list[str] = []
    for part in parts:
        if not part.is_fragment:
            found.append(part.coordinate)
        found.extend(_coordinates(part.parts))
    return found


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """Everything needed to run one operation, built once and cached."""

    kind: str
    node: PlanNode | None
    shape: ObjectShape
    variable_defaults: Mapping[str, Any] = field(default_factory=dict)
    introspection: DocumentNode | None = None
    """A document of the operation's `__schema`/`__type` root fields, answered locally."""
    serial_roots: bool = False
    """`node` is a Sequence of root fetches (mutations): stop once null reaches `data`."""

    @property
    def fetches(self) -> tuple[Fetch, ...]:
        return tuple(_walk(self.node)) if self.node is not None else ()


def _walk(node: PlanNode) -> list[Fetch]:
    if isinstance(node, Fetch):
        return [node]
    if isinstance(node, Flatten):
        return [node.node]
    return [f for child in node.nodes for f in _walk(child)]


def format_plan(plan: QueryPlan) -> str:
    """Print a plan readably, in the style of Apollo's query plans."""
    lines = ["QueryPlan {"]
    if plan.node is not None:
        _format(plan.node, 1, lines)
    lines.append("}")
    return "\n".join(lines)


def _format(node: PlanNode, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if isinstance(node, Fetch):
        when = f', when: "{_describe_conditions(node.conditions)}"' if node.conditions else ""
        lines.append(f'{pad}Fetch(service: "{node.service}"{when}) {{')
        if node.requires:
            _block(node.requires, depth + 1, lines)
            lines[-1] += " =>"
        _block(node.selection, depth + 1, lines)
        lines.append(f"{pad}}},")
    elif isinstance(node, Flatten):
        lines.append(f'{pad}Flatten(path: "{".".join(node.path)}") {{')
        _format(node.node, depth + 1, lines)
        lines.append(f"{pad}}},")
    else:
        lines.append(f"{pad}{type(node).__name__} {{")
        for child in node.nodes:
            _format(child, depth + 1, lines)
        lines.append(f"{pad}}},")


def _describe_conditions(conditions: Conditions) -> str:
    return " or ".join(
        " and ".join(("$" if wanted else "!$") + name for name, wanted in condition)
        for condition in conditions or ()
    )


def _block(text: str, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    lines.extend(pad + line for line in text.split("\n"))


def build_plan(
    supergraph: Supergraph,
    document: DocumentNode,
    operation_name: str | None,
    *,
    subjects: frozenset[str] = frozenset(),
) -> QueryPlan:
    """Plan a validated operation against the supergraph.

    Objects of a `subjects` type (an entity, e.g. `Citizen`) each get their own
    entity fetch wherever they appear, so that a step asks about known subjects
    only: where one is met, only its key is read. A root field that takes the
    subject's key as an argument names its subject, and keeps its fields.
    """
    # Imported here: the builder produces this module's node types.
    from federation._plan_build import Planner
    from federation._plan_nodes import plan_node, variable_definitions

    operation = _operation(document, operation_name)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    kind = operation.operation.value
    if kind == "subscription":
        raise PlanningError("subscriptions are not supported by this gateway")
    root_name = supergraph.root_types.get(kind)
    root_type = supergraph.api_schema.get_root_type(operation.operation)
    if root_name is None or root_type is None:
        raise PlanningError(f"the schema has no {kind} type")
    planner = Planner(supergraph, fragments, subjects)
    roots, introspection = planner.plan_root(operation, root_name)
    definitions = variable_definitions(operation)
    nodes = tuple(plan_node(supergraph, group, definitions, kind) for group in roots)
    node: PlanNode | None = None
    if len(nodes) == 1:
        node = nodes[0]
    elif nodes:
        node = Sequence(nodes) if kind == "mutation" else Parallel(nodes)
    serial = kind == "mutation" and len(nodes) > 1
    defaults = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    intro_document = None
    if introspection:
        intro_operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            variable_definitions=operation.variable_definitions,
            selection_set=SelectionSetNode(selections=tuple(introspection)),
        )
        intro_document = DocumentNode(definitions=(intro_operation, *fragments.values()))
    return QueryPlan(
        kind=kind,
        node=node,
        shape=compile_shape(supergraph.api_schema, root_type, operation.selection_set, fragments),
        variable_defaults=defaults,
        introspection=intro_document,
        serial_roots=serial,
    )


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        for operation in operations:
            if operation.name is not None and operation.name.value == operation_name:
                return operation
        raise PlanningError(f"unknown operation named {operation_name!r}")
    if len(operations) != 1:
        raise PlanningError("an operation name is required when the document has several")
    return operations[0]
