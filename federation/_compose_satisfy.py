"""A bounded satisfiability check: every field of every object a query can reach in some
subgraph must be resolvable there, or through a resolvable `@key` of a subgraph that
resolves it. (Apollo's full check explores every query path; this one covers the
common failure: entities whose keys are all `resolvable: false` or missing.)"""

from __future__ import annotations

from collections import deque

from graphql import FieldNode

from federation._compose_fieldsets import parse_field_set
from federation._compose_model import CompositionIssue, quote_list, subgraph_word
from federation._compose_print import OutType
from federation._compose_subgraph import Subgraph, TypeDef, type_name

_ROOTS = ("Query", "Mutation", "Subscription")
State = tuple[str, str]  # (subgraph, type)


def _key_available(key_fields: str, here: TypeDef) -> bool:
    """Whether `here` (a type in the subgraph we jump from) can supply the key's fields."""
    selection = parse_field_set(key_fields)
    if selection is None:
        return False
    for node in selection.selections:
        if not isinstance(node, FieldNode) or node.name.value not in here.fields:
            return False
    return True


def _jumps(subs: dict[str, Subgraph], type_name_: str, here: TypeDef, exclude: str) -> list[str]:
    """Subgraphs a fetch can jump to for `type_name_` from a subgraph holding `here`."""
    targets = []
    for sub in subs.values():
        target = sub.types.get(type_name_)
        if sub.name == exclude or target is None:
            continue
        if any(k.resolvable and _key_available(k.fields, here) for k in target.keys):
            targets.append(sub.name)
    return targets


def _key_closure(subs: dict[str, Subgraph], name: str, start: str) -> set[str]:
    """Subgraphs holding `name` that a fetch can reach from `start` by chains of keys."""
    seen = {start}
    frontier = [start]
    while frontier:
        current = frontier.pop()
        for target in _jumps(subs, name, subs[current].types[name], current):
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def _interface_object_closure(
    subs: dict[str, Subgraph], interfaces: list[str], closure: set[str], name: str
) -> set[tuple[str, str]]:
    """(subgraph, interface) pairs whose `@interfaceObject` a fetch can jump to."""
    found: set[tuple[str, str]] = set()
    for interface in interfaces:
        for holder in closure:
            for target in _jumps(subs, interface, subs[holder].types[name], holder):
                if subs[target].types[interface].interface_object:
                    found.add((target, interface))
    return found


def _reachable(subs: dict[str, Subgraph]) -> dict[State, str]:
    """Every (subgraph, type) a query can be in, with one example path to it."""
    paths: dict[State, str] = {}
    queue: deque[State] = deque()
    for sub in subs.values():
        for root in _ROOTS:
            if root in sub.types:
                paths[(sub.name, root)] = root
                queue.append((sub.name, root))
    while queue:
        state = queue.popleft()
        sub_name, name = state
        here = subs[sub_name].types[name]
        nexts: list[tuple[State, str]] = []
        for field_def in here.fields.values():
            target = type_name(field_def.type)
            if not field_def.external and target in subs[sub_name].types:
                nexts.append(((sub_name, target), f"{paths[state]}.{field_def.name}"))
        for other in subs[sub_name].types.values():
            implements = here.kind == "interface" and name in other.interfaces
            if implements or (here.kind == "union" and other.name in here.members):
                nexts.append(((sub_name, other.name), f"{paths[state]}(... on {other.name})"))
        if name not in _ROOTS:
            for target_sub in _jumps(subs, name, here, sub_name):
                nexts.append(((target_sub, name), paths[state]))
        for next_state, path in nexts:
            if next_state not in paths and next_state[1] in subs[next_state[0]].types:
                paths[next_state] = path
                queue.append(next_state)
    return paths


def check_satisfiability(
    subgraphs: list[Subgraph],
    resolvers: dict[tuple[str, str], set[str]],
    types: dict[str, OutType],
) -> list[CompositionIssue]:
    """Issues for fields some reachable subgraph can neither resolve nor jump to."""
    subs = {s.name: s for s in subgraphs}
    failures: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for (sub_name, name), path in sorted(_reachable(subs).items()):
        here = subs[sub_name].types[name]
        out = types.get(name)
        if name in _ROOTS or out is None or out.kind != "object" or here.kind != "object":
            continue
        closure = _key_closure(subs, name, sub_name)
        stand_ins = _interface_object_closure(subs, out.interfaces, closure, name)
        for out_field in out.fields:
            providers = resolvers.get((name, out_field.name), set())
            if closure & providers:
                continue
            if any(out_field.name in subs[s].types[i].fields for s, i in stand_ins):
                continue
            failures.setdefault((name, out_field.name), []).append((sub_name, path))
    issues = []
    for (name, field_name), where in sorted(failures.items()):
        known = sorted(resolvers.get((name, field_name), set()))
        from_subs = [s for s, _ in where]
        reason = (
            f'"{name}" has no @key resolvable by that subgraph in'
            f" {subgraph_word(known)}, the only place the field is resolved"
            if known
            else "no subgraph resolves it"
        )
        issues.append(
            CompositionIssue(
                "SATISFIABILITY_ERROR",
                f'Field "{name}.{field_name}" cannot be satisfied: a query reaching "{name}"'
                f" in {subgraph_word(from_subs)} (for example through"
                f" {quote_list([where[0][1]])}) cannot fetch it, because {reason}.",
                tuple(sorted(set(from_subs) | set(known))),
                f"{name}.{field_name}",
            )
        )
    return issues
