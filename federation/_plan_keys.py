"""Field-level facts the planner asks about: who resolves what, keys, data keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from federation._plan_select import Selection, print_arguments, provided_field
from federation.supergraph import FieldInfo, TypeInfo

Provided = Mapping[str, Any] | None
ClientKeys = Mapping[str, tuple[str, str]]
Types = Mapping[str, TypeInfo]


def data_key(keys: ClientKeys, name: str, args: str) -> str:
    """Where a field the planner adds is stored: its name unless the client uses that key."""
    key = name
    while key in keys and keys[key] != (name, args):
        key = "_" + key
    return key


def local(service: str, field: FieldInfo, provided: Provided, type_name: str = "") -> bool:
    if service in field.graphs and service not in field.requires:
        return True
    return provided_field(provided, type_name, field.name) is not None


def candidates(
    types: Types, service: str, type_name: str, name: str, *, itself: bool = False
) -> list[tuple[str, str, FieldInfo]]:
    """(subgraph, entity type to send, field) for each place that can resolve the field.

    `service` itself is a candidate only with `itself` (or for a field it `@requires`).
    """
    info = types[type_name]
    field = info.fields[name]
    found: list[tuple[str, str, FieldInfo]] = []
    for graph in field.graphs:
        if graph != service or itself or graph in field.requires:
            found.append((graph, type_name, field))
    if not field.graphs or field.via_interface_object:
        interfaces = dict.fromkeys(i for v in info.implements.values() for i in v)
        for interface in interfaces:
            interface_info = types[interface]
            interface_field = interface_info.fields.get(name)
            if interface_field is None:
                continue
            for graph in interface_field.graphs:
                if graph in interface_info.interface_object_graphs:
                    found.append((graph, interface, interface_field))
    return [c for c in found if types[c[1]].keys_in(c[0], resolvable_only=True)]


def resolvable_set(
    types: Types, service: str, type_name: str, selection_set: SelectionSetNode
) -> bool:
    """Whether `service` resolves every field of a field set on `type_name` itself."""
    info = types.get(type_name)
    if info is None:
        return False
    for node in selection_set.selections:
        if not isinstance(node, FieldNode):
            return False
        field = info.fields.get(node.name.value)
        if field is None or not local(service, field, None):
            return False
        sub = node.selection_set
        if sub is not None and not resolvable_set(types, service, field.named_type, sub):
            return False
    return True


def copy_required(
    into: Selection, selection_set: SelectionSetNode, keys: ClientKeys, is_key: bool
) -> None:
    for node in selection_set.selections:
        if not isinstance(node, FieldNode):
            if isinstance(node, InlineFragmentNode):
                copy_required(into, node.selection_set, keys, is_key)
            continue
        args = print_arguments(node)
        name = node.name.value
        added = into.add(data_key(keys, name, args), name, args, "", node.selection_set is not None)
        if added is None:
            continue
        added.required_key = added.required_key or is_key
        if node.selection_set is not None and added.sub is not None:
            copy_required(added.sub, node.selection_set, {}, is_key)


def key_field_names(info: TypeInfo, service: str) -> frozenset[str]:
    """Top-level fields of the keys a subgraph has for a type."""
    return frozenset(
        node.name.value
        for key in info.keys_in(service)
        for node in key.selection.selections
        if isinstance(node, FieldNode)
    )
