"""Read a join-spec v0.3 supergraph into a frozen model and derive the API schema."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationType,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    build_ast_schema,
    parse,
    print_ast,
)

from federation._supergraph_api import api_document_of, has_directive, is_spec_type, named_type


class SupergraphError(ValueError):
    """The supergraph SDL is not a join-spec supergraph this gateway can read."""


@dataclass(frozen=True, slots=True)
class Key:
    """One `@key` of an entity in one subgraph."""

    graph: str
    fields: str
    selection: SelectionSetNode
    resolvable: bool


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A field of a composite type and how subgraphs resolve it."""

    name: str
    type: str
    named_type: str
    graphs: tuple[str, ...]
    external: frozenset[str]
    requires: Mapping[str, str]
    provides: Mapping[str, str]
    overrides: Mapping[str, str]
    graph_types: Mapping[str, str]
    inaccessible: bool
    via_interface_object: bool


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A named type of the supergraph and where each subgraph defines it."""

    name: str
    kind: str
    graphs: tuple[str, ...]
    keys: tuple[Key, ...]
    interface_object_graphs: frozenset[str]
    fields: Mapping[str, FieldInfo]
    implements: Mapping[str, tuple[str, ...]]
    members: Mapping[str, tuple[str, ...]]
    enum_values: Mapping[str, tuple[str, ...]]
    inaccessible: bool

    def keys_in(self, graph: str, *, resolvable_only: bool = False) -> tuple[Key, ...]:
        return tuple(
            k for k in self.keys if k.graph == graph and (k.resolvable or not resolvable_only)
        )


@dataclass(frozen=True)
class Supergraph:
    """The frozen model of a supergraph: types, owners per subgraph and the API schema."""

    types: Mapping[str, TypeInfo]
    subgraph_urls: dict[str, str]
    api_schema: GraphQLSchema
    api_sdl: str
    root_types: Mapping[str, str]
    possible: Mapping[str, tuple[str, ...]]
    graph_possible: Mapping[tuple[str, str], tuple[str, ...]]
    directives_by_field: Mapping[tuple[str, str], tuple[DirectiveNode, ...]] = field(repr=False)

    def field_directives(self, type_name: str, field_name: str) -> tuple[DirectiveNode, ...]:
        """Composed custom directives applied to `type_name.field_name`."""
        return self.directives_by_field.get((type_name, field_name), ())

    def possible_types(self, type_name: str) -> tuple[str, ...]:
        """Object types a value of `type_name` can have (itself for an object type)."""
        return self.possible.get(type_name, (type_name,))

    def possible_types_in(self, graph: str, type_name: str) -> tuple[str, ...]:
        """Object types a value of `type_name` can have when `graph` returns it."""
        return self.graph_possible.get((graph, type_name), ())


def parse_supergraph(sdl: str) -> Supergraph:
    """Read a join-spec v0.3 supergraph SDL."""
    try:
        document = parse(sdl)
    except Exception as exc:
        raise SupergraphError(f"supergraph SDL does not parse: {exc}") from exc
    graph_names, urls = _read_graphs(document)
    inaccessible = _spec_local_names(document).get("inaccessible", "inaccessible")
    types: dict[str, TypeInfo] = {}
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode) and not is_spec_type(definition.name.value):
            info = _read_type(definition, graph_names, inaccessible)
            types[info.name] = info
    root_types = _root_types(document)
    if "query" not in root_types or root_types["query"] not in types:
        raise SupergraphError("supergraph has no query type")
    possible = _possible_types(types)
    graph_possible = _graph_possible_types(types, tuple(urls))
    hidden_types = {name for name, info in types.items() if info.inaccessible}
    owners = {(t.name, f.name): f.graphs for t in types.values() for f in t.fields.values()}
    api_document, by_field = api_document_of(document, hidden_types, owners, inaccessible)
    try:
        api_schema = build_ast_schema(api_document)
    except Exception as exc:
        raise SupergraphError(f"API schema does not build: {exc}") from exc
    return Supergraph(
        types=types,
        subgraph_urls=urls,
        api_schema=api_schema,
        api_sdl=print_ast(api_document) + "\n",
        root_types=root_types,
        possible=possible,
        graph_possible=graph_possible,
        directives_by_field=by_field,
    )


@functools.lru_cache(maxsize=4096)
def parse_field_set(fields: str) -> SelectionSetNode:
    """Parse a `FieldSet` string (as in `@key(fields: ...)`) into a selection set."""
    operation = parse("{" + fields + "}", no_location=True).definitions[0]
    return operation.selection_set  # type: ignore[attr-defined, no-any-return]


def type_string(node: TypeNode) -> str:
    if isinstance(node, NonNullTypeNode):
        return type_string(node.type) + "!"
    if isinstance(node, ListTypeNode):
        return "[" + type_string(node.type) + "]"
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def _args(directive: DirectiveNode) -> dict[str, ValueNode]:
    return {a.name.value: a.value for a in directive.arguments or ()}


def _str(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _bool(value: ValueNode | None, default: bool) -> bool:
    return value.value if isinstance(value, BooleanValueNode) else default


def _enum(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, EnumValueNode) else None


def _spec_local_names(document: DocumentNode) -> dict[str, str]:
    """Spec name → the local name the supergraph uses for it (`@link(as: ...)`)."""
    names: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            for directive in definition.directives or ():
                if directive.name.value != "link":
                    continue
                args = _args(directive)
                url = _str(args.get("url")) or ""
                match = re.search(r"/([A-Za-z_]+)/v[0-9.]+/?$", url)
                if match:
                    names[match.group(1)] = _str(args.get("as")) or match.group(1)
    return names


def _read_graphs(document: DocumentNode) -> tuple[dict[str, str], dict[str, str]]:
    for definition in document.definitions:
        if (
            isinstance(definition, EnumTypeDefinitionNode)
            and definition.name.value == "join__Graph"
        ):
            names: dict[str, str] = {}
            urls: dict[str, str] = {}
            for value in definition.values or ():
                for directive in value.directives or ():
                    if directive.name.value == "join__graph":
                        args = _args(directive)
                        name = _str(args.get("name")) or value.name.value.lower()
                        names[value.name.value] = name
                        urls[name] = _str(args.get("url")) or ""
            return names, urls
    raise SupergraphError("supergraph has no `enum join__Graph`")


_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "OBJECT",
    ObjectTypeExtensionNode: "OBJECT",
    InterfaceTypeDefinitionNode: "INTERFACE",
    InterfaceTypeExtensionNode: "INTERFACE",
    UnionTypeDefinitionNode: "UNION",
    UnionTypeExtensionNode: "UNION",
    EnumTypeDefinitionNode: "ENUM",
    EnumTypeExtensionNode: "ENUM",
    InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    InputObjectTypeExtensionNode: "INPUT_OBJECT",
    ScalarTypeDefinitionNode: "SCALAR",
}


def _graph(args: Mapping[str, ValueNode], names: Mapping[str, str]) -> str | None:
    value = _enum(args.get("graph"))
    if value is None:
        return None
    if value not in names:
        raise SupergraphError(f"unknown join__Graph value {value}")
    return names[value]


def _read_type(definition: TypeDefinitionNode, names: Mapping[str, str], hidden: str) -> TypeInfo:
    kind = _KINDS.get(type(definition), "SCALAR")
    graphs: list[str] = []
    keys: list[Key] = []
    interface_objects: set[str] = set()
    implements: dict[str, list[str]] = {}
    members: dict[str, list[str]] = {}
    for directive in definition.directives or ():
        args = _args(directive)
        if directive.name.value == "join__type":
            graph = _graph(args, names)
            if graph is None:
                continue
            if graph not in graphs:
                graphs.append(graph)
            key = _str(args.get("key"))
            if key is not None:
                keys.append(
                    Key(graph, key, parse_field_set(key), _bool(args.get("resolvable"), True))
                )
            if _bool(args.get("isInterfaceObject"), False):
                interface_objects.add(graph)
        elif directive.name.value == "join__implements":
            graph = _graph(args, names)
            if graph is not None:
                implements.setdefault(graph, []).append(_str(args.get("interface")) or "")
        elif directive.name.value == "join__unionMember":
            graph = _graph(args, names)
            if graph is not None:
                members.setdefault(graph, []).append(_str(args.get("member")) or "")
    enum_values: dict[str, tuple[str, ...]] = {}
    if isinstance(definition, EnumTypeDefinitionNode):
        for value in definition.values or ():
            owners = [
                g
                for d in value.directives or ()
                if d.name.value == "join__enumValue" and (g := _graph(_args(d), names)) is not None
            ]
            enum_values[value.name.value] = tuple(owners or graphs)
    fields: dict[str, FieldInfo] = {}
    for node in getattr(definition, "fields", None) or ():
        if isinstance(node, FieldDefinitionNode):
            fields[node.name.value] = _read_field(node, tuple(graphs), names, hidden)
    return TypeInfo(
        name=definition.name.value,
        kind=kind,
        graphs=tuple(graphs),
        keys=tuple(keys),
        interface_object_graphs=frozenset(interface_objects),
        fields=fields,
        implements={g: tuple(v) for g, v in implements.items()},
        members={g: tuple(v) for g, v in members.items()},
        enum_values=enum_values,
        inaccessible=has_directive(definition, hidden),
    )


def _read_field(
    node: FieldDefinitionNode, type_graphs: tuple[str, ...], names: Mapping[str, str], hidden: str
) -> FieldInfo:
    joins = [_args(d) for d in node.directives or () if d.name.value == "join__field"]
    resolving: list[str] = []
    external: set[str] = set()
    requires: dict[str, str] = {}
    provides: dict[str, str] = {}
    overrides: dict[str, str] = {}
    graph_types: dict[str, str] = {}
    via_interface_object = bool(joins) and all(_graph(a, names) is None for a in joins)
    for args in joins:
        graph = _graph(args, names)
        if graph is None:
            continue
        if declared := _str(args.get("type")):
            graph_types[graph] = declared
        if _bool(args.get("external"), False):
            external.add(graph)
            continue
        if _bool(args.get("usedOverridden"), False):
            continue
        resolving.append(graph)
        if value := _str(args.get("requires")):
            requires[graph] = value
        if value := _str(args.get("provides")):
            provides[graph] = value
        if value := _str(args.get("override")):
            overrides[graph] = value
    if not joins:
        resolving = list(type_graphs)
    return FieldInfo(
        name=node.name.value,
        type=type_string(node.type),
        named_type=named_type(node.type),
        graphs=tuple(resolving),
        external=frozenset(external),
        requires=requires,
        provides=provides,
        overrides=overrides,
        graph_types=graph_types,
        inaccessible=has_directive(node, hidden),
        via_interface_object=via_interface_object,
    )


def _root_types(document: DocumentNode) -> dict[str, str]:
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            return {
                op.operation.value: op.type.name.value for op in definition.operation_types or ()
            }
    names = {d.name.value for d in document.definitions if isinstance(d, ObjectTypeDefinitionNode)}
    return {
        op.value: name
        for op, name in (
            (OperationType.QUERY, "Query"),
            (OperationType.MUTATION, "Mutation"),
            (OperationType.SUBSCRIPTION, "Subscription"),
        )
        if name in names
    }


def _possible_types(types: Mapping[str, TypeInfo]) -> dict[str, tuple[str, ...]]:
    possible: dict[str, list[str]] = {}
    for info in types.values():
        if info.kind == "OBJECT":
            possible.setdefault(info.name, []).append(info.name)
            for interfaces in _all_interfaces(info):
                possible.setdefault(interfaces, []).append(info.name)
        elif info.kind == "UNION":
            seen = dict.fromkeys(m for ms in info.members.values() for m in ms)
            possible.setdefault(info.name, []).extend(seen)
    return {k: tuple(dict.fromkeys(v)) for k, v in possible.items()}


def _all_interfaces(info: TypeInfo) -> list[str]:
    return list(dict.fromkeys(i for values in info.implements.values() for i in values))


def _graph_possible_types(
    types: Mapping[str, TypeInfo], graphs: tuple[str, ...]
) -> dict[tuple[str, str], tuple[str, ...]]:
    result: dict[tuple[str, str], list[str]] = {}
    for info in types.values():
        if info.kind == "OBJECT":
            for graph in info.graphs:
                result.setdefault((graph, info.name), []).append(info.name)
                for interface in info.implements.get(graph, ()):
                    result.setdefault((graph, interface), []).append(info.name)
        elif info.kind == "UNION":
            for graph, members in info.members.items():
                result.setdefault((graph, info.name), []).extend(members)
    return {k: tuple(v) for k, v in result.items() if k[0] in graphs}
