"""Limits on what one request may ask of the gateway: size, depth, aliases, root fields, cost.

`check_limits` walks the operation's selections once, expanding fragment spreads.
Each fragment's figures are computed once and reused, so fragments that spread
other fragments many times cannot make the walk exponential, and a spread that
leads back into a fragment already being walked counts nothing (validation
reports the cycle itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

LIST_SIZE_ARGUMENTS = ("first", "last", "limit")
"""Arguments whose value bounds how many items a list field returns."""


@dataclass(frozen=True)
class Limits:
    """The most one request may ask for; each bound is checked before any fetch."""

    max_body_bytes: int = 1_000_000
    max_tokens: int = 5_000
    max_depth: int = 20
    max_aliases: int = 30
    max_root_fields: int = 20
    max_cost: int = 50_000
    max_fields: int = 2_000
    """Field selections once every fragment spread is expanded: what planning walks."""
    default_list_size: int = 10
    """Items assumed for a list field that has no literal `first`/`last`/`limit`."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Limits.{name} must be a whole number of at least 0: {value!r}")


@dataclass(frozen=True)
class _Figures:
    depth: int
    aliases: int
    root_fields: int
    cost: int
    fields: int = 0  # selections with fragments expanded, leaves included


def check_limits(
    document: DocumentNode,
    limits: Limits,
    *,
    schema: GraphQLSchema | None = None,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> list[GraphQLError]:
    """Errors for each limit the document's operations exceed (all of them, or the named one).

    Without `schema` every field costs one and none counts as a list. Without
    `variables` a list size given by a variable counts as the default list size.
    """
    walk = _Walk(document, schema, variables or {}, limits.default_list_size)
    errors: list[GraphQLError] = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        if operation_name is not None and _name(operation) != operation_name:
            continue
        figures = walk.operation(operation)
        errors.extend(_exceeded(figures, limits, operation))
    return errors


def list_size_from_variables(document: DocumentNode) -> bool:
    """Whether any `first`/`last`/`limit` argument takes its value from a variable."""
    return any(_uses_variable_size(definition) for definition in document.definitions)


def _uses_variable_size(node: Any) -> bool:
    selection_set = getattr(node, "selection_set", None)
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            for argument in selection.arguments or ():
                if argument.name.value in LIST_SIZE_ARGUMENTS and isinstance(
                    argument.value, VariableNode
                ):
                    return True
        if _uses_variable_size(selection):
            return True
    return False


def _exceeded(
    figures: _Figures, limits: Limits, operation: OperationDefinitionNode
) -> list[GraphQLError]:
    label = f"Operation '{_name(operation)}'" if operation.name else "The operation"
    checks = (
        (figures.depth, limits.max_depth, "MAX_DEPTH_EXCEEDED", "is nested {} levels deep"),
        (figures.aliases, limits.max_aliases, "MAX_ALIASES_EXCEEDED", "uses {} aliases"),
        (
            figures.root_fields,
            limits.max_root_fields,
            "MAX_ROOT_FIELDS_EXCEEDED",
            "selects {} root fields",
        ),
        (figures.cost, limits.max_cost, "MAX_COST_EXCEEDED", "has an estimated cost of {}"),
        (
            figures.fields,
            limits.max_fields,
            "MAX_FIELDS_EXCEEDED",
            "selects {} fields once its fragments are expanded",
        ),
    )
    return [
        GraphQLError(
            f"{label} {what.format(found)}; the limit is {limit}.",
            nodes=[operation],
            extensions={"code": code, "limit": limit, "found": found},
        )
        for found, limit, code, what in checks
        if found > limit
    ]


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


class _Walk:
    """One pass over a document; fragment figures are memoised by fragment name."""

    def __init__(
        self,
        document: DocumentNode,
        schema: GraphQLSchema | None,
        variables: Mapping[str, Any],
        default_list_size: int,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.default_list_size = default_list_size
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, int | None], _Figures] = {}
        self.active: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> _Figures:
        root: GraphQLNamedType | None = None
        if self.schema is not None:
            root = self.schema.get_root_type(operation.operation)
        return self.selections(operation.selection_set, root)

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        page: int | None = None,
    ) -> _Figures:
        """`page`: the size argument of a page object (not a list) these fields are in; the
        lists directly inside it are that long."""
        depth = aliases = fields = cost = expanded = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                child = self.field(selection, parent, page)
                fields += 1
            elif isinstance(selection, InlineFragmentNode):
                condition = parent
                if selection.type_condition is not None and self.schema is not None:
                    condition = self.schema.get_type(selection.type_condition.name.value)
                child = self.selections(selection.selection_set, condition, page)
                fields += child.root_fields
            elif isinstance(selection, FragmentSpreadNode):
                child = self.spread(selection.name.value, page)
                fields += child.root_fields
            else:  # pragma: no cover - the parser makes no other selection
                continue
            depth = max(depth, child.depth)
            aliases += child.aliases
            cost += child.cost
            expanded += child.fields
        return _Figures(depth, aliases, fields, cost, expanded)

    def spread(self, name: str, page: int | None = None) -> _Figures:
        known = self.memo.get((name, page))
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:
            return _Figures(0, 0, 0, 0)
        self.active.add(name)
        condition = None
        if self.schema is not None:
            condition = self.schema.get_type(fragment.type_condition.name.value)
        figures = self.selections(fragment.selection_set, condition, page)
        self.active.discard(name)
        self.memo[(name, page)] = figures
        return figures

    def field(
        self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None = None
    ) -> _Figures:
        definition = self.definition(node.name.value, parent)
        field_type: GraphQLOutputType | None = definition.type if definition else None
        aliases = 1 if node.alias is not None else 0
        if node.selection_set is None:
            return _Figures(1, aliases, 1, self.leaf_cost(field_type), 1)
        named = get_named_type(field_type) if field_type else None
        size = self.list_size(node)
        if _is_list(field_type):
            multiplier = size if size is not None else (page or self.default_list_size)
            inner = self.selections(node.selection_set, named)
        else:
            # A page such as `citizens(first: 100) { citizens { … } }`: its size is its lists'.
            multiplier = 1
            inner = self.selections(node.selection_set, named, size)
        return _Figures(
            depth=inner.depth + 1,
            aliases=aliases + inner.aliases,
            root_fields=1,
            cost=1 + multiplier * inner.cost,
            fields=1 + inner.fields,
        )

    def leaf_cost(self, field_type: GraphQLOutputType | None) -> int:
        # Scalars arrive with their parent object: only unknown fields cost on their own.
        return 0 if field_type is not None and is_leaf_type(get_named_type(field_type)) else 1

    def definition(self, name: str, parent: GraphQLNamedType | None) -> GraphQLField | None:
        if self.schema is None or parent is None:
            return None
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if name == "__typename":
            return TypeNameMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = parent.fields.get(name)
            return found
        return None

    def list_size(self, node: FieldNode) -> int | None:
        """The field's `first`/`last`/`limit`, when it has one."""
        for argument in node.arguments or ():
            if argument.name.value not in LIST_SIZE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                if len(value.value) > 18:  # past any limit; `int` refuses past 4,300 digits
                    return 0 if value.value.startswith("-") else 10**18
                return max(int(value.value), 0)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return max(given, 0)
        return None


def _is_list(field_type: GraphQLOutputType | None) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)
