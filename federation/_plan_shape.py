"""Compile the client's selection set into the shape that response shaping walks.

Fields are collected per concrete type once, at plan time (the GraphQL spec's
CollectFields), so shaping a response is one dict lookup per object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

Condition = tuple[tuple[str, bool], ...]
"""All must hold: (variable name, value it must have)."""

Conditions = tuple[Condition, ...] | None
"""Any may hold; None means always included."""


LEAF = 0
"""A value copied as it is: a scalar or enum not in a list, or introspection's answer."""
TYPENAME = 1
OBJECT = 2
LIST = 3
"""A list one level deep, of objects or of scalars."""
OTHER = 4
"""A list of lists."""


@dataclass(frozen=True, slots=True)
class FieldShape:
    key: str
    data_key: str
    coordinate: str
    wrappers: tuple[bool, ...]
    """Non-null flags from the outermost type inwards; one more than the list depth."""
    shape: ObjectShape | None
    conditions: Conditions
    typename: bool = False
    leaf: bool = False
    """A scalar or enum, not in a list: copied without a walk."""
    kind: int = field(init=False, repr=False, compare=False)
    """How shaping completes the field: `LEAF`, `TYPENAME`, `OBJECT`, `LIST` or `OTHER`."""
    non_null: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind(self))
        object.__setattr__(self, "non_null", self.wrappers[0])


def _kind(shape: FieldShape) -> int:
    if shape.typename:
        return TYPENAME
    if len(shape.wrappers) == 1:
        return LEAF if shape.shape is None else OBJECT
    return LIST if len(shape.wrappers) == 2 else OTHER


@dataclass(frozen=True, slots=True, eq=False)
class TypeWalk:
    """One type's fields, in the form shaping walks them."""

    fields: tuple[FieldShape, ...]
    steps: tuple[tuple[str, FieldShape | None], ...]
    """(key, field) in order; the field is None for a leaf read and written under its key."""
    required: frozenset[str]
    """Keys of those leaves that are non-null."""
    conditional: bool
    """Some field has `@skip`/`@include` conditions."""
    leaves: tuple[str, ...] | None
    """The keys, when every field is a leaf read and written under its key."""


def type_walk(fields: tuple[FieldShape, ...], conditional: bool | None = None) -> TypeWalk:
    """How shaping walks `fields`; `conditional` False when conditions are already applied."""
    steps: list[tuple[str, FieldShape | None]] = []
    required: set[str] = set()
    for f in fields:
        if f.kind == LEAF and f.data_key == f.key:
            steps.append((f.key, None))
            if f.non_null:
                required.add(f.key)
        else:
            steps.append((f.key, f))
    if conditional is None:
        conditional = any(f.conditions is not None for f in fields)
    leaves = None
    if not conditional and all(f is None for _, f in steps):
        leaves = tuple(k for k, _ in steps)
    return TypeWalk(fields, tuple(steps), frozenset(required), conditional, leaves)


@dataclass(frozen=True, slots=True)
class ObjectShape:
    type_name: str
    abstract: bool
    by_type: Mapping[str, tuple[FieldShape, ...]]
    fallback: tuple[FieldShape, ...]
    walks: Mapping[str, TypeWalk] = field(init=False, repr=False, compare=False)
    """`by_type`, as shaping walks it."""
    walk: TypeWalk = field(init=False, repr=False, compare=False)
    """`fallback`, as shaping walks it."""

    def __post_init__(self) -> None:
        # Derived once from the frozen fields, so every way of building a shape gets them.
        walk = type_walk(self.fallback)
        walks = {
            name: walk if fields is self.fallback else type_walk(fields)
            for name, fields in self.by_type.items()
        }
        object.__setattr__(self, "walk", walk)
        object.__setattr__(self, "walks", walks)


_NEVER = object()


def compile_shape(
    schema: GraphQLSchema,
    root: GraphQLObjectType,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> ObjectShape:
    """The response shape of an operation whose root type is `root`."""
    return _object_shape(schema, root, [(selection_set, ())], fragments)


def _object_shape(
    schema: GraphQLSchema,
    type_: GraphQLObjectType | GraphQLAbstractType,
    sets: list[tuple[SelectionSetNode, Condition]],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> ObjectShape:
    if isinstance(type_, GraphQLObjectType):
        fields = _fields_for(schema, type_, type_, sets, fragments)
        return ObjectShape(type_.name, False, {type_.name: fields}, fields)
    by_type = {
        t.name: _fields_for(schema, t, type_, sets, fragments)
        for t in schema.get_possible_types(type_)
    }
    fallback = _fields_for(schema, None, type_, sets, fragments)
    return ObjectShape(type_.name, True, by_type, fallback)


def _fields_for(
    schema: GraphQLSchema,
    concrete: GraphQLObjectType | None,
    declared: GraphQLObjectType | GraphQLAbstractType,
    sets: list[tuple[SelectionSetNode, Condition]],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> tuple[FieldShape, ...]:
    grouped: dict[str, list[tuple[FieldNode, Condition]]] = {}
    for selection_set, condition in sets:
        _collect(schema, concrete, declared, selection_set, condition, fragments, grouped, set())
    parent = concrete or declared
    shapes: list[FieldShape] = []
    for key, occurrences in grouped.items():
        node = occurrences[0][0]
        conditions = _merge_conditions([c for _, c in occurrences])
        name = node.name.value
        if name == "__typename":
            shapes.append(
                FieldShape(
                    key,
                    "__typename",
                    f"{parent.name}.__typename",
                    (True,),
                    None,
                    conditions,
                    typename=True,
                )
            )
            continue
        if name in ("__schema", "__type"):
            shapes.append(FieldShape(key, key, name, (False,), None, conditions))
            continue
        field_def = parent.fields.get(name)  # type: ignore[union-attr]
        if field_def is None:
            continue
        wrappers, named = _wrappers(field_def.type)
        sub = None
        if is_composite_type(named):
            # Each occurrence's condition holds for what it selects below: a sub-field
            # only a conditional occurrence asks for is conditional too.
            sub_sets = [(o.selection_set, c) for o, c in occurrences if o.selection_set is not None]
            sub = _object_shape(schema, named, sub_sets, fragments)
        leaf = sub is None and len(wrappers) == 1
        shapes.append(
            FieldShape(key, key, f"{parent.name}.{name}", wrappers, sub, conditions, leaf=leaf)
        )
    return tuple(shapes)


def _collect(
    schema: GraphQLSchema,
    concrete: GraphQLObjectType | None,
    declared: GraphQLObjectType | GraphQLAbstractType,
    selection_set: SelectionSetNode,
    condition: Condition,
    fragments: Mapping[str, FragmentDefinitionNode],
    grouped: dict[str, list[tuple[FieldNode, Condition]]],
    visited: set[str],
) -> None:
    for selection in selection_set.selections:
        own = _condition(selection.directives)
        if own is _NEVER:
            continue
        combined = condition + own  # type: ignore[operator]
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            grouped.setdefault(key, []).append((selection, combined))
            continue
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visited or name not in fragments:
                continue
            visited.add(name)
            fragment = fragments[name]
            type_name: str | None = fragment.type_condition.name.value
            sub = fragment.selection_set
        else:
            assert isinstance(selection, InlineFragmentNode)
            type_name = selection.type_condition.name.value if selection.type_condition else None
            sub = selection.selection_set
        if _applies(schema, concrete, declared, type_name):
            _collect(schema, concrete, declared, sub, combined, fragments, grouped, visited)


def _applies(
    schema: GraphQLSchema,
    concrete: GraphQLObjectType | None,
    declared: GraphQLObjectType | GraphQLAbstractType,
    type_name: str | None,
) -> bool:
    if type_name is None or type_name == (concrete or declared).name:
        return True
    if concrete is None:
        return False
    condition_type = schema.get_type(type_name)
    if not isinstance(condition_type, GraphQLInterfaceType | GraphQLUnionType):
        return False
    return schema.is_sub_type(condition_type, concrete)


def _condition(directives: tuple[DirectiveNode, ...] | None) -> Condition | object:
    result: list[tuple[str, bool]] = []
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        wanted = name == "include"
        for argument in directive.arguments or ():
            value = argument.value
            if isinstance(value, BooleanValueNode):
                if value.value != wanted:
                    return _NEVER
            elif isinstance(value, VariableNode):
                result.append((value.name.value, wanted))
    return tuple(result)


def _merge_conditions(conditions: list[Condition]) -> Conditions:
    if any(not c for c in conditions):
        return None
    return tuple(dict.fromkeys(conditions))


def _wrappers(type_: GraphQLOutputType) -> tuple[tuple[bool, ...], GraphQLOutputType]:
    flags: list[bool] = []
    current = type_
    while True:
        non_null = isinstance(current, GraphQLNonNull)
        if non_null:
            current = current.of_type  # type: ignore[union-attr]
        flags.append(non_null)
        if isinstance(current, GraphQLList):
            current = current.of_type
            continue
        return tuple(flags), get_named_type(current)  # type: ignore[return-value]


def included(conditions: Conditions, variables: Mapping[str, object]) -> bool:
    """Whether `@skip`/`@include` keep a field, given the operation's variables."""
    if conditions is None:
        return True
    return any(all(bool(variables.get(n)) is v for n, v in c) for c in conditions)
