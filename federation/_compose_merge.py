"""Merge the subgraph models into the supergraph by Apollo Federation v2's rules."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from graphql import print_ast

from federation._compose_fieldsets import FieldSetUse
from federation._compose_model import CompositionIssue, quote_list, subgraph_word
from federation._compose_print import (
    OutArg,
    OutField,
    OutSchema,
    OutType,
    OutValue,
    directive,
    string,
)
from federation._compose_subgraph import (
    Applied,
    Arg,
    ComposedDirective,
    Field,
    Key,
    Subgraph,
    TypeDef,
    type_name,
)
from federation._compose_types import merge_refs

Sources = list[tuple[Subgraph, TypeDef]]

_JOIN_DEFINITIONS = {
    "join__enumValue": "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
    "join__field": (
        "directive @join__field(graph: join__Graph, requires: join__FieldSet, provides:"
        " join__FieldSet, type: String, external: Boolean, override: String, usedOverridden:"
        " Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION"
    ),
    "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
    "join__implements": (
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on"
        " OBJECT | INTERFACE"
    ),
    "join__type": (
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! ="
        " false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable"
        " on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR"
    ),
    "join__unionMember": (
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION"
    ),
    "link": (
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])"
        " repeatable on SCHEMA"
    ),
}
_INACCESSIBLE_DEFINITION = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION |"
    " ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_TAG_DEFINITION = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION"
    " | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
    " | SCHEMA"
)
_PURPOSE_SECURITY = "`SECURITY` features provide metadata necessary to securely resolve fields."
_PURPOSE_EXECUTION = "`EXECUTION` features provide metadata necessary for operation execution."


def graph_names(names: Iterable[str]) -> dict[str, str]:
    """Subgraph name -> `join__Graph` value: upper-cased, non-alphanumerics as `_`."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names):
        base = re.sub(r"[^A-Za-z0-9]", "_", name).upper()
        if not base or base[0].isdigit():
            base = "_" + base
        candidate, n = base, 1
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        result[name] = candidate
    return result


def _common(values: Iterable[str | None]) -> str | None:
    """The value most subgraphs agree on (first seen wins a tie), ignoring missing ones."""
    counts = Counter(v for v in values if v is not None)
    return max(counts, key=lambda v: counts[v]) if counts else None


class Merger:
    """Merges sorted subgraph models; `.issues` collects every problem met on the way."""

    def __init__(self, subgraphs: list[Subgraph], uses: dict[str, FieldSetUse]) -> None:
        self.subs = subgraphs
        self.uses = uses
        self.graphs = graph_names(s.name for s in subgraphs)
        self.issues: list[CompositionIssue] = []
        self.kinds: dict[str, str] = {}
        self.implements: dict[str, set[str]] = {}
        self.members: dict[str, set[str]] = {}
        self.enum_usage: dict[str, dict[str, str]] = {}
        self.inaccessible = False
        self.tag = False
        self.resolvers: dict[tuple[str, str], set[str]] = {}

    def issue(self, code: str, message: str, subs: Iterable[str], coordinate: str | None) -> None:
        self.issues.append(CompositionIssue(code, message, tuple(sorted(set(subs))), coordinate))

    # --- whole schema -------------------------------------------------------------------

    def merge(self) -> OutSchema:
        names: list[str] = []
        for sub in self.subs:
            names += [n for n in sub.types if n not in names]
        sources = {n: [(s, s.types[n]) for s in self.subs if n in s.types] for n in names}
        for name in names:
            self._settle_kind(name, sources[name])
        self._collect_usage()
        types: dict[str, OutType] = {}
        for name in names:
            kind = self.kinds.get(name)
            if kind in ("object", "interface"):
                types[name] = self._merge_composite(name, kind, sources[name])
            elif kind == "union":
                types[name] = self._merge_union(name, sources[name])
            elif kind == "enum":
                types[name] = self._merge_enum(name, sources[name])
            elif kind == "input":
                types[name] = self._merge_input(name, sources[name])
            elif kind == "scalar":
                types[name] = self._merge_scalar(name, sources[name])
        self._add_interface_object_fields(types, sources)
        roots = [(op, name) for op, name in _ROOTS if name in types]
        links = ['@link(url: "https://specs.apollo.dev/link/v1.0")']
        links.append('@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)')
        definitions = dict(_JOIN_DEFINITIONS)
        if self.inaccessible:
            links.append('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)')
            definitions["inaccessible"] = _INACCESSIBLE_DEFINITION
        if self.tag:
            links.append('@link(url: "https://specs.apollo.dev/tag/v0.3")')
            definitions["tag"] = _TAG_DEFINITION
        composed_links, composed_definitions = self._composed_directives()
        links += composed_links
        definitions.update(composed_definitions)
        types.update(self._link_and_join_types())
        return OutSchema(links, roots, definitions, types)

    def _link_and_join_types(self) -> dict[str, OutType]:
        graph = OutType("join__Graph", "enum")
        for sub in self.subs:
            graph.values.append(
                OutValue(
                    self.graphs[sub.name],
                    directives=[
                        directive(
                            "join__graph", ("name", string(sub.name)), ("url", string(sub.url))
                        )
                    ],
                )
            )
        purpose = OutType("link__Purpose", "enum")
        purpose.values = [
            OutValue("SECURITY", _PURPOSE_SECURITY),
            OutValue("EXECUTION", _PURPOSE_EXECUTION),
        ]
        return {
            "join__FieldSet": OutType("join__FieldSet", "scalar"),
            "join__Graph": graph,
            "link__Import": OutType("link__Import", "scalar"),
            "link__Purpose": purpose,
        }

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
                f'Type "{name}" is declared with @interfaceObject in '
                f"{subgraph_word(list(kinds))} but is not defined as an interface in any"
                " subgraph",
                kinds,
                name,
            )
            return
        self.kinds[name] = kind
        self.implements[name] = {i for _, t in sources for i in t.interfaces}
        self.members[name] = {m for _, t in sources for m in t.members}

    def _collect_usage(self) -> None:
        for sub in self.subs:
            for type_def in sub.types.values():
                for field_def in type_def.fields.values():
                    position = "input" if type_def.kind == "input" else "output"
                    self._use(type_name(field_def.type), position, type_def.name, field_def.name)
                    for arg in field_def.args.values():
                        coordinate = f"{field_def.name}({arg.name}:)"
                        self._use(type_name(arg.type), "input", type_def.name, coordinate)

    def _use(self, name: str, position: str, parent: str, member: str) -> None:
        if self.kinds.get(name) == "enum":
            self.enum_usage.setdefault(name, {}).setdefault(position, f"{parent}.{member}")

    def is_subtype(self, sub: str, sup: str) -> bool:
        seen: set[str] = set()
        stack = [sub]
        while stack:
            current = stack.pop()
            for interface in self.implements.get(current, ()):
                if interface == sup:
                    return True
                if interface not in seen:
                    seen.add(interface)
                    stack.append(interface)
        return self.kinds.get(sup) == "union" and sub in self.members.get(sup, ())

    def _applied(self, applied: Iterable[Applied]) -> list[str]:
        items = list(applied)
        out: list[str] = []
        if any(a.inaccessible for a in items):
            self.inaccessible = True
            out.append("@inaccessible")
        tags = list(dict.fromkeys(tag for a in items for tag in a.tags))
        if tags:
            self.tag = True
            out += [directive("tag", ("name", string(tag))) for tag in tags]
        printed = [print_ast(node) for a in items for node in a.custom]
        return out + list(dict.fromkeys(printed))

    # --- objects and interfaces ----------------------------------------------------------

    def _merge_composite(self, name: str, kind: str, sources: Sources) -> OutType:
        out = OutType(name, kind, _common(t.description for _, t in sources))
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
        out.directives += self._applied(t.applied for _, t in sources)
        field_names = list(dict.fromkeys(f for _, t in sources for f in t.fields))
        for field_name in field_names:
            merged = self._merge_field(name, kind, field_name, sources)
            if merged is not None:
                out.fields.append(merged)
        return out

    def _overrides(
        self, parent: str, name: str, present: list[tuple[Subgraph, Field]]
    ) -> tuple[set[str], set[str]]:
        """Apply `@override`: the subgraphs whose field is dropped, and those kept as used."""
        coordinate = f"{parent}.{name}"
        dropped: set[str] = set()
        used: set[str] = set()
        overriders = [(s, f) for s, f in present if f.override is not None]
        if len(overriders) > 1:
            self.issue(
                "OVERRIDE_SOURCE_HAS_OVERRIDE",
                f'Field "{coordinate}" on {subgraph_word([s.name for s, _ in overriders])}'
                " is marked with @override in more than one subgraph; only one subgraph can"
                " take it over",
                [s.name for s, _ in overriders],
                coordinate,
            )
        for sub, field_def in overriders:
            origin = field_def.override or ""
            if field_def.override_label is not None:
                self.issue(
                    "OVERRIDE_LABEL_INVALID",
                    f'Field "{coordinate}" on subgraph "{sub.name}" uses a progressive'
                    " @override label, which join v0.3 supergraphs cannot express",
                    [sub.name],
                    coordinate,
                )
            if field_def.external:
                self.issue(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'@override cannot be used on field "{coordinate}" on subgraph'
                    f' "{sub.name}" since "{coordinate}" on "{sub.name}" is marked with'
                    " directive @external",
                    [sub.name],
                    coordinate,
                )
                continue
            if origin == sub.name:
                self.issue(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'Source and destination subgraphs "{sub.name}" are the same for'
                    f' overridden field "{coordinate}"',
                    [sub.name],
                    coordinate,
                )
                continue
            for other, other_field in present:
                if other.name != origin or other_field.external:
                    continue
                if other_field.override is not None:
                    self.issue(
                        "OVERRIDE_SOURCE_HAS_OVERRIDE",
                        f'Field "{coordinate}" on subgraph "{sub.name}" is also marked with'
                        f' directive @override in subgraph "{origin}". Only one @override'
                        " directive is allowed per field.",
                        [sub.name, origin],
                        coordinate,
                    )
                    continue
                use = self.uses[origin]
                if (parent, name) in use.by_key | use.by_requires:
                    used.add(origin)
                else:
                    dropped.add(origin)
        return dropped, used

    def _merge_field(self, parent: str, kind: str, name: str, sources: Sources) -> OutField | None:
        coordinate = f"{parent}.{name}"
        present = [(s, t.fields[name]) for s, t in sources if name in t.fields]
        dropped, used_overridden = self._overrides(parent, name, present)
        present = [(s, f) for s, f in present if s.name not in dropped]
        refs = [f.type for _, f in present]
        merged_type = merge_refs(refs, output=True, is_subtype=self.is_subtype)
        if merged_type is None:
            self._type_mismatch("FIELD_TYPE_MISMATCH", f'field "{coordinate}"', present)
            merged_type = refs[0]
        names = [s.name for s, _ in present]
        if kind == "object" and all(f.external for _, f in present):
            self.issue(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{coordinate}" is marked @external on all the subgraphs in which it is'
                f" listed ({subgraph_word(names)}).",
                names,
                coordinate,
            )
        if kind == "object" and parent != "Subscription":
            self._check_sharing(parent, name, present, used_overridden)
        self.resolvers[(parent, name)] = {
            s.name for s, f in present if not f.external and s.name not in used_overridden
        }
        arg_sources = [(s, f) for s, f in present if not f.external] or present
        out = OutField(
            name,
            merged_type,
            _common(f.description for _, f in present),
            self._merge_args(coordinate, arg_sources),
            directives=[],
        )
        holders = {s.name for s, _ in sources}
        needs_join = (
            len(set(refs)) > 1
            or bool(used_overridden)
            or any(f.override or f.external or f.requires or f.provides for _, f in present)
            or holders != set(names)
        )
        if needs_join:
            for sub, f in present:
                out.directives.append(
                    directive(
                        "join__field",
                        ("graph", self.graphs[sub.name]),
                        ("requires", string(f.requires) if f.requires else None),
                        ("provides", string(f.provides) if f.provides else None),
                        ("type", string(f.type) if len(set(refs)) > 1 else None),
                        ("external", "true" if f.external else None),
                        ("override", string(f.override) if f.override else None),
                        ("usedOverridden", "true" if sub.name in used_overridden else None),
                    )
                )
        out.directives += self._applied(f.applied for _, f in present)
        return out

    def _check_sharing(
        self, parent: str, name: str, present: list[tuple[Subgraph, Field]], used: set[str]
    ) -> None:
        resolving = [
            (s, f)
            for s, f in present
            if s.name not in used
            and (not f.external or (parent, name) in self.uses[s.name].provided)
        ]
        if len(resolving) < 2:
            return
        unshared = [
            s.name
            for s, f in resolving
            if not (f.shareable or f.external or (parent, name) in self.uses[s.name].by_key)
        ]
        if unshared:
            resolvers = [s.name for s, _ in resolving]
            self.issue(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{parent}.{name}" is resolved from multiple subgraphs: it'
                f" is resolved from {subgraph_word(resolvers)} and defined as non-shareable in"
                f" {subgraph_word(unshared)}",
                resolvers,
                f"{parent}.{name}",
            )

    def _type_mismatch(
        self, code: str, what: str, present: Sequence[tuple[Subgraph, Field | Arg]]
    ) -> None:
        by_type: dict[str, list[str]] = {}
        for sub, element in present:
            by_type.setdefault(element.type, []).append(sub.name)
        described = " but ".join(
            f'type "{ref}" in {subgraph_word(subs)}' for ref, subs in by_type.items()
        )
        coordinate = what.split('"')[1]
        self.issue(
            code,
            f"Type of {what} is incompatible across subgraphs: it has {described}",
            [s.name for s, _ in present],
            coordinate,
        )

    def _merge_args(self, coordinate: str, present: list[tuple[Subgraph, Field]]) -> list[OutArg]:
        args: list[OutArg] = []
        for arg_name in dict.fromkeys(a for _, f in present for a in f.args):
            holders = [(s, f.args[arg_name]) for s, f in present if arg_name in f.args]
            where = f"{coordinate}({arg_name}:)"
            if len(holders) < len(present):
                required = [
                    s.name for s, a in holders if a.type.endswith("!") and a.default is None
                ]
                if required:
                    missing = [s.name for s, f in present if arg_name not in f.args]
                    self.issue(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{where}" is required in {subgraph_word(required)} but does'
                        f" not appear in {subgraph_word(missing)}",
                        required + missing,
                        where,
                    )
                continue
            args.append(self._merge_arg(where, arg_name, holders))
        return args

    def _merge_arg(self, where: str, name: str, holders: list[tuple[Subgraph, Arg]]) -> OutArg:
        refs = [a.type for _, a in holders]
        merged = merge_refs(refs, output=False, is_subtype=self.is_subtype)
        if merged is None:
            self._type_mismatch("FIELD_ARGUMENT_TYPE_MISMATCH", f'argument "{where}"', holders)
            merged = refs[0]
        defaults = {a.default for _, a in holders if a.default is not None}
        if len(defaults) > 1:
            self.issue(
                "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                f'Argument "{where}" has incompatible default values across subgraphs: '
                + quote_list(sorted(defaults)),
                [s.name for s, _ in holders],
                where,
            )
        return OutArg(
            name,
            merged,
            _common(a.description for _, a in holders),
            min(defaults) if defaults else None,
            self._applied(a.applied for _, a in holders),
        )

    def _add_interface_object_fields(
        self, types: dict[str, OutType], sources: dict[str, Sources]
    ) -> None:
        """Fields an `@interfaceObject` adds to an interface reach every implementation too."""
        for name, interface in types.items():
            if interface.kind != "interface":
                continue
            added = [f for s, t in sources[name] if t.interface_object for f in t.fields]
            if not added:
                continue
            for out in types.values():
                if out.kind != "object" or name not in out.interfaces:
                    continue
                have = {f.name for f in out.fields}
                for field_def in interface.fields:
                    if field_def.name in added and field_def.name not in have:
                        out.fields.append(
                            OutField(
                                field_def.name,
                                field_def.type,
                                field_def.description,
                                field_def.args,
                                directives=["@join__field"],
                            )
                        )

    # --- unions, enums, inputs, scalars -----------------------------------------------------

    def _join_types(self, sources: Sources) -> list[str]:
        return [directive("join__type", ("graph", self.graphs[s.name])) for s, _ in sources]

    def _merge_union(self, name: str, sources: Sources) -> OutType:
        out = OutType(name, "union", _common(t.description for _, t in sources))
        out.directives = self._join_types(sources)
        for sub, t in sources:
            for member in t.members:
                out.directives.append(
                    directive(
                        "join__unionMember",
                        ("graph", self.graphs[sub.name]),
                        ("member", string(member)),
                    )
                )
                if member not in out.members:
                    out.members.append(member)
        out.directives += self._applied(t.applied for _, t in sources)
        return out

    def _merge_enum(self, name: str, sources: Sources) -> OutType:
        out = OutType(name, "enum", _common(t.description for _, t in sources))
        out.directives = self._join_types(sources) + self._applied(t.applied for _, t in sources)
        usage = self.enum_usage.get(name, {})
        everyone = [s.name for s, _ in sources]
        for value in dict.fromkeys(v for _, t in sources for v in t.values):
            holders = [(s, t.values[value]) for s, t in sources if value in t.values]
            missing = [n for n in everyone if n not in {s.name for s, _ in holders}]
            hidden = any(v.applied.inaccessible for _, v in holders)
            if missing and "input" in usage and "output" in usage and not hidden:
                self.issue(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{name}" is used as both input type (for example, as type of'
                    f' "{usage["input"]}") and output type (for example, as type of'
                    f' "{usage["output"]}"), but value "{value}" is not defined in all the'
                    f' subgraphs defining "{name}": "{value}" is defined in'
                    f" {subgraph_word([s.name for s, _ in holders])} but not in"
                    f" {subgraph_word(missing)}",
                    everyone,
                    f"{name}.{value}",
                )
                continue
            if missing and "input" in usage and not hidden:
                continue  # input-only enums keep the values every subgraph accepts
            out.values.append(
                OutValue(
                    value,
                    _common(v.description for _, v in holders),
                    [
                        directive("join__enumValue", ("graph", self.graphs[s.name]))
                        for s, _ in holders
                    ]
                    + self._applied(v.applied for _, v in holders),
                )
            )
        if not out.values:
            self.issue(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{name}" are defined consistently in all the'
                f" subgraphs defining that type. As only values common to all subgraphs are"
                f" merged, this would result in an empty type.",
                everyone,
                name,
            )
        return out

    def _merge_input(self, name: str, sources: Sources) -> OutType:
        out = OutType(name, "input", _common(t.description for _, t in sources))
        out.directives = self._join_types(sources) + self._applied(t.applied for _, t in sources)
        everyone = [s.name for s, _ in sources]
        for field_name in dict.fromkeys(f for _, t in sources for f in t.fields):
            holders = [(s, t.fields[field_name]) for s, t in sources if field_name in t.fields]
            coordinate = f"{name}.{field_name}"
            missing = [n for n in everyone if n not in {s.name for s, _ in holders}]
            hidden = any(f.applied.inaccessible for _, f in holders)
            if missing and not hidden:
                required = [
                    s.name for s, f in holders if f.type.endswith("!") and f.default is None
                ]
                if required:
                    self.issue(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{coordinate}" is required in some subgraphs but'
                        f" does not appear in all subgraphs: it is required in"
                        f" {subgraph_word(required)} but does not appear in"
                        f" {subgraph_word(missing)}",
                        required + missing,
                        coordinate,
                    )
                continue
            refs = [f.type for _, f in holders]
            merged = merge_refs(refs, output=False, is_subtype=self.is_subtype)
            if merged is None:
                self._type_mismatch("FIELD_TYPE_MISMATCH", f'field "{coordinate}"', holders)
                merged = refs[0]
            defaults = {f.default for _, f in holders if f.default is not None}
            if len(defaults) > 1:
                self.issue(
                    "INPUT_FIELD_DEFAULT_MISMATCH",
                    f'Input field "{coordinate}" has incompatible default values across'
                    f" subgraphs: {quote_list(sorted(defaults))}",
                    [s.name for s, _ in holders],
                    coordinate,
                )
            joins: list[str] = []
            if len(set(refs)) > 1 or missing:
                joins = [
                    directive(
                        "join__field",
                        ("graph", self.graphs[s.name]),
                        ("type", string(f.type) if len(set(refs)) > 1 else None),
                    )
                    for s, f in holders
                ]
            out.fields.append(
                OutField(
                    field_name,
                    merged,
                    _common(f.description for _, f in holders),
                    default=min(defaults) if defaults else None,
                    directives=joins + self._applied(f.applied for _, f in holders),
                )
            )
        if not out.fields:
            self.issue(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{name}" are consistently defined in'
                " all the subgraphs defining that type. As only fields common to all subgraphs"
                " are merged, this would result in an empty type.",
                everyone,
                name,
            )
        return out

    def _merge_scalar(self, name: str, sources: Sources) -> OutType:
        out = OutType(name, "scalar", _common(t.description for _, t in sources))
        out.directives = self._join_types(sources) + self._applied(t.applied for _, t in sources)
        return out

    # --- composed directives -----------------------------------------------------------------

    def _composed_directives(self) -> tuple[list[str], dict[str, str]]:
        by_name: dict[str, list[tuple[Subgraph, ComposedDirective]]] = {}
        for sub in self.subs:
            for local, composed in sub.composed.items():
                by_name.setdefault(local, []).append((sub, composed))
        links: dict[str, tuple[tuple[int, int], str, list[str]]] = {}
        definitions: dict[str, str] = {}
        for local in sorted(by_name):
            entries = by_name[local]
            names = [s.name for s, _ in entries]
            identities = {c.link.identity for _, c in entries}
            majors = {(c.link.version or (0, 0))[0] for _, c in entries}
            if len(identities) > 1 or len(majors) > 1:
                self.issue(
                    "DIRECTIVE_COMPOSITION_ERROR",
                    f'Composed directive "@{local}" is linked from incompatible specifications'
                    f" across {subgraph_word(names)}: "
                    + quote_list(sorted({c.link.url for _, c in entries})),
                    names,
                    f"@{local}",
                )
                continue
            # The newest minor version of the spec brings the definition.
            best = max((c for _, c in entries), key=lambda c: c.link.version or (0, 0))
            definitions[local] = print_ast(best.definition)
            imports = [
                print_ast(node)
                for node in best.link.import_nodes
                if _import_local(print_ast(node)) == local
            ]
            version = best.link.version or (0, 0)
            previous = links.get(best.link.identity)
            if previous is None:
                links[best.link.identity] = (version, best.link.url, imports)
            elif previous[0] < version:
                links[best.link.identity] = (version, best.link.url, previous[2] + imports)
            else:
                previous[2].extend(imports)
        printed = [
            f"@link(url: {string(url)}, import: [{', '.join(dict.fromkeys(imports))}])"
            for _, url, imports in (links[identity] for identity in sorted(links))
        ]
        return printed, definitions


def _import_local(printed: str) -> str:
    """The local name an import entry (`"@a"` or `{name: "@a", as: "@b"}`) gives."""
    quoted = re.findall(r'"@?([^"]*)"', printed)
    return quoted[-1] if quoted else ""


_ROOTS = [("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription")]
_KIND_WORDS = {
    "object": "Object Type",
    "interface": "Interface Type",
    "union": "Union Type",
    "enum": "Enum Type",
    "input": "Input Object Type",
    "scalar": "Scalar Type",
}
