"""Subgraph selections under construction, and how they print."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    print_ast,
)


class Field:
    """A field of a subgraph selection: `key: name(args) @directives { sub }`."""

    __slots__ = ("args", "coordinate", "directives", "key", "name", "required_key", "sub")

    def __init__(self, key: str, name: str, args: str, directives: str, composite: bool) -> None:
        self.key = key
        self.name = name
        self.args = args
        self.directives = directives
        self.sub: Selection | None = Selection() if composite else None
        self.required_key = False
        self.coordinate = ""

    def head(self) -> str:
        alias = f"{self.key}: " if self.key != self.name else ""
        return f"{alias}{self.name}{self.args}{self.directives}"

    def lines(self, depth: int) -> list[str]:
        pad = "  " * depth
        head = pad + self.head()
        if self.sub is None:
            return [head]
        return [head + " {", *(self.sub.lines(depth + 1) or [f"{pad}  __typename"]), pad + "}"]


class Selection:
    """An ordered selection set: fields by response key, then inline fragments."""

    __slots__ = ("fields", "fragments")

    def __init__(self) -> None:
        self.fields: dict[str, Field] = {}
        self.fragments: dict[tuple[str, str], Selection] = {}

    def fragment(self, type_name: str, directives: str = "") -> Selection:
        found = self.fragments.get((type_name, directives))
        if found is None:
            found = self.fragments[(type_name, directives)] = Selection()
        return found

    def add(self, key: str, name: str, args: str, directives: str, composite: bool) -> Field | None:
        """Add a field, merging with one of the same key; None if the key means another field."""
        existing = self.fields.get(key)
        if existing is None:
            field = self.fields[key] = Field(key, name, args, directives, composite)
            return field
        if existing.name != name or existing.args != args:
            return None
        if existing.directives != directives:
            existing.directives = ""  # included whenever either occurrence is
        if composite and existing.sub is None:
            existing.sub = Selection()
        return existing

    def lines(self, depth: int = 0) -> list[str]:
        out: list[str] = []
        for field in self.fields.values():
            out.extend(field.lines(depth))
        for (type_name, directives), sub in self.fragments.items():
            out.extend(_fragment_lines(type_name, directives, sub, depth))
        return out

    def text(self, depth: int = 0) -> str:
        """Readable text, braces included."""
        pad = "  " * depth
        return "\n".join([pad + "{", *self.lines(depth + 1), pad + "}"])

    def compact(self) -> str:
        """One-line text, braces included, as sent to a subgraph."""
        return _compact(self.text().split("\n"))


def _fragment_lines(type_name: str, directives: str, sub: Selection, depth: int) -> list[str]:
    if not sub.fields and not sub.fragments:
        return []
    pad = "  " * depth
    return [f"{pad}... on {type_name}{directives} {{", *sub.lines(depth + 1), pad + "}"]


def _compact(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines)


def print_arguments(node: FieldNode) -> str:
    if not node.arguments:
        return ""
    return "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"


def print_conditions(directives: tuple[DirectiveNode, ...] | None) -> str:
    """`@skip`/`@include` as text; other directives are not sent to subgraphs."""
    kept = [print_ast(d) for d in directives or () if d.name.value in ("skip", "include")]
    return "".join(" " + d for d in kept)


def variables_in(node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> list[str]:
    values: list[ValueNode] = []
    if isinstance(node, FieldNode):
        values.extend(a.value for a in node.arguments or ())
    for directive in node.directives or ():
        if directive.name.value in ("skip", "include"):
            values.extend(a.value for a in directive.arguments or ())
    names: list[str] = []
    while values:
        value = values.pop()
        if isinstance(value, VariableNode):
            names.append(value.name.value)
        elif isinstance(value, ListValueNode):
            values.extend(value.values)
        elif isinstance(value, ObjectValueNode):
            values.extend(f.value for f in value.fields)
    return names


def list_depth(type_string: str) -> int:
    return type_string.count("[")


def provided_map(selection_set: SelectionSetNode) -> dict[str, Any]:
    """A `@provides` field set as nested names; `... on T` parts under the key `...T`."""
    result: dict[str, Any] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            sub = provided_map(selection.selection_set) if selection.selection_set else {}
            result.setdefault(selection.name.value, {}).update(sub)
        elif isinstance(selection, InlineFragmentNode):
            inner = provided_map(selection.selection_set)
            if selection.type_condition is None:
                result.update(inner)
            else:
                result.setdefault("..." + selection.type_condition.name.value, {}).update(inner)
    return result


def provided_field(provided: Mapping[str, Any] | None, type_name: str, name: str) -> Any:
    """The provided sub-map of a field of `type_name`, or None when it is not provided."""
    if provided is None:
        return None
    found = provided.get(name)
    if found is None:
        found = provided.get("..." + type_name, {}).get(name)
    return found


def excluded(directives: tuple[DirectiveNode, ...] | None) -> bool:
    """Whether a literal `@skip(if: true)` or `@include(if: false)` drops a selection."""
    for directive in directives or ():
        name = directive.name.value
        if name in ("skip", "include"):
            for argument in directive.arguments or ():
                value = argument.value
                if isinstance(value, BooleanValueNode) and value.value != (name == "include"):
                    return True
    return False


_CONDITION = re.compile(r"@(skip|include)\(if: \$(\w+)\)")


def condition_of(directives: str) -> tuple[tuple[str, bool], ...]:
    """The variable conditions in printed `@skip`/`@include` directives (all must hold)."""
    return tuple((m.group(2), m.group(1) == "include") for m in _CONDITION.finditer(directives))


def selection_conditions(selection: Selection) -> tuple[tuple[tuple[str, bool], ...], ...] | None:
    """When a selection is needed at all: any of the returned conditions; None for always."""
    found: list[tuple[tuple[str, bool], ...]] = []
    for field in selection.fields.values():
        condition = condition_of(field.directives)
        if not condition:
            return None
        found.append(condition)
    for (_, directives), sub in selection.fragments.items():
        condition = condition_of(directives)
        if not condition:
            inner = selection_conditions(sub)
            if inner is None:
                return None
            found.extend(inner)
        else:
            found.append(condition)
    return tuple(dict.fromkeys(found)) or None
