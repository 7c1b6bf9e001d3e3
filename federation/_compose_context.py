"""What the merge steps share: the subgraphs, their graph names, the issues found so far,
and the helpers every kind of type uses (applied directives, argument merging)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from federation._compose_elements import Applied, Arg, Field, Subgraph, TypeDef
from federation._compose_fieldsets import FieldSetUse
from federation._compose_model import CompositionIssue, subgraph_word
from federation._compose_print import OutArg, directive
from federation._compose_types import merge_refs

Sources = list[tuple[Subgraph, TypeDef]]


def graph_names(names: Iterable[str]) -> dict[str, str]:
    """Subgraph name -> `join__Graph` value, as Apollo derives it: non-word characters as
    `_`, a leading digit or a trailing `_<digits>` guarded by `_`, upper-cased; names that
    still collide are all numbered (`X_1`, `X_2`) in subgraph order."""
    by_value: dict[str, list[str]] = {}
    for name in sorted(names):
        value = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if value[:1].isdigit():
            value = "_" + value
        if re.search(r"_\d+$", value):
            value += "_"
        by_value.setdefault(value.upper(), []).append(name)
    result: dict[str, str] = {}
    for value, group in by_value.items():
        for index, name in enumerate(group, 1):
            result[name] = value if len(group) == 1 else f"{value}_{index}"
    return result


def common(values: Iterable[str | None]) -> str | None:
    """The value most subgraphs agree on (first seen wins a tie), ignoring missing ones."""
    counts = Counter(v for v in values if v is not None)
    return max(counts, key=lambda v: counts[v]) if counts else None


class MergeContext:
    """State of one composition run; `.issues` collects every problem met on the way."""

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
        self.repeatable = {
            local
            for sub in subgraphs
            for local, composed in sub.composed.items()
            if composed.repeatable
        }

    def issue(self, code: str, message: str, subs: Iterable[str], coordinate: str | None) -> None:
        self.issues.append(CompositionIssue(code, message, tuple(sorted(set(subs))), coordinate))

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

    def applied(self, applied: Iterable[Applied]) -> list[str]:
        """Merged applications as Apollo orders them: `@inaccessible`, then each other
        directive name in order of first appearance with all its distinct applications
        (only the first for a directive that is not repeatable)."""
        items = list(applied)
        out: list[str] = []
        if any(a.inaccessible for a in items):
            self.inaccessible = True
            out.append("@inaccessible")
        for name in dict.fromkeys(n for a in items for n, _ in a.kept):
            forms = list(dict.fromkeys(p for a in items for n, p in a.kept if n == name))
            if name == "tag":
                self.tag = True
            elif name not in self.repeatable:
                forms = forms[:1]
            out += forms
        return out

    def around_joins(self, joins: list[str], applied: Iterable[Applied]) -> list[str]:
        """A member's directives in Apollo's order: `@inaccessible`, joins, the rest."""
        kept = self.applied(applied)
        if kept[:1] == ["@inaccessible"]:
            return ["@inaccessible", *joins, *kept[1:]]
        return joins + kept

    def join_types(self, sources: Sources) -> list[str]:
        return [directive("join__type", ("graph", self.graphs[s.name])) for s, _ in sources]

    def type_mismatch(
        self,
        code: str,
        what: str,
        present: Sequence[tuple[Subgraph, Field | Arg]],
        merged: str | None = None,
        where: str = "",
    ) -> None:
        """Report disagreeing types, the supergraph's own (`merged`) listed first."""
        groups: dict[str, list[str]] = {}
        if merged is not None:
            groups[f'type "{merged}"'] = []
        for sub, element in present:
            groups.setdefault(f'type "{element.type}"', []).append(sub.name)
        groups = {k: v for k, v in groups.items() if v}
        coordinate = what.split('"')[1]
        self.issue(
            code,
            f"Type of {what} is incompatible across subgraphs{where}: it has"
            f" {_distribution(groups)}",
            [s.name for s, _ in present],
            coordinate,
        )

    def merge_args(self, coordinate: str, present: list[tuple[Subgraph, Field]]) -> list[OutArg]:
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
                        f'Argument "{where}" is required in some subgraphs but does not appear'
                        f" in all subgraphs: it is required in {subgraph_word(required)} but"
                        f" does not appear in {subgraph_word(missing)}",
                        required + missing,
                        where,
                    )
                continue
            args.append(self.merge_arg(where, arg_name, holders))
        return args

    def merge_arg(self, where: str, name: str, holders: list[tuple[Subgraph, Arg]]) -> OutArg:
        refs = [a.type for _, a in holders]
        merged = merge_refs(refs, output=False, is_subtype=self.is_subtype)
        if merged is None:
            self.type_mismatch("FIELD_ARGUMENT_TYPE_MISMATCH", f'argument "{where}"', holders)
            merged = refs[0]
        default = self.merge_default("FIELD_ARGUMENT_DEFAULT_MISMATCH", "Argument", where, holders)
        return OutArg(
            name,
            merged,
            common(a.description for _, a in holders),
            default,
            self.applied(a.applied for _, a in holders),
        )

    def merge_default(
        self, code: str, kind: str, where: str, holders: Sequence[tuple[Subgraph, Field | Arg]]
    ) -> str | None:
        """The supergraph default: kept only when every subgraph gives the same one.

        A subgraph without the default would expect the value to be sent, so a default
        missing anywhere is dropped; two different defaults are an error.
        """
        defaults = [element.default for _, element in holders]
        given = list(dict.fromkeys(d for d in defaults if d is not None))
        if len(given) > 1:
            groups: dict[str, list[str]] = {}
            for sub, element in holders:
                shown = "no default value" if element.default is None else element.default
                key = shown if element.default is None else f"default value {shown}"
                groups.setdefault(key, []).append(sub.name)
            first = f"default value {given[0]}"
            ordered = {first: groups.pop(first), **groups}
            self.issue(
                code,
                f'{kind} "{where}" has incompatible default values across subgraphs: it has'
                f" {_distribution(ordered)}",
                [s.name for s, _ in holders],
                where,
            )
            return given[0]
        return given[0] if given and None not in defaults else None


def _distribution(groups: dict[str, list[str]]) -> str:
    """Apollo's way of listing disagreement: `X in subgraph "a" but Y in "b" and Z in "c"`."""
    parts = [f"{value} in {subgraph_word(names)}" for value, names in groups.items()]
    return parts[0] + (" but " + " and ".join(parts[1:]) if len(parts) > 1 else "")
