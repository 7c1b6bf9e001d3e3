"""The composed supergraph as plain values, and its printer (Apollo's layout: one
directive per line under a type, types and directives sorted by name)."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from graphql.language.print_string import print_string


@dataclass
class OutArg:
    name: str
    type: str
    description: str | None = None
    default: str | None = None
    directives: list[str] = field(default_factory=list)


@dataclass
class OutField:
    name: str
    type: str
    description: str | None = None
    args: list[OutArg] = field(default_factory=list)
    default: str | None = None
    directives: list[str] = field(default_factory=list)


@dataclass
class OutValue:
    name: str
    description: str | None = None
    directives: list[str] = field(default_factory=list)


@dataclass
class OutType:
    name: str
    kind: str  # object | interface | union | enum | input | scalar
    description: str | None = None
    directives: list[str] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    fields: list[OutField] = field(default_factory=list)
    values: list[OutValue] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class OutSchema:
    links: list[str]
    roots: list[tuple[str, str]]
    directive_definitions: dict[str, str]
    types: dict[str, OutType]


def directive(name: str, *args: tuple[str, str | None]) -> str:
    """`@name(a: 1, b: 2)`, leaving out arguments whose printed value is None."""
    present = [f"{key}: {value}" for key, value in args if value is not None]
    return f"@{name}({', '.join(present)})" if present else f"@{name}"


def string(value: str) -> str:
    return print_string(value)


def print_value(node: ValueNode) -> str:
    """A value as Apollo prints it (objects without inner padding: `{a: 1}`)."""
    if isinstance(node, StringValueNode):
        return print_string(node.value)
    if isinstance(node, IntValueNode | FloatValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return "true" if node.value else "false"
    if isinstance(node, NullValueNode):
        return "null"
    if isinstance(node, ListValueNode):
        return "[" + ", ".join(print_value(v) for v in node.values) + "]"
    if isinstance(node, ObjectValueNode):
        return "{" + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in node.fields) + "}"
    if isinstance(node, VariableNode):
        return "$" + node.name.value
    raise TypeError(f"unexpected value node {type(node).__name__}")


def print_applied(node: DirectiveNode, name: str | None = None) -> str:
    """One directive application, optionally under another name."""
    args = [f"{a.name.value}: {print_value(a.value)}" for a in node.arguments or ()]
    return f"@{name or node.name.value}" + (f"({', '.join(args)})" if args else "")


def _sort_key(name: str) -> tuple[str, str]:
    return (name.lower(), name)


def _description(text: str | None, indent: str) -> str:
    if text is None:
        return ""
    single = "\n" not in text
    multiline = not single or text.endswith(('"', "\\")) or len(text) > 70
    body = text.replace('"""', '\\"""')
    if multiline and not (single and text.startswith((" ", "\t"))):
        body = "\n" + indent + body.replace("\n", "\n" + indent) + "\n" + indent
    elif multiline:
        body = body + "\n" + indent
    return f'{indent}"""{body}"""\n'


def _arg(arg: OutArg) -> str:
    text = f"{arg.name}: {arg.type}"
    if arg.default is not None:
        text += f" = {arg.default}"
    if arg.directives:
        text += " " + " ".join(arg.directives)
    return text


def _args(args: list[OutArg], indent: str) -> str:
    """Arguments on one line, or one per line (as Apollo does) when any has a description."""
    if not args:
        return ""
    if all(arg.description is None for arg in args):
        return "(" + ", ".join(_arg(arg) for arg in args) + ")"
    lines = []
    for i, arg in enumerate(args):
        if arg.description is not None and i > 0:
            lines.append("")
        lines.append(_description(arg.description, indent + "  ") + f"{indent}  {_arg(arg)}")
    return "(\n" + "\n".join(lines) + f"\n{indent})"


def print_directive_definition(
    name: str, description: str | None, args: list[OutArg], repeatable: bool, locations: list[str]
) -> str:
    text = _description(description, "") + f"directive @{name}{_args(args, '')}"
    return text + (" repeatable" if repeatable else "") + " on " + " | ".join(locations)


def _head(keyword: str, out: OutType, suffix: str = "") -> str:
    text = _description(out.description, "") + f"{keyword} {out.name}{suffix}"
    for applied in out.directives:
        text += f"\n  {applied}"
    return text


def _open(out: OutType) -> str:
    return "\n{\n" if out.directives else " {\n"


def _print_type(out: OutType) -> str:
    if out.kind == "scalar":
        return _head("scalar", out)
    if out.kind == "union":
        members = " | ".join(out.members)
        head = _head("union", out)
        return f"{head}\n = {members}" if out.directives else f"{head} = {members}"
    if out.kind == "enum":
        lines = []
        for i, value in enumerate(out.values):
            if value.description is not None and i > 0:
                lines.append("")
            entry = _description(value.description, "  ") + f"  {value.name}"
            if value.directives:
                entry += " " + " ".join(value.directives)
            lines.append(entry)
        return _head("enum", out) + _open(out) + "\n".join(lines) + "\n}"
    keyword = {"object": "type", "interface": "interface", "input": "input"}[out.kind]
    implements = f" implements {' & '.join(out.interfaces)}" if out.interfaces else ""
    lines = []
    for i, out_field in enumerate(out.fields):
        if out_field.description is not None and i > 0:
            lines.append("")
        entry = _description(out_field.description, "  ")
        entry += f"  {out_field.name}{_args(out_field.args, '  ')}: {out_field.type}"
        if out_field.default is not None:
            entry += f" = {out_field.default}"
        if out_field.directives:
            entry += " " + " ".join(out_field.directives)
        lines.append(entry)
    return _head(keyword, out, implements) + _open(out) + "\n".join(lines) + "\n}"


def print_schema(schema: OutSchema) -> str:
    """Print the supergraph SDL; the same `OutSchema` always gives the same text."""
    head = "schema"
    for link in schema.links:
        head += f"\n  {link}"
    head += "\n{\n" + "\n".join(f"  {op}: {name}" for op, name in schema.roots) + "\n}"
    blocks = [head]
    for name in sorted(schema.directive_definitions, key=_sort_key):
        blocks.append(schema.directive_definitions[name])
    for name in sorted(schema.types, key=_sort_key):
        blocks.append(_print_type(schema.types[name]))
    return "\n\n".join(blocks)
