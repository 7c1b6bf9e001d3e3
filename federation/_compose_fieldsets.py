"""Check each subgraph's `@key`, `@requires` and `@provides` field sets against its own
types, and note which fields they use (composition needs that for `@external` and
`@override`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from federation._compose_elements import Subgraph, type_name
from federation._compose_model import CompositionIssue

Coordinate = tuple[str, str]
_COMPOSITE = ("object", "interface", "union")


@dataclass
class FieldSetUse:
    """What one subgraph's field sets touch."""

    by_key: set[Coordinate] = field(default_factory=set)
    by_requires: set[Coordinate] = field(default_factory=set)
    provided: set[Coordinate] = field(default_factory=set)

    @property
    def used(self) -> set[Coordinate]:
        return self.by_key | self.by_requires | self.provided


def parse_field_set(text: str) -> SelectionSetNode | None:
    """Parse a field set such as `id organisation { id }`; None when it is not one."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLSyntaxError:
        return None
    operation = document.definitions[0]
    if len(document.definitions) != 1 or not isinstance(operation, OperationDefinitionNode):
        return None
    return operation.selection_set


class _Walk:
    """Walk one field set over a subgraph's types, collecting problems and touched fields.

    Follows Apollo's rules: a `@requires`/`@provides` leaf must be `@external` unless a
    field above it is; `@key` and `@provides` select no field with arguments; a `@key`
    selects no interface or union field.
    """

    def __init__(self, sub: Subgraph, directive: str) -> None:
        self.sub = sub
        self.directive = directive
        self.problems: list[tuple[str, str]] = []  # (code suffix, message)
        self.touched: set[Coordinate] = set()

    def walk(self, parent: str, selection_set: SelectionSetNode, external_above: bool) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                target = selection.type_condition.name.value if selection.type_condition else parent
                if self.directive == "key":
                    self.problems.append(("INVALID_FIELDS", "fragments are not allowed in @key"))
                elif target not in self.sub.types:
                    self.problems.append(("INVALID_FIELDS", f'Unknown type "{target}"'))
                else:
                    self.walk(target, selection.selection_set, external_above)
            elif isinstance(selection, FieldNode):
                self._field(parent, selection, external_above)
            else:
                self.problems.append(("INVALID_FIELDS", "fragment spreads are not allowed"))

    def _field(self, parent: str, selection: FieldNode, external_above: bool) -> None:
        name = selection.name.value
        coordinate = f"{parent}.{name}"
        parent_type = self.sub.types.get(parent)
        found = parent_type.fields.get(name) if parent_type else None
        if name == "__typename":
            self._must_be_external(coordinate, False, selection, external_above)
            return
        if found is None:
            self.problems.append(
                ("INVALID_FIELDS", f'Cannot query field "{name}" on type "{parent}"')
            )
            return
        self.touched.add((parent, name))
        target = type_name(found.type)
        target_type = self.sub.types.get(target)
        if self.directive != "requires" and found.args:
            self.problems.append(
                (
                    "FIELDS_HAS_ARGS",
                    f"field {coordinate} cannot be included because it has arguments (fields"
                    f" with argument are not allowed in @{self.directive})",
                )
            )
        if self.directive == "key" and target_type and target_type.kind in ("interface", "union"):
            kind = "Interface" if target_type.kind == "interface" else "Union"
            self.problems.append(
                (
                    "FIELDS_SELECT_INVALID_TYPE",
                    f'field "{coordinate}" is a {kind} type which is not allowed in @key',
                )
            )
            return
        external = found.external or (
            # Apollo rejects this; we accept a provided interface field when every
            # implementation here marks it @external, as the provide is then unambiguous.
            self.directive == "provides"
            and selection.selection_set is None
            and self._external_in_implementations(parent, name, every=True)
        )
        self._must_be_external(coordinate, external, selection, external_above)
        composite = target_type is not None and target_type.kind in _COMPOSITE
        if composite and selection.selection_set is None:
            self.problems.append(
                (
                    "INVALID_FIELDS",
                    f'Field "{coordinate}" of composite type "{target}" needs a selection of'
                    " subfields",
                )
            )
        elif not composite and selection.selection_set is not None:
            self.problems.append(("INVALID_FIELDS", f'Field "{coordinate}" has no subfields'))
        elif selection.selection_set is not None:
            above = (
                external_above or found.external or self._external_in_implementations(parent, name)
            )
            self.walk(target, selection.selection_set, above)

    def _must_be_external(
        self, coordinate: str, external: bool, selection: FieldNode, external_above: bool
    ) -> None:
        leaf = selection.selection_set is None
        if self.directive != "key" and leaf and not external and not external_above:
            self.problems.append(
                (
                    "FIELDS_MISSING_EXTERNAL",
                    f'field "{coordinate}" should not be part of a @{self.directive} since it'
                    " is already provided by this subgraph (it is not marked @external)",
                )
            )

    def _external_in_implementations(self, parent: str, name: str, every: bool = False) -> bool:
        """Whether some (or, with `every`, each) implementation of interface `parent` in
        this subgraph marks field `name` @external."""
        parent_type = self.sub.types.get(parent)
        if parent_type is None or parent_type.kind != "interface":
            return False
        marks = [
            name in t.fields and t.fields[name].external
            for t in self.sub.types.values()
            if t.kind == "object" and parent in t.interfaces
        ]
        return bool(marks) and (all(marks) if every else any(marks))


def check_field_sets(sub: Subgraph) -> FieldSetUse:
    """Validate every field set in `sub` (issues go to `sub.issues`); return what they use."""
    use = FieldSetUse()
    for type_def in sub.types.values():
        for key in type_def.keys:
            use.by_key |= _check(sub, "key", type_def.name, key.fields, type_def.name)
        for field_def in type_def.fields.values():
            coordinate = f"{type_def.name}.{field_def.name}"
            if field_def.requires is not None:
                use.by_requires |= _check(
                    sub, "requires", type_def.name, field_def.requires, coordinate
                )
            if field_def.provides is None:
                continue
            target = type_name(field_def.type)
            target_def = sub.types.get(target)
            if field_def.external:
                _issue(
                    sub,
                    "EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    coordinate,
                    f'Cannot have both @provides and @external on field "{coordinate}"',
                )
            if target_def is None or target_def.kind not in _COMPOSITE:
                _issue(
                    sub,
                    "PROVIDES_ON_NON_OBJECT_FIELD",
                    coordinate,
                    f'Invalid @provides directive on field "{coordinate}": field has type'
                    f' "{field_def.type}" which is not a Composite Type',
                )
            else:
                use.provided |= _check(sub, "provides", target, field_def.provides, coordinate)
    _check_external_used(sub, use)
    return use


def _check(
    sub: Subgraph, directive: str, parent: str, text: str, coordinate: str
) -> set[Coordinate]:
    """Problems of one field set become issues; returns the fields it touches."""
    walk = _Walk(sub, directive)
    selection_set = parse_field_set(text)
    where = (
        f'On type "{parent}"' if directive == "key" else f'On field "{coordinate}"'
    ) + f', for @{directive}(fields: "{text}")'
    if selection_set is None or not text.strip():
        walk.problems.append(("INVALID_FIELDS", "the field set cannot be parsed"))
    else:
        walk.walk(parent, selection_set, False)
    for suffix, problem in walk.problems:
        code = f"{directive.upper()}_{suffix}"
        hint = ""
        if suffix == "INVALID_FIELDS" and problem.startswith("Cannot query"):
            hint = (
                " (the field should either be added to this subgraph or, if it should not be"
                " resolved by this subgraph, you need to add it to this subgraph with @external)"
            )
        _issue(sub, code, coordinate, f"{where}: {problem}{hint}")
    return walk.touched


def _check_external_used(sub: Subgraph, use: FieldSetUse) -> None:
    used = use.used
    for type_def in sub.types.values():
        if type_def.kind != "object":
            continue
        interface_fields = {
            name
            for interface in type_def.interfaces
            if interface in sub.types
            for name in sub.types[interface].fields
        }
        for field_def in type_def.fields.values():
            coordinate = (type_def.name, field_def.name)
            if field_def.external and coordinate not in used and field_def.provides is None:
                if field_def.name in interface_fields:
                    continue
                _issue(
                    sub,
                    "EXTERNAL_UNUSED",
                    f"{type_def.name}.{field_def.name}",
                    f'Field "{type_def.name}.{field_def.name}" is marked @external but is not'
                    " used in any federation directive (@key, @provides, @requires) or to"
                    " satisfy an interface; the field declaration has no use and should be"
                    " removed (or the field should not be @external).",
                )


def _issue(sub: Subgraph, code: str, coordinate: str, message: str) -> None:
    sub.issues.append(CompositionIssue(code, f"[{sub.name}] {message}", (sub.name,), coordinate))


__all__ = ["FieldSetUse", "check_field_sets", "parse_field_set"]
