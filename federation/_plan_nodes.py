"""Turn finished fetch groups into the plan's node tree and subgraph operations."""

from __future__ import annotations

from collections.abc import Mapping

from graphql import OperationDefinitionNode, print_ast

from federation._plan_build import Group
from federation._plan_select import Selection, selection_conditions
from federation.plan import (
    Batch,
    Fetch,
    FetchPart,
    Flatten,
    Parallel,
    PlanNode,
    RepresentationField,
    RepresentationType,
    Sequence,
    batch_operation,
    operation_text,
)
from federation.supergraph import Supergraph


def plan_node(
    supergraph: Supergraph, group: Group, definitions: Mapping[str, str], kind: str
) -> PlanNode:
    """The node for a group: its fetch, then its dependent groups in stages."""
    fetch = _fetch(supergraph, group, definitions, kind)
    first: PlanNode = Flatten(group.path, fetch) if group.entity else fetch
    if not group.children:
        return first
    steps: list[PlanNode] = [first]
    for stage in _stages(group.children):
        nodes = tuple(plan_node(supergraph, child, definitions, "query") for child in stage)
        if len(nodes) > 1:
            steps.append(Parallel(nodes, _batches(nodes)))
        elif isinstance(nodes[0], Sequence):
            steps.extend(nodes[0].nodes)
        else:
            steps.append(nodes[0])
    return Sequence(tuple(steps))


def _batches(nodes: tuple[PlanNode, ...]) -> tuple[Batch, ...]:
    """Entity fetches of one step to the same subgraph, to be sent as one request."""
    by_service: dict[str, list[tuple[int, Fetch]]] = {}
    for index, node in enumerate(nodes):
        first = node.nodes[0] if isinstance(node, Sequence) else node
        if isinstance(first, Flatten):
            by_service.setdefault(first.node.service, []).append((index, first.node))
    return tuple(
        Batch(service, tuple(i for i, _ in members), batch_operation(f for _, f in members))
        for service, members in by_service.items()
        if len(members) > 1
    )


def variable_definitions(operation: OperationDefinitionNode) -> dict[str, str]:
    return {
        d.variable.name.value: print_ast(d).replace("\n", " ")
        for d in operation.variable_definitions or ()
    }


def _stages(children: list[Group]) -> list[list[Group]]:
    """Order sibling groups: one that needs data from another's subtree runs after it."""
    subtree = {c.id: _subtree_ids(c) for c in children}
    level: dict[int, int] = {}
    for child in children:  # creation order: a group's dependencies were created before it
        level[child.id] = max(
            (level[o.id] + 1 for o in children if o.id in level and child.deps & subtree[o.id]),
            default=0,
        )
    stages: list[list[Group]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for child in children:
        stages[level[child.id]].append(child)
    return stages


def _subtree_ids(group: Group) -> frozenset[int]:
    ids = {group.id}
    for child in group.children:
        ids |= _subtree_ids(child)
    return frozenset(ids)


def _parts(group: Group) -> tuple[FetchPart, ...]:
    return _selection_parts(group.selection)


def _selection_parts(selection: Selection) -> tuple[FetchPart, ...]:
    parts = [
        FetchPart(
            field.coordinate or "__typename",
            field.head(),
            _selection_parts(field.sub) if field.sub is not None else (),
        )
        for field in selection.fields.values()
    ]
    for (type_name, directives), sub in selection.fragments.items():
        inner = _selection_parts(sub)
        if inner:
            parts.append(FetchPart(f"... on {type_name}", f"... on {type_name}{directives}", inner))
    return tuple(parts)


def _fetch(
    supergraph: Supergraph, group: Group, definitions: Mapping[str, str], kind: str
) -> Fetch:
    used = [v for v in definitions if v in group.variables]
    parts = _parts(group)
    used_definitions = {v: definitions[v] for v in used}
    operation = operation_text(kind, group.entity, parts, used_definitions)
    if not group.entity:
        return Fetch(
            id=group.id,
            service=group.service,
            operation=operation,
            variable_usages=tuple(used),
            selection=group.selection.text(),
            coordinates=tuple(group.coordinates),
            root_keys=tuple(group.selection.fields),
            conditions=selection_conditions(group.selection),
            parts=parts,
            variable_definitions=used_definitions,
            kind=kind,
        )
    wanted = Selection()
    built: dict[str, RepresentationType] = {}
    for type_name, (sent, fields) in group.representations.items():
        wanted.fragments.setdefault((sent, ""), fields)
        built[type_name] = RepresentationType(sent, _representation(fields))
    for type_name, representation in list(built.items()):
        # Objects met as an interface may carry their concrete `__typename` by now.
        for concrete in supergraph.possible_types(type_name):
            built.setdefault(concrete, representation)
    return Fetch(
        id=group.id,
        service=group.service,
        operation=operation,
        variable_usages=tuple(used),
        selection=group.selection.text(),
        coordinates=tuple(group.coordinates),
        representations=built,
        requires=wanted.text(),
        conditions=selection_conditions(group.selection),
        parts=parts,
        variable_definitions=used_definitions,
    )


def _representation(selection: Selection) -> tuple[RepresentationField, ...]:
    return tuple(
        RepresentationField(
            f.key, f.name, f.required_key, _representation(f.sub) if f.sub is not None else None
        )
        for f in selection.fields.values()
        if f.name != "__typename"
    )
