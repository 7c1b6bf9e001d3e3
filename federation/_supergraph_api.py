"""Derive the API schema document from a supergraph document.

What clients see: no join__/link__ types or directives, `@inaccessible`
elements removed, composed custom directives kept (definitions and
applications), and field descriptions extended with the owning departments
and the composed directives' facts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TypeVar

from graphql import (
    ArgumentNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    Node,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    print_ast,
)

_N = TypeVar("_N", bound=Node)

BUILTIN_DIRECTIVES = frozenset({"skip", "include", "deprecated", "specifiedBy", "oneOf"})
# Directives of Apollo's own specs: they describe the supergraph, not the API.
SPEC_DIRECTIVES = frozenset(
    {"link", "inaccessible", "tag", "authenticated", "requiresScopes", "policy", "cost", "listSize"}
)

Owners = Mapping[tuple[str, str], tuple[str, ...]]


def named_type(node: TypeNode) -> str:
    while not isinstance(node, NamedTypeNode):
        node = node.type  # type: ignore[attr-defined]
    return node.name.value


def has_directive(node: object, directive: str) -> bool:
    return any(d.name.value == directive for d in getattr(node, "directives", None) or ())


def is_spec_type(name: str) -> bool:
    return name.startswith(("join__", "link__"))


def api_document_of(
    document: DocumentNode, hidden_types: set[str], owners: Owners, hidden: str
) -> tuple[DocumentNode, dict[tuple[str, str], tuple[DirectiveNode, ...]]]:
    """The API schema document, and the composed directives applied to each field."""
    by_field: dict[tuple[str, str], tuple[DirectiveNode, ...]] = {}
    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            definitions.append(SchemaDefinitionNode(operation_types=definition.operation_types))
        elif isinstance(definition, DirectiveDefinitionNode):
            name = definition.name.value
            if name != hidden and not _is_supergraph_directive(name):
                definitions.append(definition)
        elif isinstance(definition, TypeDefinitionNode):
            name = definition.name.value
            if is_spec_type(name) or name in hidden_types:
                continue
            definitions.append(_api_type(definition, owners, hidden, hidden_types, by_field))
    return DocumentNode(definitions=tuple(definitions)), by_field


def _is_supergraph_directive(name: str) -> bool:
    return name in SPEC_DIRECTIVES or name.startswith(("join__", "link__"))


def _custom(directives: tuple[DirectiveNode, ...] | None) -> tuple[DirectiveNode, ...]:
    return tuple(
        d
        for d in directives or ()
        if not _is_supergraph_directive(d.name.value) and d.name.value not in BUILTIN_DIRECTIVES
    )


def _kept(directives: tuple[DirectiveNode, ...] | None, hidden: str) -> tuple[DirectiveNode, ...]:
    """Directives that stay in the API schema: builtins and composed custom ones."""
    return tuple(
        d
        for d in directives or ()
        if d.name.value != hidden and not _is_supergraph_directive(d.name.value)
    )


def _api_type(
    definition: TypeDefinitionNode,
    owners: Owners,
    hidden: str,
    hidden_types: set[str],
    by_field: dict[tuple[str, str], tuple[DirectiveNode, ...]],
) -> TypeDefinitionNode:
    changes: dict[str, object] = {"directives": _kept(definition.directives, hidden)}
    if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        changes["interfaces"] = tuple(
            i for i in definition.interfaces or () if i.name.value not in hidden_types
        )
    if isinstance(definition, UnionTypeDefinitionNode):
        changes["types"] = tuple(
            t for t in definition.types or () if t.name.value not in hidden_types
        )
    if isinstance(definition, EnumTypeDefinitionNode):
        changes["values"] = tuple(
            _replace(v, directives=_kept(v.directives, hidden))
            for v in definition.values or ()
            if not has_directive(v, hidden)
        )
    fields = getattr(definition, "fields", None)
    if fields is not None:
        kept = []
        for node in fields:
            if has_directive(node, hidden) or named_type(node.type) in hidden_types:
                continue
            updates: dict[str, object] = {"directives": _kept(node.directives, hidden)}
            if isinstance(node, FieldDefinitionNode):
                custom = _custom(node.directives)
                if custom:
                    by_field[(definition.name.value, node.name.value)] = custom
                updates["arguments"] = tuple(
                    _replace(a, directives=_kept(a.directives, hidden))
                    for a in node.arguments or ()
                    if not has_directive(a, hidden)
                )
                field_owners = owners.get((definition.name.value, node.name.value), ())
                described = _describe(node, custom, field_owners)
                if described is not None:
                    updates["description"] = described
            kept.append(_replace(node, **updates))
        changes["fields"] = tuple(kept)
    return _replace(definition, **changes)


def _replace(node: _N, **changes: object) -> _N:
    """A copy of an AST node with some attributes changed."""
    return dataclasses.replace(node, **changes)  # type: ignore[arg-type]


def _describe(
    node: FieldDefinitionNode, custom: tuple[DirectiveNode, ...], owners: tuple[str, ...]
) -> StringValueNode | None:
    """Extend a field's description with its owning departments and composed directives."""
    facts: list[str] = []
    if owners:
        label = "Department" if len(owners) == 1 else "Departments"
        facts.append(f"{label}: {', '.join(owners)}.")
    for directive in custom:
        facts.append(_describe_directive(directive))
    if not facts:
        return None
    text = " ".join(facts)
    if node.description is not None and node.description.value:
        text = node.description.value.rstrip() + "\n\n" + text
    return StringValueNode(value=text, block=False)


def _describe_directive(directive: DirectiveNode) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", directive.name.value).lower()
    label = words[:1].upper() + words[1:]
    values = [_plain(a) for a in directive.arguments or ()]
    if not values:
        return f"{label}."
    extra = f" ({', '.join(values[1:])})" if len(values) > 1 else ""
    return f"{label}: {values[0]}{extra}."


def _plain(argument: ArgumentNode) -> str:
    value = argument.value
    if isinstance(value, StringValueNode | EnumValueNode):
        return value.value
    return print_ast(value)
