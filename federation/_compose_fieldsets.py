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

from federation._compose_model import CompositionIssue
from federation._compose_subgraph import Subgraph, type_name

Coordinate = tuple[str, str]
_BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


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
    """Walk one field set over a subgraph's types, collecting problems and touched fields."""

    def __init__(self, sub: Subgraph, directive: str) -> None:
        self.sub = sub
        self.directive = directive
        self.problems: list[tuple[str, str]] = []  # (code suffix, message)
        self.touched: set[Coordinate] = set()
        self.top: list[Coordinate] = []

    def walk(self, parent: str, selection_set: SelectionSetNode, top: bool) -> None:
        parent_type = self.sub.types.get(parent)
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                if self.directive == "key":
                    self.problems.append(("INVALID_FIELDS", "fragments are not allowed in @key"))
                    continue
                target = selection.type_condition.name.value if selection.type_condition else parent
                if target not in self.sub.types:
                    self.problems.append(("INVALID_FIELDS", f'Unknown type "{target}"'))
                    continue
                self.walk(target, selection.selection_set, top)
                continue
            if not isinstance(selection, FieldNode):
                self.problems.append(("INVALID_FIELDS", "fragment spreads are not allowed"))
                continue
            name = selection.name.value
            if name == "__typename" and self.directive != "key":
                continue
            found = parent_type.fields.get(name) if parent_type else None
            if found is None:
                self.problems.append(
                    ("INVALID_FIELDS", f'Cannot query field "{name}" on type "{parent}"')
                )
                continue
            self.touched.add((parent, name))
            if top:
                self.top.append((parent, name))
            target_type = self.sub.types.get(type_name(found.type))
            composite = target_type is not None and target_type.kind in (
                "object",
                "interface",
                "union",
            )
            if self.directive == "key":
                if selection.arguments:
                    self.problems.append(
                        ("FIELDS_HAS_ARGS", f'field "{parent}.{name}" has arguments')
                    )
                if "[" in found.type or (
                    target_type is not None and target_type.kind in ("interface", "union")
                ):
                    self.problems.append(
                        (
                            "FIELDS_SELECT_INVALID_TYPE",
                            f'field "{parent}.{name}" is a list, interface or union field,'
                            " which a @key cannot select",
                        )
                    )
                    continue
            if composite and selection.selection_set is None:
                self.problems.append(
                    (
                        "INVALID_FIELDS",
                        f'Field "{parent}.{name}" of composite type "{type_name(found.type)}"'
                        " needs a selection of subfields",
                    )
                )
            elif not composite and selection.selection_set is not None:
                self.problems.append(
                    ("INVALID_FIELDS", f'Field "{parent}.{name}" has no subfields to select')
                )
            elif selection.selection_set is not None:
                self.walk(type_name(found.type), selection.selection_set, False)


def check_field_sets(sub: Subgraph) -> FieldSetUse:
    """Validate every field set in `sub` (issues go to `sub.issues`); return what they use."""
    use = FieldSetUse()
    for type_def in sub.types.values():
        for key in type_def.keys:
            walk = _check(sub, "key", type_def.name, key.fields, type_def.name)
            use.by_key |= walk.touched
        for field_def in type_def.fields.values():
            coordinate = f"{type_def.name}.{field_def.name}"
            if field_def.requires is not None:
                walk = _check(sub, "requires", type_def.name, field_def.requires, coordinate)
                use.by_requires |= walk.touched
                for parent, name in walk.top:
                    if not sub.types[parent].fields[name].external:
                        _issue(
                            sub,
                            "REQUIRES_FIELDS_MISSING_EXTERNAL",
                            coordinate,
                            f'On field "{coordinate}", for @requires(fields: "'
                            f'{field_def.requires}"): field "{parent}.{name}" should not be'
                            " part of a @requires since it is already provided by this"
                            " subgraph (it is not marked @external)",
                        )
            if field_def.provides is not None:
                target = type_name(field_def.type)
                target_def = sub.types.get(target)
                if target_def is None or target_def.kind not in ("object", "interface", "union"):
                    _issue(
                        sub,
                        "PROVIDES_ON_NON_OBJECT_FIELD",
                        coordinate,
                        f'On field "{coordinate}", for @provides(fields: "'
                        f'{field_def.provides}"): field "{coordinate}" has type'
                        f' "{field_def.type}", which is not an object or interface type',
                    )
                    continue
                walk = _check(sub, "provides", target, field_def.provides, coordinate)
                use.provided |= walk.touched
                for parent, name in walk.top:
                    entity = bool(sub.types[parent].keys)
                    if entity and not sub.types[parent].fields[name].external:
                        _issue(
                            sub,
                            "PROVIDES_FIELDS_MISSING_EXTERNAL",
                            coordinate,
                            f'On field "{coordinate}", for @provides(fields: "'
                            f'{field_def.provides}"): field "{parent}.{name}" should not be'
                            " part of a @provides since it is already provided by this"
                            " subgraph (it is not marked @external)",
                        )
    _check_external_used(sub, use)
    return use


def _check(sub: Subgraph, directive: str, parent: str, text: str, coordinate: str) -> _Walk:
    walk = _Walk(sub, directive)
    selection_set = parse_field_set(text)
    where = (
        f'On type "{parent}"' if directive == "key" else f'On field "{coordinate}"'
    ) + f', for @{directive}(fields: "{text}")'
    if selection_set is None or not text.strip():
        walk.problems.append(("INVALID_FIELDS", "the field set cannot be parsed"))
    else:
        walk.walk(parent, selection_set, True)
    for suffix, problem in walk.problems:
        code = f"{directive.upper()}_{suffix}"
        hint = ""
        if suffix == "INVALID_FIELDS" and problem.startswith("Cannot query"):
            hint = (
                " (the field should either be added to this subgraph or, if it should not be"
                " resolved by this subgraph, you need to add it to this subgraph with @external)"
            )
        _issue(sub, code, coordinate, f"{where}: {problem}{hint}")
    return walk


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
            if field_def.external and coordinate not in used:
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
