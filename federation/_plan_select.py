"""Subgraph selections under construction, and how they print."""

from __future__ import annotations

from typing import Any

from graphql import (
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

    __slots__ = ("args", "directives", "key", "name", "required_key", "sub")

    def __init__(self, key: str, name: str, args: str, directives: str, composite: bool) -> None:
        self.key = key
        self.name = name
        self.args = args
        self.directives = directives
        self.sub: Selection | None = Selection() if composite else None
        self.required_key = False


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
        pad = "  " * depth
        out: list[str] = []
        for field in self.fields.values():
            alias = f"{field.key}: " if field.key != field.name else ""
            head = f"{pad}{alias}{field.name}{field.args}{field.directives}"
            if field.sub is None:
                out.append(head)
            else:
                out.append(head + " {")
                out.extend(field.sub.lines(depth + 1) or [f"{pad}  __typename"])
                out.append(pad + "}")
        for (type_name, directives), sub in self.fragments.items():
            if sub.fields or sub.fragments:
                out.append(f"{pad}... on {type_name}{directives} {{")
                out.extend(sub.lines(depth + 1))
                out.append(pad + "}")
        return out

    def text(self, depth: int = 0) -> str:
        """Readable text, braces included."""
        pad = "  " * depth
        return "\n".join([pad + "{", *self.lines(depth + 1), pad + "}"])

    def compact(self) -> str:
        """One-line text, braces included, as sent to a subgraph."""
        return " ".join(line.strip() for line in self.text().split("\n"))


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
    """A `@provides` field set as nested names (type conditions folded in)."""
    result: dict[str, Any] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            sub = provided_map(selection.selection_set) if selection.selection_set else {}
            result.setdefault(selection.name.value, {}).update(sub)
        elif isinstance(selection, InlineFragmentNode):
            for name, sub in provided_map(selection.selection_set).items():
                result.setdefault(name, {}).update(sub)
    return result
