"""Build a query plan: route each field of an operation to the subgraphs that resolve it.

Fields go to fetch groups. A group is one request to one subgraph: a root
fetch, or an `_entities` fetch at a path below its parent group. Fields a
group's subgraph cannot resolve jump to another subgraph through a key the
two share; the key fields (and any `@requires` fields) are first planned at
the same place, which may itself need jumps: those groups become the new
group's dependencies. A field of a value type (no key) that the current
subgraph cannot resolve jumps from the nearest enclosing entity instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
)

from federation._plan_keys import (
    ClientKeys,
    Provided,
    candidates,
    copy_required,
    data_key,
    key_field_names,
    local,
    resolvable_set,
)
from federation._plan_select import (
    Selection,
    condition_of,
    excluded,
    list_depth,
    print_arguments,
    print_conditions,
    provided_field,
    provided_map,
    variables_in,
)
from federation.plan import PlanningError
from federation.supergraph import FieldInfo, Supergraph, TypeInfo, parse_field_set
from federation.types import PlanPath

_TYPENAME = FieldNode(name=NameNode(value="__typename"))
_ABSTRACT = ("INTERFACE", "UNION")


class Group:
    """A fetch under construction."""

    def __init__(
        self, id: int, service: str, path: PlanPath, parent: Group | None, deps: frozenset[int]
    ) -> None:
        self.id = id
        self.service = service
        self.path = path
        self.parent = parent
        self.deps = deps
        self.selection = Selection()
        self.representations: dict[str, tuple[str, Selection]] = {}
        self.variables: dict[str, None] = {}
        self.coordinates: dict[str, None] = {}
        self.children: list[Group] = []

    @property
    def entity(self) -> bool:
        return self.parent is not None


@dataclass(frozen=True, slots=True)
class At:
    """Where planning is: a group, the parent type, the merge path and the selection to fill."""

    group: Group
    type_name: str
    path: PlanPath
    selection: Selection
    keys: ClientKeys
    """The client's response keys at this level, which fields the planner adds avoid."""
    provided: Provided = None
    internal: bool = False
    """Planning fields the client did not ask for (keys, requirements)."""
    anchor: At | None = None
    """The nearest enclosing entity position, when this one is a value type."""
    chain: tuple[FieldNode, ...] = ()
    """Fields from the anchor down to here."""
    directives: str = ""
    """`@skip`/`@include` of enclosing fragments, carried into fetches this position starts."""
    isolated: bool = False
    """An object of a subject type met here gets its own fetch: only its keys are read here."""

    only_provided: bool = False
    """Below a field this subgraph resolves only through `@provides`: nothing else is local."""

    def moved(self, **changes: Any) -> At:
        return dataclasses.replace(self, **changes)


class Planner:
    """Routes one operation's fields into fetch groups."""

    def __init__(
        self,
        supergraph: Supergraph,
        fragments: Mapping[str, FragmentDefinitionNode],
        subjects: frozenset[str] = frozenset(),
    ) -> None:
        self.supergraph = supergraph
        self.subjects = subjects
        self.types = supergraph.types
        self.fragments = fragments
        self.groups: list[Group] = []
        self.by_key: dict[tuple[str, PlanPath, int, frozenset[int]], Group] = {}
        self.active: set[tuple[str, PlanPath, str, str, str]] = set()

    # -- roots -------------------------------------------------------------------------------

    def plan_root(
        self, operation: OperationDefinitionNode, root_type: str
    ) -> tuple[list[Group], list[FieldNode]]:
        """Route the root fields; return the root groups (in order) and introspection fields."""
        info = self.types[root_type]
        keys = self.client_keys(operation.selection_set)
        roots: list[Group] = []
        introspection: list[FieldNode] = []
        mutation = operation.operation.value == "mutation"
        for node in self.root_fields(operation.selection_set, set()):
            name = node.name.value
            if excluded(node.directives):
                continue
            if name == "__typename":
                continue
            if name in ("__schema", "__type"):
                introspection.append(node)
                continue
            field = info.fields.get(name)
            if field is None or field.inaccessible or not field.graphs:
                raise PlanningError(f"no subgraph resolves {root_type}.{name}")
            if mutation:
                same = roots and roots[-1].service in field.graphs
                group = roots[-1] if same else self.new_root(self.best_root(field, node), roots)
            else:
                found = next((g for g in roots if g.service in field.graphs), None)
                group = found or self.new_root(self.best_root(field, node), roots)
            at = At(group, root_type, (), group.selection, keys)
            self.add_local(at, node, node.alias.value if node.alias else name, field)
        return roots, introspection

    def best_root(self, field: FieldInfo, node: FieldNode) -> str:
        """Of the subgraphs resolving a root field, the one resolving most of its selection."""
        if len(field.graphs) == 1 or node.selection_set is None:
            return field.graphs[0]
        named = self.types[field.named_type]
        wanted = self.client_keys(node.selection_set).values()

        def score(service: str) -> int:
            fields = (named.fields.get(name) for name, _ in wanted)
            return sum(1 for f in fields if f is not None and local(service, f, None))

        return max(field.graphs, key=score)

    def new_root(self, service: str, roots: list[Group]) -> Group:
        group = Group(len(self.groups), service, (), None, frozenset())
        self.groups.append(group)
        roots.append(group)
        return group

    def root_fields(
        self,
        selection_set: SelectionSetNode,
        seen: set[str],
        conditions: tuple[DirectiveNode, ...] = (),
    ) -> list[FieldNode]:
        """The root fields, out of their fragments. A fragment's `@skip`/`@include` goes onto
        each field taken out of it, so that its fetch still runs only when they say."""
        fields: list[FieldNode] = []
        for selection in selection_set.selections:
            if excluded(selection.directives):
                continue
            if isinstance(selection, FieldNode):
                if conditions:
                    directives = (*(selection.directives or ()), *conditions)
                    selection = dataclasses.replace(selection, directives=directives)
                fields.append(selection)
                continue
            inner = (*conditions, *_skip_include(selection.directives))
            if isinstance(selection, InlineFragmentNode):
                fields.extend(self.root_fields(selection.selection_set, seen, inner))
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = self.fragments[selection.name.value]
                fields.extend(self.root_fields(fragment.selection_set, seen, inner))
        return fields

    # -- selections --------------------------------------------------------------------------

    def client_keys(self, selection_set: SelectionSetNode | None) -> dict[str, tuple[str, str]]:
        """The client's response keys at one level (through fragments), with field and args."""
        keys: dict[str, tuple[str, str]] = {}
        stack = list(selection_set.selections) if selection_set else []
        seen: set[str] = set()
        while stack:
            selection = stack.pop()
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                keys.setdefault(key, (selection.name.value, print_arguments(selection)))
            elif isinstance(selection, InlineFragmentNode):
                stack.extend(selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                stack.extend(self.fragments[selection.name.value].selection_set.selections)
        return keys

    def plan_selections(self, at: At, selections: Sequence[SelectionNode]) -> set[int]:
        touched: set[int] = set()
        for node in selections:
            if excluded(node.directives):
                continue
            if isinstance(node, FieldNode):
                touched |= self.plan_field(at, node)
            else:
                touched |= self.plan_fragment(at, node)
        return touched

    def plan_fragment(self, at: At, node: SelectionNode) -> set[int]:
        if isinstance(node, FragmentSpreadNode):
            definition = self.fragments[node.name.value]
            condition = definition.type_condition.name.value
            selections = definition.selection_set.selections
        else:
            assert isinstance(node, InlineFragmentNode)
            condition = node.type_condition.name.value if node.type_condition else at.type_name
            selections = node.selection_set.selections
        directives = print_conditions(node.directives)
        if directives:
            at.group.variables.update(dict.fromkeys(variables_in(node)))
        type_name = at.type_name
        info = self.types[type_name]
        possible = self.supergraph.possible_types
        if condition == type_name or (info.kind == "OBJECT" and type_name in possible(condition)):
            if not directives:
                return self.plan_selections(at, selections)
            target = at.selection.fragment(type_name, directives)
            return self.plan_selections(
                at.moved(selection=target, directives=at.directives + directives), selections
            )
        if info.kind == "OBJECT":
            return set()
        service = at.group.service
        condition_info = self.types[condition]
        if condition_info.kind != "OBJECT" and service in condition_info.graphs:
            sub = at.moved(
                type_name=condition,
                selection=at.selection.fragment(condition, directives),
                directives=at.directives + directives,
            )
            return self.plan_selections(sub, selections)
        here = self.supergraph.possible_types_in(service, type_name)
        if not here and service in info.interface_object_graphs:
            child = self.typename_group(at)
            if child is None:
                return set()
            inner = At(child, type_name, at.path, child.selection.fragment(type_name), at.keys)
            return self.plan_fragment(inner, node) | {child.id}
        touched: set[int] = set()
        for concrete in possible(condition):
            if concrete in here:
                fragment = at.selection.fragment(concrete, directives)
                sub = at.moved(
                    type_name=concrete, selection=fragment, directives=at.directives + directives
                )
                touched |= self.plan_selections(sub, selections)
        return touched

    def plan_field(self, at: At, node: FieldNode) -> set[int]:
        name = node.name.value
        if at.internal:
            key = data_key(at.keys, name, print_arguments(node))
        else:
            key = node.alias.value if node.alias else name
        if name == "__typename":
            at.selection.add(key, name, "", print_conditions(node.directives), False)
            info = self.types[at.type_name]
            if not at.internal and at.group.service in info.interface_object_graphs:
                child = self.typename_group(at)
                return {at.group.id} if child is None else {at.group.id, child.id}
            return {at.group.id}
        info = self.types[at.type_name]
        field = info.fields.get(name)
        if field is None or (field.inaccessible and not at.internal):
            raise PlanningError(f"{at.type_name}.{name} is not in the API schema")
        service = at.group.service
        if info.kind in _ABSTRACT and not self.interface_local(service, at.type_name, name, at):
            concrete_types = self.supergraph.possible_types_in(service, at.type_name)
            if concrete_types:
                touched: set[int] = set()
                for concrete in concrete_types:
                    fragment = at.selection.fragment(concrete)
                    touched |= self.plan_field(
                        at.moved(type_name=concrete, selection=fragment), node
                    )
                return touched
        if at.isolated and not at.internal and name not in key_field_names(info, service):
            return self.jump(at, node, key, itself=True)
        if self.local_here(at, field):
            return self.add_local(at, node, key, field)
        return self.jump(at, node, key)

    def local_here(self, at: At, field: FieldInfo) -> bool:
        service = at.group.service
        if at.only_provided:
            return provided_field(at.provided, at.type_name, field.name) is not None
        return local(service, field, at.provided, at.type_name)

    def interface_local(self, service: str, type_name: str, name: str, at: At) -> bool:
        """Whether `service` resolves an interface field for every implementation it has."""
        field = self.types[type_name].fields.get(name)
        if field is None or not local(service, field, at.provided, type_name):
            return False
        for concrete in self.supergraph.possible_types_in(service, type_name):
            concrete_field = self.types[concrete].fields.get(name)
            if concrete_field is None or not local(service, concrete_field, at.provided, concrete):
                return False
        return True

    def add_local(self, at: At, node: FieldNode, key: str, field: FieldInfo) -> set[int]:
        """Fetch a field in the group at `at` itself, then plan its sub-selection there."""
        group = at.group
        name = node.name.value
        composite = node.selection_set is not None
        added = at.selection.add(
            key, name, print_arguments(node), print_conditions(node.directives), composite
        )
        if added is None:
            raise PlanningError(f"response key {key!r} is used for two fields of {at.type_name}")
        added.coordinate = added.coordinate or f"{at.type_name}.{name}"
        group.coordinates[added.coordinate] = None
        group.variables.update(dict.fromkeys(variables_in(node)))
        if node.selection_set is None or added.sub is None:
            return {group.id}
        provided = provided_field(at.provided, at.type_name, name)
        provides = field.provides.get(group.service)
        if provides is not None:
            provided = provided_map(parse_field_set(provides))
        named = self.types[field.named_type]
        through_provides = at.only_provided or (
            group.service not in field.graphs and provides is None and provided is not None
        )
        sub = At(
            group,
            named.name,
            at.path + (key,) + ("@",) * list_depth(field.type),
            added.sub,
            {} if at.internal else self.client_keys(node.selection_set),
            provided,
            at.internal,
            only_provided=through_provides and not named.keys,
        )
        if named.name in self.subjects and not self.names_subject(at, node, named):
            sub = sub.moved(isolated=True)
        if not named.keys and named.kind == "OBJECT":
            anchor = at.anchor or at
            sub = sub.moved(anchor=anchor, chain=(at.chain if at.anchor else ()) + (node,))
        if named.kind in _ABSTRACT:
            added.sub.add("__typename", "__typename", "", "", False)
        return {group.id} | self.plan_selections(sub, node.selection_set.selections)

    @staticmethod
    def names_subject(at: At, node: FieldNode, named: TypeInfo) -> bool:
        """A root field taking the subject's key as an argument: its subject is known."""
        if at.path or at.group.entity:
            return False
        keys = {k for g in named.graphs for k in key_field_names(named, g)}
        return any(argument.name.value in keys for argument in node.arguments or ())

    # -- entity jumps ------------------------------------------------------------------------

    def jump(self, at: At, node: FieldNode, key: str, *, itself: bool = False) -> set[int]:
        """Fetch a field from another subgraph (or, with `itself`, the same one) by `_entities`."""
        name = node.name.value
        found = candidates(self.types, at.group.service, at.type_name, name, itself=itself)
        if not found:
            if at.anchor is not None and at.chain:
                return self.jump_from_anchor(at, node)
            raise PlanningError(
                f"cannot resolve {at.type_name}.{name} from subgraph {at.group.service!r}: "
                "no other subgraph resolves it through a key"
            )
        service, entity_type, field = min(found, key=lambda c: self.rank(at, c, node))
        child, touched = self.prepare_jump(at, service, entity_type, field.requires.get(service))
        fragment = child.selection.fragment(entity_type, at.directives)
        child.variables.update(dict.fromkeys(n for n, _ in condition_of(at.directives)))
        target = At(child, entity_type, at.path, fragment, at.keys, internal=at.internal)
        return touched | self.add_local(target, node, key, field) | {child.id}

    def jump_from_anchor(self, at: At, node: FieldNode) -> set[int]:
        """Fetch a value-type field by re-entering it from the enclosing entity elsewhere."""
        anchor = at.anchor
        assert anchor is not None
        inner = node
        for link in reversed(at.chain):
            inner = FieldNode(
                alias=link.alias,
                name=link.name,
                arguments=link.arguments,
                directives=link.directives,
                selection_set=SelectionSetNode(selections=(inner,)),
            )
        leaf = self.types[at.type_name].fields[node.name.value]
        first = at.chain[0].name.value
        found = [
            c
            for c in candidates(self.types, anchor.group.service, anchor.type_name, first)
            if c[0] in leaf.graphs
        ]
        if not found:
            raise PlanningError(
                f"cannot resolve {at.type_name}.{node.name.value} below "
                f"{anchor.type_name}.{first}: no subgraph resolves both through a key"
            )
        service, entity_type, field = min(found, key=lambda c: self.rank(anchor, c, inner))
        child, touched = self.prepare_jump(
            anchor, service, entity_type, field.requires.get(service)
        )
        fragment = child.selection.fragment(entity_type, anchor.directives)
        child.variables.update(dict.fromkeys(n for n, _ in condition_of(anchor.directives)))
        target = At(
            child, entity_type, anchor.path, fragment, anchor.keys, internal=anchor.internal
        )
        link = at.chain[0]
        if anchor.internal:
            key = data_key(anchor.keys, first, print_arguments(link))
        else:
            key = link.alias.value if link.alias else first
        return touched | self.add_local(target, inner, key, field) | {child.id}

    def typename_group(self, at: At) -> Group | None:
        """Ask a subgraph that knows the implementations for an interface object's type."""
        info = self.types[at.type_name]
        owners = [
            g
            for g in info.graphs
            if g not in info.interface_object_graphs and info.keys_in(g, resolvable_only=True)
        ]
        if not owners:
            return None
        child, _ = self.prepare_jump(at, owners[0], at.type_name, None)
        child.selection.fragment(at.type_name).add("__typename", "__typename", "", "", False)
        return child

    def prepare_jump(
        self, at: At, service: str, entity_type: str, requires: str | None
    ) -> tuple[Group, set[int]]:
        """Plan the key (and required) fields at `at`; return the entity group to jump to."""
        entity_keys = self.types[entity_type].keys_in(service, resolvable_only=True)
        source = at.group.service
        chosen = next(
            (
                k
                for k in entity_keys
                if resolvable_set(self.types, source, at.type_name, k.selection)
            ),
            entity_keys[0],
        )
        guard = (at.type_name, at.path, entity_type, service, requires or "")
        if guard in self.active:
            raise PlanningError(f"circular requirements reaching {entity_type} in {service!r}")
        self.active.add(guard)
        try:
            required: list[SelectionNode] = [_TYPENAME, *chosen.selection.selections]
            if requires is not None:
                required.extend(parse_field_set(requires).selections)
            touched = self.plan_selections(at.moved(internal=True), required)
        finally:
            self.active.discard(guard)
        child = self.entity_group(service, at.path, at.group, frozenset(touched - {at.group.id}))
        representation = child.representations.get(at.type_name)
        if representation is None:
            representation = child.representations[at.type_name] = (entity_type, Selection())
        into = representation[1]
        into.add("__typename", "__typename", "", "", False)
        copy_required(into, chosen.selection, at.keys, True)
        if requires is not None:
            copy_required(into, parse_field_set(requires), at.keys, False)
        return child, touched

    def rank(
        self, at: At, candidate: tuple[str, str, FieldInfo], node: FieldNode
    ) -> tuple[bool, bool, int, str]:
        """Prefer a subgraph already fetched from here, then one reachable by a key at hand,
        then the one resolving most of the field's own selection."""
        service, entity_type, field = candidate
        existing = any(
            k[0] == service and k[1] == at.path and k[2] == at.group.id for k in self.by_key
        )
        direct = any(
            resolvable_set(self.types, at.group.service, at.type_name, k.selection)
            for k in self.types[entity_type].keys_in(service, resolvable_only=True)
        )
        inner = 0
        if node.selection_set is not None:
            named = self.types[field.named_type]
            for name, _ in self.client_keys(node.selection_set).values():
                sub = named.fields.get(name)
                inner += sub is not None and local(service, sub, None)
        return (not existing, not direct, -inner, service)

    def entity_group(
        self, service: str, path: PlanPath, parent: Group, deps: frozenset[int]
    ) -> Group:
        key = (service, path, parent.id, deps)
        group = self.by_key.get(key)
        if group is None:
            group = Group(len(self.groups), service, path, parent, deps)
            self.groups.append(group)
            self.by_key[key] = group
            parent.children.append(group)
        return group


def _skip_include(directives: tuple[DirectiveNode, ...] | None) -> tuple[DirectiveNode, ...]:
    """The `@skip`/`@include` directives among `directives`."""
    return tuple(d for d in directives or () if d.name.value in ("skip", "include"))
