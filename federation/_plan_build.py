"""Build a query plan: route each field of an operation to the subgraphs that resolve it.

Fields go to fetch groups. A group is one request to one subgraph: a root
fetch, or an `_entities` fetch at a path below its parent group. Fields a
group's subgraph cannot resolve jump to another subgraph through a key the
two share; the key fields (and any `@requires` fields) are first planned at
the same place, which may itself need jumps: those groups become the new
group's dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    print_ast,
)

from federation._plan_select import (
    Selection,
    list_depth,
    print_arguments,
    print_conditions,
    provided_map,
    variables_in,
)
from federation.plan import (
    Fetch,
    Flatten,
    Parallel,
    PlanningError,
    PlanNode,
    RepresentationField,
    RepresentationType,
    Sequence,
)
from federation.supergraph import FieldInfo, Supergraph, parse_field_set
from federation.types import PlanPath

Provided = Mapping[str, Any] | None
ClientKeys = Mapping[str, tuple[str, str]]

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


class Planner:
    """Routes one operation's fields into fetch groups."""

    def __init__(
        self, supergraph: Supergraph, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.supergraph = supergraph
        self.types = supergraph.types
        self.fragments = fragments
        self.groups: list[Group] = []
        self.by_key: dict[tuple[str, PlanPath, int, frozenset[int]], Group] = {}
        self.active: set[tuple[str, PlanPath, str, str]] = set()

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
            if name == "__typename":
                continue
            if name in ("__schema", "__type"):
                introspection.append(node)
                continue
            field = info.fields.get(name)
            if field is None or not field.graphs:
                raise PlanningError(f"no subgraph resolves {root_type}.{name}")
            if mutation:
                same = roots and roots[-1].service in field.graphs
                group = roots[-1] if same else self.new_root(field.graphs[0], roots)
            else:
                found = next((g for g in roots if g.service in field.graphs), None)
                group = found or self.new_root(field.graphs[0], roots)
            key = node.alias.value if node.alias else name
            self.add_local(
                group, root_type, (), node, group.selection, key, field, None, keys, False
            )
        return roots, introspection

    def new_root(self, service: str, roots: list[Group]) -> Group:
        group = Group(len(self.groups), service, (), None, frozenset())
        self.groups.append(group)
        roots.append(group)
        return group

    def root_fields(self, selection_set: SelectionSetNode, seen: set[str]) -> list[FieldNode]:
        fields: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                fields.extend(self.root_fields(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = self.fragments[selection.name.value]
                fields.extend(self.root_fields(fragment.selection_set, seen))
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

    @staticmethod
    def data_key(keys: ClientKeys, name: str, args: str) -> str:
        """Where a field the planner adds is stored: its name unless the client uses that key."""
        key = name
        while key in keys and keys[key] != (name, args):
            key = "_" + key
        return key

    def plan_selections(
        self,
        group: Group,
        type_name: str,
        path: PlanPath,
        selections: tuple[SelectionNode, ...] | list[SelectionNode],
        selection: Selection,
        keys: ClientKeys,
        provided: Provided,
        internal: bool,
    ) -> set[int]:
        touched: set[int] = set()
        for node in selections:
            if isinstance(node, FieldNode):
                touched |= self.plan_field(
                    group, type_name, path, node, selection, keys, provided, internal
                )
            else:
                touched |= self.plan_fragment(
                    group, type_name, path, node, selection, keys, provided, internal
                )
        return touched

    def plan_fragment(
        self,
        group: Group,
        type_name: str,
        path: PlanPath,
        node: SelectionNode,
        selection: Selection,
        keys: ClientKeys,
        provided: Provided,
        internal: bool,
    ) -> set[int]:
        if isinstance(node, FragmentSpreadNode):
            definition = self.fragments[node.name.value]
            condition = definition.type_condition.name.value
            selections = definition.selection_set.selections
        else:
            assert isinstance(node, InlineFragmentNode)
            condition = node.type_condition.name.value if node.type_condition else type_name
            selections = node.selection_set.selections
        directives = print_conditions(node.directives)
        if directives:
            group.variables.update(dict.fromkeys(variables_in(node)))
        info = self.types[type_name]
        possible = self.supergraph.possible_types
        if condition == type_name or (info.kind == "OBJECT" and type_name in possible(condition)):
            target = selection.fragment(type_name, directives) if directives else selection
            return self.plan_selections(
                group, type_name, path, selections, target, keys, provided, internal
            )
        if info.kind == "OBJECT":
            return set()
        condition_info = self.types[condition]
        if condition_info.kind != "OBJECT" and group.service in condition_info.graphs:
            return self.plan_selections(
                group,
                condition,
                path,
                selections,
                selection.fragment(condition, directives),
                keys,
                provided,
                internal,
            )
        here = self.supergraph.possible_types_in(group.service, type_name)
        touched: set[int] = set()
        for concrete in possible(condition):
            if concrete in here:
                touched |= self.plan_selections(
                    group,
                    concrete,
                    path,
                    selections,
                    selection.fragment(concrete, directives),
                    keys,
                    provided,
                    internal,
                )
        return touched

    def plan_field(
        self,
        group: Group,
        type_name: str,
        path: PlanPath,
        node: FieldNode,
        selection: Selection,
        keys: ClientKeys,
        provided: Provided,
        internal: bool,
    ) -> set[int]:
        name = node.name.value
        args = print_arguments(node)
        if internal:
            key = self.data_key(keys, name, args)
        else:
            key = node.alias.value if node.alias else name
        if name == "__typename":
            selection.add(key, name, "", print_conditions(node.directives), False)
            return {group.id}
        info = self.types[type_name]
        field = info.fields.get(name)
        if field is None or field.inaccessible:
            raise PlanningError(f"{type_name}.{name} is not in the API schema")
        if info.kind in _ABSTRACT and not self.interface_local(group.service, type_name, name):
            touched: set[int] = set()
            for concrete in self.supergraph.possible_types_in(group.service, type_name):
                touched |= self.plan_field(
                    group,
                    concrete,
                    path,
                    node,
                    selection.fragment(concrete),
                    keys,
                    provided,
                    internal,
                )
            return touched
        if self.local(group.service, field, provided):
            sub_provided = provided.get(name) if provided else None
            return self.add_local(
                group, type_name, path, node, selection, key, field, sub_provided, keys, internal
            )
        return self.jump(group, type_name, path, node, selection, key, keys, provided, internal)

    @staticmethod
    def local(service: str, field: FieldInfo, provided: Provided) -> bool:
        if service in field.graphs and service not in field.requires:
            return True
        return provided is not None and field.name in provided

    def interface_local(self, service: str, type_name: str, name: str) -> bool:
        """Whether `service` resolves an interface field for every implementation it has."""
        info = self.types[type_name]
        field = info.fields.get(name)
        if field is None or not self.local(service, field, None):
            return False
        for concrete in self.supergraph.possible_types_in(service, type_name):
            concrete_field = self.types[concrete].fields.get(name)
            if concrete_field is None or not self.local(service, concrete_field, None):
                return False
        return True

    def add_local(
        self,
        group: Group,
        type_name: str,
        path: PlanPath,
        node: FieldNode,
        selection: Selection,
        key: str,
        field: FieldInfo,
        provided: Provided,
        keys: ClientKeys,
        internal: bool,
    ) -> set[int]:
        """Fetch a field in `group` itself, then plan its sub-selection there."""
        name = node.name.value
        composite = node.selection_set is not None
        added = selection.add(
            key, name, print_arguments(node), print_conditions(node.directives), composite
        )
        if added is None:
            raise PlanningError(f"response key {key!r} is used for two fields of {type_name}")
        group.coordinates[f"{type_name}.{name}"] = None
        group.variables.update(dict.fromkeys(variables_in(node)))
        if not composite or added.sub is None:
            return {group.id}
        provides = field.provides.get(group.service)
        if provides is not None:
            provided = provided_map(parse_field_set(provides))
        named = field.named_type
        if self.types[named].kind in _ABSTRACT:
            added.sub.add("__typename", "__typename", "", "", False)
        sub_path = path + (key,) + ("@",) * list_depth(field.type)
        sub_keys = {} if internal else self.client_keys(node.selection_set)
        assert node.selection_set is not None
        touched = self.plan_selections(
            group,
            named,
            sub_path,
            node.selection_set.selections,
            added.sub,
            sub_keys,
            provided,
            internal,
        )
        return touched | {group.id}

    # -- entity jumps ------------------------------------------------------------------------

    def jump(
        self,
        group: Group,
        type_name: str,
        path: PlanPath,
        node: FieldNode,
        selection: Selection,
        key: str,
        keys: ClientKeys,
        provided: Provided,
        internal: bool,
    ) -> set[int]:
        """Fetch a field from another subgraph through an `_entities` call."""
        name = node.name.value
        candidates = self.candidates(group.service, type_name, name)
        if not candidates:
            raise PlanningError(
                f"cannot resolve {type_name}.{name} from subgraph {group.service!r}: "
                "no other subgraph resolves it through a key"
            )
        service, entity_type, field = min(
            candidates, key=lambda c: self.rank(group, type_name, path, provided, c)
        )
        entity_keys = self.types[entity_type].keys_in(service, resolvable_only=True)
        chosen = next(
            (k for k in entity_keys if self.resolvable_set(group.service, type_name, k.selection)),
            entity_keys[0],
        )
        guard = (type_name, path, name, service)
        if guard in self.active:
            raise PlanningError(f"circular requirements reaching {type_name}.{name}")
        self.active.add(guard)
        try:
            required: list[SelectionNode] = [_TYPENAME, *chosen.selection.selections]
            requires = field.requires.get(service)
            if requires is not None:
                required.extend(parse_field_set(requires).selections)
            touched = self.plan_selections(
                group, type_name, path, required, selection, keys, provided, True
            )
        finally:
            self.active.discard(guard)
        deps = frozenset(touched - {group.id})
        child = self.entity_group(service, path, group, deps)
        representation = child.representations.get(type_name)
        if representation is None:
            representation = child.representations[type_name] = (entity_type, Selection())
        into = representation[1]
        into.add("__typename", "__typename", "", "", False)
        self.copy_required(into, chosen.selection, keys, True)
        if requires is not None:
            self.copy_required(into, parse_field_set(requires), keys, False)
        target = child.selection.fragment(entity_type)
        touched = self.add_local(
            child, entity_type, path, node, target, key, field, None, keys, internal
        )
        return touched | {child.id}

    def candidates(
        self, service: str, type_name: str, name: str
    ) -> list[tuple[str, str, FieldInfo]]:
        """(subgraph, entity type to send, field) for each place that can resolve the field."""
        info = self.types[type_name]
        field = info.fields[name]
        found: list[tuple[str, str, FieldInfo]] = []
        for graph in field.graphs:
            if graph != service or graph in field.requires:
                found.append((graph, type_name, field))
        if not field.graphs or field.via_interface_object:
            interfaces = dict.fromkeys(i for v in info.implements.values() for i in v)
            for interface in interfaces:
                interface_info = self.types[interface]
                interface_field = interface_info.fields.get(name)
                if interface_field is None:
                    continue
                for graph in interface_field.graphs:
                    if graph in interface_info.interface_object_graphs:
                        found.append((graph, interface, interface_field))
        return [c for c in found if self.types[c[1]].keys_in(c[0], resolvable_only=True)]

    def rank(
        self,
        group: Group,
        type_name: str,
        path: PlanPath,
        provided: Provided,
        candidate: tuple[str, str, FieldInfo],
    ) -> tuple[bool, bool, str]:
        service, entity_type, _ = candidate
        existing = any(k[0] == service and k[1] == path and k[2] == group.id for k in self.by_key)
        direct = any(
            self.resolvable_set(group.service, type_name, k.selection)
            for k in self.types[entity_type].keys_in(service, resolvable_only=True)
        )
        return (not existing, not direct, service)

    def resolvable_set(self, service: str, type_name: str, selection_set: SelectionSetNode) -> bool:
        """Whether `service` resolves every field of a field set on `type_name` itself."""
        info = self.types.get(type_name)
        if info is None:
            return False
        for node in selection_set.selections:
            if not isinstance(node, FieldNode):
                return False
            field = info.fields.get(node.name.value)
            if field is None or not self.local(service, field, None):
                return False
            sub = node.selection_set
            if sub is not None and not self.resolvable_set(service, field.named_type, sub):
                return False
        return True

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

    def copy_required(
        self, into: Selection, selection_set: SelectionSetNode, keys: ClientKeys, is_key: bool
    ) -> None:
        for node in selection_set.selections:
            if not isinstance(node, FieldNode):
                if isinstance(node, InlineFragmentNode):
                    self.copy_required(into, node.selection_set, keys, is_key)
                continue
            args = print_arguments(node)
            name = node.name.value
            added = into.add(
                self.data_key(keys, name, args), name, args, "", node.selection_set is not None
            )
            if added is None:
                continue
            added.required_key = added.required_key or is_key
            if node.selection_set is not None and added.sub is not None:
                self.copy_required(added.sub, node.selection_set, {}, is_key)

    # -- output ------------------------------------------------------------------------------

    def node(self, group: Group, definitions: Mapping[str, str], kind: str) -> PlanNode:
        fetch = self.fetch(group, definitions, kind)
        first: PlanNode = Flatten(group.path, fetch) if group.entity else fetch
        if not group.children:
            return first
        steps: list[PlanNode] = [first]
        for stage in self.stages(group.children):
            nodes = tuple(self.node(child, definitions, "query") for child in stage)
            steps.append(nodes[0] if len(nodes) == 1 else Parallel(nodes))
        return Sequence(tuple(steps))

    def stages(self, children: list[Group]) -> list[list[Group]]:
        """Order sibling groups: one that needs data from another's subtree runs after it."""
        subtree = {c.id: self.subtree_ids(c) for c in children}
        level: dict[int, int] = {}
        for child in children:  # creation order: dependencies come first
            level[child.id] = max(
                (level[o.id] + 1 for o in children if o.id in level and child.deps & subtree[o.id]),
                default=0,
            )
        stages: list[list[Group]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
        for child in children:
            stages[level[child.id]].append(child)
        return stages

    def subtree_ids(self, group: Group) -> frozenset[int]:
        ids = {group.id}
        for child in group.children:
            ids |= self.subtree_ids(child)
        return frozenset(ids)

    def fetch(self, group: Group, definitions: Mapping[str, str], kind: str) -> Fetch:
        used = [v for v in definitions if v in group.variables]
        if group.entity:
            declared = ["$representations: [_Any!]!", *(definitions[v] for v in used)]
            body = group.selection.compact()
            operation = (
                f"query({', '.join(declared)}) "
                f"{{ _entities(representations: $representations) {body} }}"
            )
            wanted = Selection()
            built: dict[str, RepresentationType] = {}
            for type_name, (sent, fields) in group.representations.items():
                wanted.fragments[(sent, "")] = fields
                built[type_name] = RepresentationType(sent, _representation(fields))
            representations: dict[str, RepresentationType] | None = built
            requires: Selection | None = wanted
        else:
            head = f"{kind}({', '.join(definitions[v] for v in used)})" if used else kind
            operation = f"{head} {group.selection.compact()}"
            requires = None
            representations = None
        return Fetch(
            id=group.id,
            service=group.service,
            operation=operation,
            variable_usages=tuple(used),
            selection=group.selection.text(),
            coordinates=tuple(group.coordinates),
            representations=representations,
            requires=requires.text() if requires is not None else "",
            root_keys=() if group.entity else tuple(group.selection.fields),
        )


def _representation(selection: Selection) -> tuple[RepresentationField, ...]:
    return tuple(
        RepresentationField(
            f.key, f.name, f.required_key, _representation(f.sub) if f.sub is not None else None
        )
        for f in selection.fields.values()
        if f.name != "__typename"
    )


def variable_definitions(operation: OperationDefinitionNode) -> dict[str, str]:
    return {
        d.variable.name.value: print_ast(d).replace("\n", " ")
        for d in operation.variable_definitions or ()
    }
