"""Read one subgraph's SDL into a model composition can merge: federation directives
resolved through `@link` imports and renames, federation internals stripped, root types
normalised to `Query`/`Mutation`/`Subscription`."""

from __future__ import annotations

from collections.abc import Sequence

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldNode,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
    print_ast,
)
from graphql.language import (
    FieldDefinitionNode,
    InputValueDefinitionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
)

from federation._compose_elements import (
    Applied,
    Arg,
    ComposedDirective,
    EnumValue,
    ExecutableDirective,
    Field,
    Key,
    Kind,
    Subgraph,
    TypeDef,
    type_name,
)
from federation._compose_links import Link, parse_link, string_arg
from federation._compose_model import CompositionIssue, did_you_mean
from federation._compose_print import print_applied, print_value

FEDERATION_SPEC = "https://specs.apollo.dev/federation"
FEDERATION_DIRECTIVES = frozenset(
    {
        "key",
        "external",
        "requires",
        "provides",
        "shareable",
        "override",
        "inaccessible",
        "tag",
        "extends",
        "interfaceObject",
        "composeDirective",
        "authenticated",
        "requiresScopes",
        "policy",
        "context",
        "fromContext",
        "cost",
        "listSize",
    }
)
# Specs whose directives are read as federation directives when linked on their own.
_FEDERATION_LIKE = {
    FEDERATION_SPEC,
    "https://specs.apollo.dev/inaccessible",
    "https://specs.apollo.dev/tag",
}
_INTERNAL_TYPES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet"})
_INTERNAL_PREFIXES = ("federation__", "link__", "join__")
_ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
_BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)
# Directives every GraphQL server (or the gateway) already knows.
_NOT_MERGED = frozenset(
    {"link", "skip", "include", "deprecated", "specifiedBy", "oneOf", "defer", "stream"}
)
_GRAPHQL_DIRECTIVES = frozenset({"skip", "include", "deprecated", "specifiedBy"})
_KIND_NAMES = {
    "object": "ObjectType",
    "interface": "InterfaceType",
    "union": "UnionType",
    "enum": "EnumType",
    "input": "InputObjectType",
    "scalar": "ScalarType",
}
_BUILTIN_APPLIED = frozenset({"deprecated", "specifiedBy"})


def _bool_arg(node: DirectiveNode, name: str, default: bool) -> bool:
    for arg in node.arguments or ():
        if arg.name.value == name:
            return print_ast(arg.value) == "true"
    return default


class _Reader:
    """Walks one parsed subgraph document and builds its `Subgraph` model."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.issues: list[CompositionIssue] = []
        self.links: list[Link] = []
        self.federation_names: dict[str, str] = {}
        self.fed1 = True
        self.composed_names: set[str] = set()
        self.roots: dict[str, str] = {}
        self.internal_prefixes: tuple[str, ...] = _INTERNAL_PREFIXES
        self.features: list[str] = []  # "tag" / "inaccessible", in order of first use
        self.defined_directives: set[str] = set()
        self.unknown_reported: set[str] = set()

    def issue(self, code: str, message: str, coordinate: str | None = None) -> None:
        self.issues.append(CompositionIssue(code, message, (self.name,), coordinate))

    def read(self, sdl: str) -> Subgraph:
        try:
            document = parse(sdl, no_location=True)
        except GraphQLSyntaxError as error:
            self.issue("INVALID_GRAPHQL", f"[{self.name}] Invalid SDL: {error.message}")
            return Subgraph(self.name, self.url, {}, [], {}, {}, self.issues)
        schema_nodes = [
            d
            for d in document.definitions
            if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)
        ]
        self._read_schema(schema_nodes)
        directive_defs = {
            d.name.value: d for d in document.definitions if isinstance(d, DirectiveDefinitionNode)
        }
        composed = self._read_composed(schema_nodes, directive_defs)
        self.defined_directives = set(directive_defs) | _GRAPHQL_DIRECTIVES
        defined = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
        for original, root in list(self.roots.items()):
            if original != root and root in defined:
                self.issue(
                    f"ROOT_{root.upper()}_USED",
                    f'[{self.name}] The schema has a type named "{root}" but it is not set as'
                    f' the {root.lower()} root type ("{original}" is instead)',
                    root,
                )
                del self.roots[original]
        types: dict[str, TypeDef] = {}
        for definition in document.definitions:
            if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                self._read_type(definition, types)
        types.setdefault("Query", TypeDef("Query", "object"))
        query = types["Query"]
        for internal in ("_service", "_entities"):
            query.fields.pop(internal, None)
        _drop_key_externals(types)
        if self.fed1:
            _upgrade_fed1(types)
        self._check_references(types)
        executable = {
            name: ExecutableDirective(
                name,
                definition.description.value if definition.description else None,
                self._read_args(definition.arguments),
                sorted(
                    loc.value for loc in definition.locations if loc.value in EXECUTABLE_LOCATIONS
                ),
                definition.repeatable,
            )
            for name, definition in directive_defs.items()
            if name not in self.federation_names
            and name not in _NOT_MERGED
            and any(loc.value in EXECUTABLE_LOCATIONS for loc in definition.locations)
        }
        return Subgraph(
            self.name, self.url, types, self.links, composed, executable, self.issues, self.features
        )

    def _check_references(self, types: dict[str, TypeDef]) -> None:
        """Every type a subgraph names must be defined in it (or be built in)."""
        for type_def in types.values():
            named = [(i, type_def.name) for i in type_def.interfaces]
            named += [(m, type_def.name) for m in type_def.members]
            for field_def in type_def.fields.values():
                coordinate = f"{type_def.name}.{field_def.name}"
                named.append((type_name(field_def.type), coordinate))
                named += [
                    (type_name(a.type), f"{coordinate}({a.name}:)") for a in field_def.args.values()
                ]
            for interface in type_def.interfaces:
                found = types.get(interface)
                if found is not None and (found.kind != "interface" or found.interface_object):
                    self.issue(
                        "INVALID_GRAPHQL",
                        f"[{self.name}] Cannot implement non-interface type {interface} (of"
                        f" type {_KIND_NAMES[found.kind]})",
                        type_def.name,
                    )
            for member in type_def.members:
                found = types.get(member)
                if found is not None and (found.kind != "object" or found.interface_object):
                    self.issue(
                        "INVALID_GRAPHQL",
                        f'[{self.name}] Union type "{type_def.name}" can only include object'
                        f' types, not "{member}"',
                        type_def.name,
                    )
            for name, where in named:
                if name not in types and name not in _BUILTIN_SCALARS:
                    self.issue(
                        "INVALID_GRAPHQL",
                        f'[{self.name}] Unknown type "{name}" referenced by "{where}"',
                        where,
                    )

    def _read_schema(self, nodes: Sequence[SchemaDefinitionNode | SchemaExtensionNode]) -> None:
        for node in nodes:
            for directive in node.directives or ():
                if directive.name.value == "link":
                    link = parse_link(directive)
                    if link is not None:
                        self.links.append(link)
            for op in node.operation_types or ():
                self.roots[op.type.name.value] = _ROOT_NAMES[op.operation.value]
        for link in self.links:
            if link.identity not in _FEDERATION_LIKE:
                continue
            if link.identity == FEDERATION_SPEC:
                self.fed1 = False
            self.internal_prefixes += (f"{link.prefix}__",)
            for local, original in link.imports.items():
                self.federation_names[local] = original
            for known in FEDERATION_DIRECTIVES - set(link.imports.values()):
                # Only what is not imported is reachable under the spec's prefix.
                self.federation_names.setdefault(f"{link.prefix}__{known}", known)
        if self.fed1:
            for known in FEDERATION_DIRECTIVES:
                self.federation_names.setdefault(known, known)

    def _read_composed(
        self,
        nodes: Sequence[SchemaDefinitionNode | SchemaExtensionNode],
        defs: dict[str, DirectiveDefinitionNode],
    ) -> dict[str, ComposedDirective]:
        composed: dict[str, ComposedDirective] = {}
        for node in nodes:
            for directive in node.directives or ():
                if self.federation_names.get(directive.name.value) != "composeDirective":
                    continue
                local = (string_arg(directive, "name") or "").lstrip("@")
                link = self._link_of(local)
                if local in self.federation_names or local in ("link", "deprecated"):
                    self.issue(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'[{self.name}] Directive "@{local}" is a built-in or federation'
                        " directive and cannot be listed in @composeDirective",
                    )
                elif link is None:
                    self.issue(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'[{self.name}] Directive "@{local}" cannot be composed because it is'
                        " not imported by any @link",
                    )
                elif local not in defs:
                    self.issue(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'[{self.name}] Directive "@{local}" is listed in @composeDirective'
                        " but has no definition",
                    )
                else:
                    definition = defs[local]
                    composed[local] = ComposedDirective(
                        local,
                        link,
                        definition.description.value if definition.description else None,
                        self._read_args(definition.arguments),
                        [loc.value for loc in definition.locations],
                        definition.repeatable,
                    )
        self.composed_names = set(composed)
        return composed

    def _link_of(self, local: str) -> Link | None:
        for link in self.links:
            if link.identity in _FEDERATION_LIKE:
                continue
            if local in link.imports or local.startswith(f"{link.prefix}__"):
                return link
        return None

    def _root(self, name: str) -> str:
        return self.roots.get(name, name)

    def _type_ref(self, node: object) -> str:
        printed = print_ast(node)  # type: ignore[arg-type]
        named = type_name(printed)
        return printed.replace(named, self._root(named)) if named in self.roots else printed

    def _applied(
        self, directives: tuple[DirectiveNode, ...] | None
    ) -> tuple[Applied, dict[str, DirectiveNode]]:
        """Split applications into kept ones and federation ones (by canonical name)."""
        applied = Applied()
        federation: dict[str, DirectiveNode] = {}
        for directive in directives or ():
            name = directive.name.value
            canonical = self.federation_names.get(name)
            if canonical in ("inaccessible", "tag") and canonical not in self.features:
                self.features.append(canonical)
            if canonical == "inaccessible":
                applied.inaccessible = True
            elif canonical == "tag":
                value = next(
                    (a.value for a in directive.arguments or () if a.name.value == "name"), None
                )
                if value is not None:
                    applied.kept.append(("tag", f"@tag(name: {print_value(value)})"))
            elif canonical is not None:
                federation.setdefault(canonical, directive)
            elif name in self.composed_names or name in _BUILTIN_APPLIED:
                applied.kept.append((name, print_applied(directive)))
            elif name not in self.defined_directives and name not in self.unknown_reported:
                self.unknown_reported.add(name)
                known = [n for n in self.federation_names if "__" not in n]
                hint = did_you_mean(name, [*known, *self.defined_directives])
                self.issue("INVALID_GRAPHQL", f'[{self.name}] Unknown directive "@{name}".{hint}')
        return applied, federation

    def _read_type(
        self, node: TypeDefinitionNode | TypeExtensionNode, types: dict[str, TypeDef]
    ) -> None:
        name = node.name.value
        if name in _INTERNAL_TYPES or name.startswith(self.internal_prefixes):
            return
        name = self._root(name)
        kind = _kind(node)
        existing = types.get(name)
        if existing is None:
            existing = types[name] = TypeDef(name, kind)
        elif existing.kind != kind:
            self.issue(
                "TYPE_KIND_MISMATCH",
                f'[{self.name}] Type "{name}" is defined both as {existing.kind} and as {kind}',
                name,
            )
            return
        is_extension = isinstance(node, TypeExtensionNode)
        if existing.defined and not is_extension:
            self.issue(
                "INVALID_GRAPHQL", f'[{self.name}] There can be only one type named "{name}".'
            )
        existing.defined |= not is_extension
        if not is_extension:
            description = getattr(node, "description", None)
            if description is not None:
                existing.description = description.value
        applied, federation = self._applied(node.directives)
        existing.applied.inaccessible |= applied.inaccessible
        existing.applied.kept += applied.kept
        existing.extends |= "extends" in federation
        existing.interface_object |= "interfaceObject" in federation
        for directive in node.directives or ():
            if self.federation_names.get(directive.name.value) == "key":
                existing.keys.append(
                    Key(
                        string_arg(directive, "fields") or "",
                        _bool_arg(directive, "resolvable", True),
                        is_extension,
                    )
                )
        block_shareable = "shareable" in federation
        block_external = "external" in federation
        for interface in getattr(node, "interfaces", None) or ():
            if interface.name.value not in existing.interfaces:
                existing.interfaces.append(interface.name.value)
        for member in getattr(node, "types", None) or ():
            if member.name.value not in existing.members:
                existing.members.append(member.name.value)
        for value in getattr(node, "values", None) or ():
            value_applied, _ = self._applied(value.directives)
            description = value.description.value if value.description else None
            if value.name.value in existing.values:
                self.issue(
                    "INVALID_GRAPHQL",
                    f'[{self.name}] Enum value "{name}.{value.name.value}" can only be defined'
                    " once.",
                )
            existing.values[value.name.value] = EnumValue(
                value.name.value, description, value_applied
            )
        for field_node in getattr(node, "fields", None) or ():
            read = self._read_field(field_node)
            read.shareable |= block_shareable
            read.external |= block_external
            if read.name in existing.fields:
                self.issue(
                    "INVALID_GRAPHQL", f"[{self.name}] Field {read.name} already exists on {name}"
                )
            existing.fields[read.name] = read

    def _read_args(self, nodes: Sequence[InputValueDefinitionNode] | None) -> dict[str, Arg]:
        args: dict[str, Arg] = {}
        for arg in nodes or ():
            arg_applied, _ = self._applied(arg.directives)
            args[arg.name.value] = Arg(
                arg.name.value,
                self._type_ref(arg.type),
                arg.description.value if arg.description else None,
                print_value(arg.default_value) if arg.default_value else None,
                arg_applied,
            )
        return args

    def _read_field(self, node: FieldDefinitionNode | InputValueDefinitionNode) -> Field:
        applied, federation = self._applied(node.directives)
        args = self._read_args(getattr(node, "arguments", None))
        default = getattr(node, "default_value", None)
        result = Field(
            node.name.value,
            self._type_ref(node.type),
            node.description.value if node.description else None,
            args,
            applied,
            external="external" in federation,
            shareable="shareable" in federation,
            default=print_value(default) if default is not None else None,
        )
        if "requires" in federation:
            result.requires = string_arg(federation["requires"], "fields")
        if "provides" in federation:
            result.provides = string_arg(federation["provides"], "fields")
        if "override" in federation:
            result.override = string_arg(federation["override"], "from")
            result.override_label = string_arg(federation["override"], "label")
        return result


def _upgrade_fed1(types: dict[str, TypeDef]) -> None:
    """Read a Federation 1 subgraph (no federation `@link`) with Federation 2 meaning:
    Federation 1 shared value types freely, Federation 2 says so with `@shareable`; its
    type extensions are plain definitions (Apollo's upgrade drops the extension flag)."""
    for type_def in types.values():
        type_def.extends = False
        for key in type_def.keys:
            key.extension = False
        value_type = type_def.kind == "object" and not type_def.keys
        if value_type and type_def.name not in _ROOT_NAMES.values():
            for value_field in type_def.fields.values():
                value_field.shareable = True


def _drop_key_externals(types: dict[str, TypeDef]) -> None:
    """Key fields of a type extension marked `@external` are not external: the subgraph
    receives them in every representation (the Federation 1 way of writing an entity)."""
    for type_def in types.values():
        for key in type_def.keys:
            if key.extension or type_def.extends:
                for name in _top_level_names(key.fields):
                    if name in type_def.fields:
                        type_def.fields[name].external = False


def _top_level_names(field_set: str) -> list[str]:
    try:
        operation = parse("{" + field_set + "}", no_location=True).definitions[0]
    except GraphQLSyntaxError:
        return []
    selections = getattr(getattr(operation, "selection_set", None), "selections", ())
    return [s.name.value for s in selections if isinstance(s, FieldNode)]


def _kind(node: TypeDefinitionNode | TypeExtensionNode) -> Kind:
    kinds: list[tuple[tuple[type, ...], Kind]] = [
        ((ObjectTypeDefinitionNode, ObjectTypeExtensionNode), "object"),
        ((InterfaceTypeDefinitionNode, InterfaceTypeExtensionNode), "interface"),
        ((UnionTypeDefinitionNode, UnionTypeExtensionNode), "union"),
        ((EnumTypeDefinitionNode, EnumTypeExtensionNode), "enum"),
        ((InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode), "input"),
        ((ScalarTypeDefinitionNode, ScalarTypeExtensionNode), "scalar"),
    ]
    for classes, kind in kinds:
        if isinstance(node, classes):
            return kind
    raise TypeError(f"unexpected type node {type(node).__name__}")


def read_subgraph(name: str, url: str, sdl: str) -> Subgraph:
    """Parse one subgraph's SDL; problems found are in the result's `.issues`."""
    return _Reader(name, url).read(sdl)
