"""What one subgraph fetch asks for, field by field, and the same fetch narrowed.

The decide stage needs, for each fetch of a plan: the field coordinates it
asks for, where each one lands in the response (for refusal errors), which
citizen each root field is about, and the operation text without the fields a
decision refused. All of it is read from the fetch's own operation text with
the supergraph's types, once per fetch (plans are cached, and so is this).

A `Citizen` met below the fetch's own subject (a household member, a page of
citizens) is another person whose consent is not known before the fetch: only
their key is fetched there, so no field about them leaves a department undecided.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    parse,
    print_ast,
)

from federation._plan_select import condition_of
from federation._plan_shape import Condition, included
from federation.plan import used_variables
from federation.supergraph import Supergraph

SUBJECT_TYPE = "Citizen"
SUBJECT_KEY = "nin"
_TYPENAME = FieldNode(name=NameNode(value="__typename"))

Path = tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """Where a coordinate is asked for: its response path below the fetch's subject.

    `list_at` is the length of the path up to the first list field, when a list is
    on the way: below it, response paths need item indices that only the answer has.
    """

    path: Path
    list_at: int | None
    conditions: Condition = ()  # the `@skip`/`@include` on the way, by variable

    @property
    def error_path(self) -> Path:
        return self.path if self.list_at is None else self.path[: self.list_at]


@dataclass(frozen=True)
class RootField:
    """A root field of a root fetch, and the citizen it is about when it takes a `nin`."""

    key: str
    name: str
    nin_literal: str | None
    nin_variable: str | None
    conditions: Condition = ()


@dataclass
class FetchFields:
    """The fields of one fetch's operation, about its subject(s)."""

    document: DocumentNode
    supergraph: Supergraph
    root_type: str
    places: Mapping[str, tuple[Place, ...]]
    nested: Mapping[str, tuple[Place, ...]]  # fields asked about another citizen, key excepted
    root_fields: tuple[RootField, ...]
    entity: bool
    _narrowed: dict[tuple[frozenset[str], frozenset[str] | None], str] = field(
        default_factory=dict, repr=False
    )

    @functools.cached_property
    def coordinates(self) -> frozenset[str]:
        """The coordinates a decision must cover (root operation fields are not data)."""
        return frozenset(self.places)

    @functools.cached_property
    def conditional(self) -> bool:
        """Whether `@skip`/`@include` on a variable decide whether some field is asked."""
        return any(r.conditions for r in self.root_fields) or any(
            p.conditions for places in self.places.values() for p in places
        )

    def places_for(self, variables: Mapping[str, Any]) -> Mapping[str, tuple[Place, ...]]:
        """The places the request's variables leave in (all of them when none is conditional)."""
        if not self.conditional:
            return self.places
        kept = {}
        for coordinate, places in self.places.items():
            included = tuple(p for p in places if holds(p.conditions, variables))
            if included:
                kept[coordinate] = included
        return kept

    def narrowed(self, allowed: frozenset[str], roots: frozenset[str] | None = None) -> str:
        """The operation asking only for `allowed` coordinates (and keys, `__typename`).

        For a root fetch, `roots` names the root fields (by response key) to keep.
        """
        text = self._narrowed.get((allowed, roots))
        if text is None:
            operation = _operation(self.document)
            pruner = _Pruner(self.supergraph, allowed)
            if self.entity:
                selection = pruner.entities(operation.selection_set)
            else:
                selection = pruner.roots(self.root_type, operation.selection_set, roots)
            # A variable only a pruned field used must go too: GraphQL refuses an
            # operation declaring a variable it never uses, and would refuse it all.
            definitions = operation.variable_definitions or ()
            names = [d.variable.name.value for d in definitions]
            texts = [print_ast(selection), *(print_ast(d) for d in operation.directives or ())]
            used = set(used_variables(" ".join(texts), names))
            rebuilt = OperationDefinitionNode(
                operation=operation.operation,
                name=operation.name,
                variable_definitions=tuple(d for d in definitions if d.variable.name.value in used),
                directives=operation.directives,
                selection_set=selection,
            )
            text = " ".join(print_ast(rebuilt).split())
            if len(self._narrowed) < 256:
                self._narrowed[(allowed, roots)] = text
        return text


def _operation(document: DocumentNode) -> OperationDefinitionNode:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition
    raise ValueError("a fetch without an operation")


def read_fetch(supergraph: Supergraph, operation_text: str, root_type: str) -> FetchFields:
    """Read a fetch's operation (as the planner built it) against the supergraph's types."""
    document = parse(operation_text, no_location=True)
    operation = _operation(document)
    walker = _Walker(supergraph)
    roots: list[RootField] = []
    entity = False
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            continue
        key = (selection.alias or selection.name).value
        if selection.name.value == "_entities":
            entity = True
            for fragment in selection.selection_set.selections if selection.selection_set else ():
                if isinstance(fragment, InlineFragmentNode) and fragment.type_condition:
                    walker.walk(fragment.type_condition.name.value, fragment, (), None, False)
            continue
        literal, variable = _nin_argument(selection)
        conditions = _conditions(selection)
        roots.append(RootField(key, selection.name.value, literal, variable, conditions))
        info = supergraph.types[root_type].fields.get(selection.name.value)
        if info is not None:
            about_subject = literal is not None or variable is not None
            nested = info.named_type == SUBJECT_TYPE and not about_subject
            list_at = 1 if "[" in info.type else None
            walker.walk(info.named_type, selection, (key,), list_at, nested, conditions)
    return FetchFields(
        document=document,
        supergraph=supergraph,
        root_type=root_type,
        places={c: tuple(p) for c, p in walker.places.items()},
        nested={c: tuple(p) for c, p in walker.nested.items()},
        root_fields=tuple(roots),
        entity=entity,
    )


def holds(condition: Condition, variables: Mapping[str, Any]) -> bool:
    """Whether the request's variables keep in what `condition` guards."""
    return included((condition,), variables)


def _conditions(node: FieldNode | InlineFragmentNode, outer: Condition = ()) -> Condition:
    """`outer` and the node's own `@skip(if: $v)`/`@include(if: $v)`, read as the planner
    reads them."""
    if not node.directives:
        return outer
    own = condition_of(" ".join(print_ast(d) for d in node.directives))
    return (*outer, *own) if own else outer


def _nin_argument(node: FieldNode) -> tuple[str | None, str | None]:
    for argument in node.arguments or ():
        if argument.name.value == SUBJECT_KEY:
            if isinstance(argument.value, StringValueNode):
                return argument.value.value, None
            if isinstance(argument.value, VariableNode):
                return None, argument.value.name.value
    return None, None


class _Walker:
    """Collects each coordinate's places, telling the subject's fields from others'."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.places: dict[str, list[Place]] = {}
        self.nested: dict[str, list[Place]] = {}

    def walk(
        self,
        type_name: str,
        node: FieldNode | InlineFragmentNode,
        path: Path,
        list_at: int | None,
        nested: bool,
        conditions: Condition = (),
    ) -> None:
        info = self.supergraph.types.get(type_name)
        if info is None or node.selection_set is None:
            return
        for selection in node.selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                inner = selection.type_condition.name.value if selection.type_condition else None
                within = _conditions(selection, conditions)
                self.walk(inner or type_name, selection, path, list_at, nested, within)
                continue
            if not isinstance(selection, FieldNode) or selection.name.value == "__typename":
                continue
            field_info = info.fields.get(selection.name.value)
            if field_info is None:
                continue
            coordinate = f"{type_name}.{selection.name.value}"
            here = (*path, (selection.alias or selection.name).value)
            within = _conditions(selection, conditions)
            place = Place(here, list_at, within)
            if nested and not (type_name == SUBJECT_TYPE and selection.name.value == SUBJECT_KEY):
                self.nested.setdefault(coordinate, []).append(place)
                continue
            self.places.setdefault(coordinate, []).append(place)
            child_nested = nested or field_info.named_type == SUBJECT_TYPE
            if list_at is None and "[" in field_info.type:
                child_list_at: int | None = len(here)
            else:
                child_list_at = list_at
            self.walk(field_info.named_type, selection, here, child_list_at, child_nested, within)


class _Pruner:
    """Rebuilds a selection keeping allowed fields, and only keys below other citizens."""

    def __init__(self, supergraph: Supergraph, allowed: frozenset[str]) -> None:
        self.supergraph = supergraph
        self.allowed = allowed

    def entities(self, selection_set: SelectionSetNode) -> SelectionSetNode:
        kept: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.selection_set is not None:
                fragments = []
                for fragment in selection.selection_set.selections:
                    if isinstance(fragment, InlineFragmentNode) and fragment.type_condition:
                        inner = self.select(
                            fragment.type_condition.name.value, fragment.selection_set, False
                        )
                        fragments.append(_with_selection(fragment, inner))
                kept.append(_with_selection(selection, _set(fragments)))
        return _set(kept)

    def roots(
        self, root_type: str, selection_set: SelectionSetNode, keep: frozenset[str] | None
    ) -> SelectionSetNode:
        kept: list[SelectionNode] = []
        root = self.supergraph.types[root_type]
        for selection in selection_set.selections:
            if (
                keep is not None
                and isinstance(selection, FieldNode)
                and (selection.alias or selection.name).value not in keep
            ):
                continue
            if not isinstance(selection, FieldNode) or selection.selection_set is None:
                kept.append(selection)
                continue
            info = root.fields.get(selection.name.value)
            if info is None:
                kept.append(selection)
                continue
            literal, variable = _nin_argument(selection)
            nested = info.named_type == SUBJECT_TYPE and literal is None and variable is None
            inner = self.select(info.named_type, selection.selection_set, nested)
            kept.append(_with_selection(selection, inner))
        return _set(kept)

    def select(
        self, type_name: str, selection_set: SelectionSetNode, nested: bool
    ) -> SelectionSetNode:
        info = self.supergraph.types.get(type_name)
        kept: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                inner_type = (
                    selection.type_condition.name.value if selection.type_condition else type_name
                )
                inner = self.select(inner_type, selection.selection_set, nested)
                if any(not _is_typename(s) for s in inner.selections):
                    kept.append(_with_selection(selection, inner))
                continue
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            if name == "__typename":
                kept.append(selection)
                continue
            if info is None or name not in info.fields:
                continue
            if nested:
                if type_name == SUBJECT_TYPE and name == SUBJECT_KEY:
                    kept.append(selection)
                continue
            if f"{type_name}.{name}" not in self.allowed:
                continue
            if selection.selection_set is None:
                kept.append(selection)
                continue
            field_info = info.fields[name]
            inner_nested = field_info.named_type == SUBJECT_TYPE
            inner = self.select(field_info.named_type, selection.selection_set, inner_nested)
            kept.append(_with_selection(selection, inner))
        if not kept:
            kept.append(_TYPENAME)
        return _set(kept)


def _is_typename(selection: SelectionNode) -> bool:
    return isinstance(selection, FieldNode) and selection.name.value == "__typename"


def _set(selections: Sequence[SelectionNode]) -> SelectionSetNode:
    return SelectionSetNode(selections=tuple(selections))


def _with_selection(
    node: FieldNode | InlineFragmentNode, selection_set: SelectionSetNode
) -> FieldNode | InlineFragmentNode:
    if isinstance(node, FieldNode):
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=selection_set,
        )
    return InlineFragmentNode(
        type_condition=node.type_condition, directives=node.directives, selection_set=selection_set
    )
