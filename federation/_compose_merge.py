"""Merge the subgraph models into the supergraph by Apollo Federation v2's rules: this
module drives the run and merges object and interface types; the other kinds are in
`_compose_values`, the linked specifications in `_compose_specs`."""

from __future__ import annotations

from federation._compose_context import MergeContext, Sources, common
from federation._compose_elements import Key, type_name
from federation._compose_fields import merge_field
from federation._compose_interfaces import (
    add_interface_object_fields,
    check_implementations,
    check_interface_keys,
)
from federation._compose_model import subgraph_word
from federation._compose_print import OutSchema, OutType, directive, string
from federation._compose_specs import (
    INACCESSIBLE_DEFINITION,
    JOIN_DEFINITIONS,
    TAG_DEFINITION,
    composed_directives,
    executable_directives,
    link_and_join_types,
)
from federation._compose_values import merge_enum, merge_input, merge_scalar, merge_union


class Merger(MergeContext):
    """Merges sorted subgraph models into an `OutSchema`."""

    def merge(self) -> OutSchema:
        names: list[str] = []
        for sub in self.subs:
            names += [n for n in sub.types if n not in names]
        sources = {n: [(s, s.types[n]) for s in self.subs if n in s.types] for n in names}
        for name in names:
            self._settle_kind(name, sources[name])
            self._check_base(name, sources[name])
        self._collect_usage()
        types: dict[str, OutType] = {}
        for name in names:
            kind = self.kinds.get(name)
            if kind in ("object", "interface"):
                types[name] = self._merge_composite(name, kind, sources[name])
            elif kind == "union":
                types[name] = merge_union(self, name, sources[name])
            elif kind == "enum":
                types[name] = merge_enum(self, name, sources[name])
            elif kind == "input":
                types[name] = merge_input(self, name, sources[name])
            elif kind == "scalar":
                types[name] = merge_scalar(self, name, sources[name])
        add_interface_object_fields(self, types, sources)
        check_interface_keys(self, types, sources)
        check_implementations(self, types, sources)
        roots = [(op, name) for op, name in _ROOTS if name in types]
        if not types["Query"].fields:
            self.issue(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type.",
                [s.name for s in self.subs],
                "Query",
            )
        links = ['@link(url: "https://specs.apollo.dev/link/v1.0")']
        links.append('@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)')
        definitions = dict(JOIN_DEFINITIONS)
        used = {"tag": self.tag, "inaccessible": self.inaccessible}
        # Apollo links features per subgraph, in the federation spec's order (tag first).
        order = [f for sub in self.subs for f in ("tag", "inaccessible") if f in sub.features]
        for feature in dict.fromkeys(order):
            if used[feature]:
                links.append(_FEATURE_LINKS[feature])
                definitions[feature] = _FEATURE_DEFINITIONS[feature]
        composed_links, composed_definitions = composed_directives(self)
        links += composed_links
        definitions.update(composed_definitions)
        definitions.update(executable_directives(self))
        types.update(link_and_join_types(self))
        return OutSchema(links, roots, definitions, types)

    def _settle_kind(self, name: str, sources: Sources) -> None:
        kinds = {
            s.name: "interface" if t.kind == "object" and t.interface_object else t.kind
            for s, t in sources
        }
        if len(set(kinds.values())) > 1:
            by_kind: dict[str, list[str]] = {}
            for sub_name, kind in kinds.items():
                by_kind.setdefault(kind, []).append(sub_name)
            described = "; ".join(
                f"{_KIND_WORDS[kind]} in {subgraph_word(subs)}" for kind, subs in by_kind.items()
            )
            self.issue(
                "TYPE_KIND_MISMATCH",
                f'Type "{name}" has mismatched kind: it is defined as {described}',
                kinds,
                name,
            )
            return
        kind = next(iter(kinds.values()))
        if kind == "interface" and all(t.kind == "object" for _, t in sources):
            self.issue(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'Type "{name}" is declared with @interfaceObject in all the subgraphs in which'
                f" it is defined (it is defined in {subgraph_word(list(kinds))} but should be"
                " defined as an interface in at least one subgraph)",
                kinds,
                name,
            )
            return
        self.kinds[name] = kind
        self.implements[name] = {i for _, t in sources for i in t.interfaces}
        self.members[name] = {m for _, t in sources for m in t.members}

    def _check_base(self, name: str, sources: Sources) -> None:
        """A type only ever written as `extend type` has nothing to extend."""
        if name in dict(_ROOTS).values() or any(t.defined for _, t in sources):
            return
        for sub, _ in sources:
            self.issue(
                "EXTENSION_WITH_NO_BASE",
                f'[{sub.name}] Type "{name}" is an extension type, but there is no type'
                f' definition for "{name}" in any subgraph.',
                [sub.name],
                name,
            )

    def _collect_usage(self) -> None:
        """Where each enum is used, with the first example Apollo would name: types in name
        order, a field's arguments before the field itself."""
        for name in sorted({n for sub in self.subs for n in sub.types}):
            for sub in self.subs:
                type_def = sub.types.get(name)
                if type_def is None:
                    continue
                for field_def in type_def.fields.values():
                    for arg in field_def.args.values():
                        coordinate = f"{field_def.name}({arg.name}:)"
                        self._use(type_name(arg.type), "input", name, coordinate)
                    position = "input" if type_def.kind == "input" else "output"
                    self._use(type_name(field_def.type), position, name, field_def.name)

    def _use(self, name: str, position: str, parent: str, member: str) -> None:
        if self.kinds.get(name) == "enum":
            self.enum_usage.setdefault(name, {}).setdefault(position, f"{parent}.{member}")

    def _merge_composite(self, name: str, kind: str, sources: Sources) -> OutType:
        out = OutType(name, kind, common(t.description for _, t in sources))
        # Apollo merges implementations before anything else, so they print first.
        for sub, t in sources:
            for interface in t.interfaces:
                out.directives.append(
                    directive(
                        "join__implements",
                        ("graph", self.graphs[sub.name]),
                        ("interface", string(interface)),
                    )
                )
                if interface not in out.interfaces:
                    out.interfaces.append(interface)
        for sub, t in sources:
            graph = self.graphs[sub.name]
            marker = "true" if t.interface_object else None
            keys: list[Key | None] = list(t.keys) or [None]
            for key in keys:
                out.directives.append(
                    directive(
                        "join__type",
                        ("graph", graph),
                        ("key", string(key.fields) if key else None),
                        ("extension", "true" if key and (key.extension or t.extends) else None),
                        ("resolvable", "false" if key and not key.resolvable else None),
                        ("isInterfaceObject", marker),
                    )
                )
        out.directives += self.applied(t.applied for _, t in sources)
        field_names = list(dict.fromkeys(f for _, t in sources for f in t.fields))
        for field_name in field_names:
            merged = merge_field(self, name, kind, field_name, sources)
            if merged is not None:
                out.fields.append(merged)
        return out


_FEATURE_LINKS = {
    "tag": '@link(url: "https://specs.apollo.dev/tag/v0.3")',
    "inaccessible": '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
}
_FEATURE_DEFINITIONS = {"tag": TAG_DEFINITION, "inaccessible": INACCESSIBLE_DEFINITION}
_ROOTS = [("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription")]
_KIND_WORDS = {
    "object": "Object Type",
    "interface": "Interface Type",
    "union": "Union Type",
    "enum": "Enum Type",
    "input": "Input Object Type",
    "scalar": "Scalar Type",
}
