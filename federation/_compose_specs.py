"""The specifications a supergraph links: join and link definitions, `@inaccessible`,
`@tag`, and the custom directives subgraphs compose with `@composeDirective`."""

from __future__ import annotations

import re

from graphql import print_ast

from federation._compose_context import MergeContext, common
from federation._compose_elements import Applied, ComposedDirective, Field, Subgraph
from federation._compose_model import quote_list, subgraph_word
from federation._compose_print import (
    OutArg,
    OutType,
    OutValue,
    directive,
    print_directive_definition,
    string,
)

JOIN_DEFINITIONS = {
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
INACCESSIBLE_DEFINITION = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION |"
    " ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
TAG_DEFINITION = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION"
    " | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
    " | SCHEMA"
)
_PURPOSE_SECURITY = "`SECURITY` features provide metadata necessary to securely resolve fields."
_PURPOSE_EXECUTION = "`EXECUTION` features provide metadata necessary for operation execution."


def link_and_join_types(ctx: MergeContext) -> dict[str, OutType]:
    graph = OutType("join__Graph", "enum")
    for sub in ctx.subs:
        graph.values.append(
            OutValue(
                ctx.graphs[sub.name],
                directives=[
                    directive("join__graph", ("name", string(sub.name)), ("url", string(sub.url)))
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


def composed_directives(ctx: MergeContext) -> tuple[list[str], dict[str, str]]:
    by_name: dict[str, list[tuple[Subgraph, ComposedDirective]]] = {}
    for sub in ctx.subs:
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
            ctx.issue(
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
        args = [OutArg(a.name, a.type, a.description, a.default) for a in best.args.values()]
        definitions[local] = print_directive_definition(
            local, best.description, args, best.repeatable, best.locations
        )
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
    taken = {*ctx.kinds, *JOIN_DEFINITIONS, *definitions, "join", "link", "tag", "inaccessible"}
    aliases = _Aliases(taken)
    printed = []
    for identity in sorted(links):
        _, url, imports = links[identity]
        alias = aliases.alias_for(identity.rsplit("/", 1)[-1])
        as_arg = f", as: {string(alias)}" if alias else ""
        printed.append(
            f"@link(url: {string(url)}{as_arg}, import: [{', '.join(dict.fromkeys(imports))}])"
        )
    return printed, definitions


class _Aliases:
    """Apollo's `as:` for a linked spec whose name cannot prefix GraphQL names (such as
    `data-category`): a prefix no supergraph name starts with, a counter, then the
    spec name's letters (`_0datacategory`)."""

    _START = "_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    _CONTINUE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.index = 0

    def alias_for(self, name: str) -> str | None:
        valid = re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", name) is not None
        if valid and "__" not in name and not name.endswith("_"):
            return None
        alias = f"{self._prefix()}{self.index}{re.sub('[^a-zA-Z]', '', name)}"
        self.index += 1
        return alias

    def _prefix(self) -> str:
        """The shortest string (breadth first, in Apollo's character order) that is not
        the start of any taken name."""
        queue = [""]
        while True:
            start = queue.pop(0)
            for char in self._START if not start else self._CONTINUE:
                candidate = start + char
                if any(name.startswith(candidate) for name in self.taken):
                    queue.append(candidate)
                else:
                    return candidate


def _import_local(printed: str) -> str:
    """The local name an import entry (`"@a"` or `{name: "@a", as: "@b"}`) gives."""
    quoted = re.findall(r'"@?([^"]*)"', printed)
    return quoted[-1] if quoted else ""


def executable_directives(ctx: MergeContext) -> dict[str, str]:
    """Executable directives every subgraph defines, limited to what all of them accept
    (Apollo's rule: only those can reach any subgraph in an operation)."""
    common_names = set.intersection(*(set(s.executable) for s in ctx.subs))
    definitions: dict[str, str] = {}
    for name in sorted(common_names):
        versions = [(sub, sub.executable[name]) for sub in ctx.subs]
        locations = [
            loc for loc in versions[0][1].locations if all(loc in d.locations for _, d in versions)
        ]
        if not locations:
            continue
        holders = [(sub, Field(name, "", d.description, d.args, Applied())) for sub, d in versions]
        args = ctx.merge_args(f"@{name}", holders)
        definitions[name] = print_directive_definition(
            name,
            common(d.description for _, d in versions),
            args,
            all(d.repeatable for _, d in versions),
            locations,
        )
    return definitions
