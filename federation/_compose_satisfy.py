"""A bounded satisfiability check: every field of every object a query can reach must be
resolvable by some subgraph the query can be in at that point.

Queries are followed as (subgraphs, type) nodes: the subgraphs that could have resolved
the path so far, widened by every chain of resolvable `@key` jumps, and the fields
`@provides` makes local along that path. A field counts as resolvable there when a
subgraph in the node resolves it (or an `@interfaceObject` it can jump to does, or a
`@provides` on the path gives it) and the top-level fields its `@requires` needs can be
fetched from the requiring subgraph. Apollo's full check also weighs nested `@requires`
selections; this one covers the common failures: entities whose keys are all
`resolvable: false` (or missing) where fields need resolving, value-type fields only some
subgraphs have, and `@requires` conditions no key leads to.
"""

from __future__ import annotations

import re
from collections import deque
from functools import cache

from graphql import FieldNode, InlineFragmentNode, print_ast

from federation._compose_elements import Subgraph, TypeDef, type_name
from federation._compose_fieldsets import parse_field_set
from federation._compose_model import CompositionIssue, quote_list, subgraph_word
from federation._compose_print import OutType

_ROOTS = ("Query", "Mutation", "Subscription")
_COMPOSITE = ("object", "interface", "union")
Provided = frozenset[tuple[str, str]]  # (subgraph, field set it provides at this position)
Node = tuple[frozenset[str], str, Provided]  # (subgraphs the query can be in, type, provided)


@cache
def _top_level(key_fields: str) -> frozenset[str] | None:
    selection = parse_field_set(key_fields)
    if selection is None:
        return None
    names = [n.name.value for n in selection.selections if isinstance(n, FieldNode)]
    return frozenset(names) if len(names) == len(selection.selections) else None


def _can_jump(target: TypeDef, here: TypeDef) -> bool:
    """Whether a resolvable key of `target` can be filled from `here`'s fields."""
    for key in target.keys:
        needed = _top_level(key.fields)
        if key.resolvable and needed is not None and needed <= here.fields.keys():
            return True
    return False


class _Graph:
    """The subgraphs as one graph of (subgraph, type) positions and key jumps."""

    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subs = {s.name: s for s in subgraphs}
        self._closures: dict[tuple[str, str], frozenset[str]] = {}

    def closure(self, holders: frozenset[str], name: str) -> frozenset[str]:
        """`holders` plus every subgraph reachable from them by chains of key jumps."""
        if name in _ROOTS:
            return holders
        result: set[str] = set()
        for holder in holders:
            result |= self._closure_from(holder, name)
        return frozenset(result)

    def _closure_from(self, start: str, name: str) -> frozenset[str]:
        cached = self._closures.get((start, name))
        if cached is not None:
            return cached
        seen = {start}
        frontier = [start]
        while frontier:
            here = self.subs[frontier.pop()].types[name]
            for sub in self.subs.values():
                target = sub.types.get(name)
                if sub.name not in seen and target is not None and _can_jump(target, here):
                    seen.add(sub.name)
                    frontier.append(sub.name)
        self._closures[(start, name)] = frozenset(seen)
        return self._closures[(start, name)]

    def children(
        self, present: frozenset[str], name: str, provided: Provided
    ) -> dict[tuple[str, str], tuple[set[str], set[tuple[str, str]]]]:
        """Next steps from a node: (label, type) -> (subgraphs that can take that step, the
        field sets `@provides` makes local along it)."""
        steps: dict[tuple[str, str], tuple[set[str], set[tuple[str, str]]]] = {}
        local = {(sub, field) for sub, text in provided for field in _provided_fields(text)}
        for sub_name in sorted(present):
            sub = self.subs[sub_name]
            here = sub.types[name]
            for field_def in here.fields.values():
                target = type_name(field_def.type)
                target_def = sub.types.get(target)
                if target_def is None or target_def.kind not in _COMPOSITE:
                    continue
                if field_def.external and (sub_name, field_def.name) not in local:
                    continue
                able, gives = steps.setdefault((f".{field_def.name}", target), (set(), set()))
                able.add(sub_name)
                if field_def.provides:
                    gives.add((sub_name, field_def.provides))
                for owner, text in provided:
                    nested = (
                        _provided_fields(text).get(field_def.name) if owner == sub_name else None
                    )
                    if nested:
                        gives.add((sub_name, nested))
            for other in sub.types.values():
                implements = here.kind == "interface" and name in other.interfaces
                if implements or (here.kind == "union" and other.name in here.members):
                    able, gives = steps.setdefault(
                        (f"(... on {other.name})", other.name), (set(), set())
                    )
                    able.add(sub_name)
                    gives |= {(o, t) for o, t in provided if o == sub_name}
        return steps

    def explore(self) -> dict[Node, str]:
        """Every node a query can reach, with one example path to it."""
        paths: dict[Node, str] = {}
        queue: deque[Node] = deque()
        for root in _ROOTS:
            holders = frozenset(s.name for s in self.subs.values() if root in s.types)
            if holders:
                start: Node = (holders, root, frozenset())
                paths[start] = root
                queue.append(start)
        while queue:
            node = queue.popleft()
            holders, name, provided = node
            present = self.closure(holders, name)
            for (label, target), (able, gives) in sorted(
                self.children(present, name, provided).items()
            ):
                child: Node = (frozenset(able), target, frozenset(gives))
                if child not in paths:
                    paths[child] = paths[node] + label
                    queue.append(child)
        return paths


@cache
def _provided_fields(text: str) -> dict[str, str | None]:
    """Fields a `@provides` field set names at its top level (through inline fragments
    too), each with the field set it provides below it."""
    selection = parse_field_set(text)
    found: dict[str, str | None] = {}
    stack = list(selection.selections) if selection else []
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            below = node.selection_set
            found[node.name.value] = print_ast(below)[1:-1] if below else None
        elif isinstance(node, InlineFragmentNode):
            stack.extend(node.selection_set.selections)
    return found


def check_satisfiability(
    subgraphs: list[Subgraph],
    resolvers: dict[tuple[str, str], set[str]],
    types: dict[str, OutType],
) -> list[CompositionIssue]:
    """Issues for fields a reachable position can neither resolve nor jump to."""
    graph = _Graph(subgraphs)
    explored = sorted(graph.explore().items(), key=lambda i: i[1])
    failures: dict[tuple[str, str], list[tuple[frozenset[str], str]]] = {}
    for (holders, name, provided), path in explored:
        out = types.get(name)
        if name in _ROOTS or out is None or out.kind != "object":
            continue
        present = graph.closure(holders, name)
        stand_ins = {
            (target, interface)
            for interface in out.interfaces
            for target in graph.closure(present & _holding(graph, interface), interface)
            if graph.subs[target].types[interface].interface_object
        }
        local = {field for _, text in provided for field in _provided_fields(text)}
        for out_field in out.fields:
            if out_field.name in local:
                continue
            able = present & resolvers.get((name, out_field.name), set())
            if any(_requires_met(graph, s, name, out_field.name, resolvers) for s in able):
                continue
            if any(out_field.name in graph.subs[s].types[i].fields for s, i in stand_ins):
                continue
            failures.setdefault((name, out_field.name), []).append((holders, path))
    issues = _mismatched_runtime_types(graph, explored, resolvers, types)
    for (name, field_name), where in sorted(failures.items()):
        known = sorted(resolvers.get((name, field_name), set()))
        holders, path = where[0]
        coordinate = f"{name}.{field_name}"
        reasons = [
            f'- from subgraph "{h}": cannot find field "{coordinate}".'
            for h in sorted(holders)
            if h not in known
        ]
        present = graph.closure(holders, name)
        for other in known:
            if other in present:
                reasons.append(
                    f'- from subgraph "{other}": cannot satisfy @require conditions on field'
                    f' "{coordinate}".'
                )
            else:
                reasons.append(
                    f'- cannot move to subgraph "{other}", which has field "{coordinate}",'
                    f' because type "{name}" has no @key there that is resolvable and can be'
                    f" filled from {subgraph_word(sorted(holders))}."
                )
        issues.append(
            CompositionIssue(
                "SATISFIABILITY_ERROR",
                "The following supergraph API query:\n"
                + _example_query(f"{path}.{field_name}")
                + "\ncannot be satisfied by the subgraphs because:\n"
                + "\n".join(reasons),
                tuple(sorted(holders | set(known))),
                coordinate,
            )
        )
    return issues


def _requires_met(
    graph: _Graph,
    sub: str,
    name: str,
    field_name: str,
    resolvers: dict[tuple[str, str], set[str]],
) -> bool:
    """Whether the fields `sub`'s `@requires` on the field needs can be fetched first.

    As in Apollo, they are looked for from `sub` itself (through its keys), whatever
    subgraph the query came from.
    """
    requires = graph.subs[sub].types[name].fields[field_name].requires
    needed = _top_level(requires) if requires is not None else frozenset()
    if needed is None:
        return True  # fragments in the selection: beyond this check
    reachable = graph.closure(frozenset({sub}), name)
    return all(reachable & resolvers.get((name, other), set()) for other in needed - {"__typename"})


def _example_query(path: str, open_end: bool = False) -> str:
    """`Query.a(... on B).c` as the operation it stands for, one selection per line (with
    `open_end`, the last field gets a `...` selection of its own)."""
    root, _, rest = path.partition(".")
    steps = re.findall(r"\(\.\.\. on \w+\)|[^.()]+", rest)
    if open_end:
        steps.append("...")
    keyword = {"Query": "", "Mutation": "mutation ", "Subscription": "subscription "}[root]
    lines = [keyword + "{"]
    for depth, step in enumerate(steps, 1):
        last = depth == len(steps)
        lines.append("  " * depth + step.strip("()") + ("" if last else " {"))
    lines += ["  " * depth + "}" for depth in range(len(steps) - 1, -1, -1)]
    return "\n".join(lines)


def _mismatched_runtime_types(
    graph: _Graph,
    explored: list[tuple[Node, str]],
    resolvers: dict[tuple[str, str], set[str]],
    types: dict[str, OutType],
) -> list[CompositionIssue]:
    """A shared field of abstract type must have runtime types in common across the
    subgraphs that resolve it (SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES)."""
    issues: list[CompositionIssue] = []
    reported: set[str] = set()
    for (holders, name, _), path in explored:
        out = types.get(name)
        if out is None or out.kind != "object":
            continue
        present = graph.closure(holders, name)
        for out_field in out.fields:
            coordinate = f"{name}.{out_field.name}"
            target = types.get(type_name(out_field.type))
            able = sorted(present & resolvers.get((name, out_field.name), set()))
            if coordinate in reported or target is None or len(able) < 2:
                continue
            if target.kind not in ("interface", "union"):
                continue
            runtime = {sub: _runtime_types(graph.subs[sub], target.name) for sub in able}
            if set.intersection(*runtime.values()):
                continue
            reported.add(coordinate)
            by_types: dict[str, list[str]] = {}
            for sub, found in runtime.items():
                names = sorted(found)
                label = ("type " if len(names) == 1 else "types ") + quote_list(names)
                by_types.setdefault(label, []).append(sub)
            listed = ";\n".join(
                f" - in {subgraph_word(subs)}, {label}" for label, subs in by_types.items()
            )
            issues.append(
                CompositionIssue(
                    "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES",
                    "For the following supergraph API query:\n"
                    + _example_query(f"{path}.{out_field.name}", open_end=True)
                    + f'\nShared field "{coordinate}" return type "{out_field.type}" has a'
                    " non-intersecting set of possible runtime types across subgraphs."
                    f" Runtime types in subgraphs are:\n{listed}.\nThis is not allowed as"
                    " shared fields must resolve the same way in all subgraphs, and that"
                    " implies at least some common runtime types between the subgraphs.",
                    tuple(able),
                    coordinate,
                )
            )
    return issues


def _runtime_types(sub: Subgraph, abstract: str) -> set[str]:
    """The object types a value of `abstract` can be in `sub`."""
    found = sub.types.get(abstract)
    if found is None:
        return set()
    if found.kind == "union":
        return set(found.members)
    return {t.name for t in sub.types.values() if t.kind == "object" and abstract in t.interfaces}


def _holding(graph: _Graph, name: str) -> frozenset[str]:
    return frozenset(s for s, sub in graph.subs.items() if name in sub.types)
