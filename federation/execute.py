"""Run a query plan: fetch from subgraphs, merge along the plan, shape the response.

The plan runs in steps: a step is the fetches that can go out together (the
children of a `Parallel`, or a lone fetch). Before a step is sent, one call to
`prepare` turns each of its fetches, with the representations built for it,
into the requests to send. The default sends every fetch whole; a policy
stage can pass its own to split or narrow requests per subject, or refuse
fields with errors, before any data leaves a department: one decision per
step, whatever its size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from federation._plan_shape import ObjectShape, included
from federation.fetch import SubgraphResponse
from federation.merge import merge, objects_at, shape_response
from federation.plan import (
    Batch,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RepresentationField,
    RepresentationType,
)
from federation.plan import Sequence as SequenceNode
from federation.types import GraphQLErrorDict, JSONObject, ResponsePath, Variables

DOWNSTREAM_SERVICE_ERROR = "DOWNSTREAM_SERVICE_ERROR"
SUBGRAPH_UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class FetchInput:
    """One fetch of a step as the prepare stage sees it."""

    fetch: Fetch
    representations: Sequence[JSONObject] | None
    """De-duplicated representations (entity fetches); None for root fetches."""
    variables: Variables
    """The operation's variables this fetch uses."""


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One request to send for a fetch."""

    operation: str
    variables: Variables
    indices: tuple[int, ...] = ()
    """For entity fetches: which of the fetch's representations this request carries."""
    headers: Mapping[str, str] | None = None
    """Extra HTTP headers, such as the policy stage's signed grant."""
    rewrite: Callable[[int, JSONObject], None] | None = None
    """Applied to each answer before it is merged: to entity `i` of this request, or to a
    root fetch's `data` (with 0). The policy stage applies its obligations here."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """What to send for one fetch, and errors for anything refused before sending.

    Error paths are as a subgraph would give them: from the root for root fetches,
    `["_entities", i, ...]` (i into the fetch's representations) for entity fetches.
    """

    requests: tuple[FetchRequest, ...]
    errors: tuple[GraphQLErrorDict, ...] = field(default_factory=tuple)


Prepare = Callable[[Sequence[FetchInput]], Awaitable[Sequence[Prepared]]]
"""Given a step's fetches, what to send for each (in the same order)."""

Send = Callable[[str, str, Variables, Mapping[str, str] | None], Awaitable[SubgraphResponse]]


def send_whole(item: FetchInput) -> Prepared:
    """One request with the whole fetch and all its representations."""
    if item.representations is None:
        return Prepared((FetchRequest(item.fetch.operation, item.variables),))
    count = len(item.representations)
    sent = {**item.variables, "representations": list(item.representations)}
    return Prepared((FetchRequest(item.fetch.operation, sent, tuple(range(count))),))


async def prepare_all(items: Sequence[FetchInput]) -> list[Prepared]:
    """Send every fetch whole."""
    return [send_whole(item) for item in items]


async def execute_plan(
    plan: QueryPlan,
    variables: Variables,
    send: Send,
    prepare: Prepare = prepare_all,
    introspect: Callable[[], tuple[JSONObject | None, list[GraphQLErrorDict]]] | None = None,
) -> JSONObject:
    """Run a plan; the result is the client's response (`data`, and `errors` if any)."""
    effective = {**plan.variable_defaults, **variables} if plan.variable_defaults else variables
    run = _Run(variables, effective, send, prepare)
    if introspect is not None:
        data, errors = introspect()
        if data:
            run.data.update(data)
        run.errors.extend(errors)
    if plan.serial_roots and isinstance(plan.node, SequenceNode):
        await run.serially(plan.node.nodes, plan.shape)
    elif plan.node is not None:
        await run.node(plan.node)
    data = shape_response(plan.shape, run.data, effective, run.errors, run.covered)
    response: JSONObject = {"data": data}
    if run.errors:
        response["errors"] = run.errors
    return response


@dataclass(frozen=True, slots=True)
class _Item:
    """A fetch of the current step, ready to send."""

    index: int
    """Position in the step."""
    fetch: Fetch
    origins: list[list[tuple[JSONObject, ResponsePath]]] | None
    """For each representation, the merged objects it came from (entity fetches)."""
    requests: tuple[FetchRequest, ...]


class _Run:
    """The state of one plan run: the merged data and the errors so far."""

    __slots__ = ("covered", "data", "effective", "errors", "prepare", "send", "variables")

    def __init__(
        self, variables: Variables, effective: Variables, send: Send, prepare: Prepare
    ) -> None:
        self.variables = variables
        self.effective = effective
        self.send = send
        self.prepare = prepare
        self.data: JSONObject = {}
        self.errors: list[GraphQLErrorDict] = []
        self.covered: list[ResponsePath] = []

    async def node(self, node: PlanNode) -> None:
        if isinstance(node, SequenceNode):
            for child in node.nodes:
                await self.node(child)
        else:
            await self.step(node)

    async def serially(self, roots: tuple[PlanNode, ...], shape: ObjectShape) -> None:
        """Mutation fields in order; none runs once an earlier one has nulled `data`."""
        done: set[str] = set()
        for root in roots:
            await self.node(root)
            first = root.nodes[0] if isinstance(root, SequenceNode) else root
            if isinstance(first, Fetch):
                done.update(first.root_keys)
            fields = tuple(f for f in shape.fallback if f.key in done)
            so_far = ObjectShape(shape.type_name, False, {shape.type_name: fields}, fields)
            if shape_response(so_far, self.data, self.effective, list(self.errors)) is None:
                return

    async def step(self, node: Fetch | Flatten | Parallel) -> None:
        """Run one step: its first fetches together, then what follows each of them."""
        children = node.nodes if isinstance(node, Parallel) else (node,)
        firsts: list[PlanNode] = []
        rests: list[tuple[PlanNode, ...]] = []
        for child in children:
            if isinstance(child, SequenceNode):
                firsts.append(child.nodes[0])
                rests.append(child.nodes[1:])
            else:
                firsts.append(child)
        items = await self.prepared(firsts)
        batches = node.batches if isinstance(node, Parallel) else ()
        await _together(self.sends(items, batches))
        if rests:
            await _together([self.node(SequenceNode(rest)) for rest in rests if rest])

    async def prepared(self, firsts: list[PlanNode]) -> list[_Item]:
        """Representations for the step's fetches, then one `prepare` call for all."""
        inputs: list[FetchInput] = []
        found: list[tuple[int, Fetch, list[list[tuple[JSONObject, ResponsePath]]] | None]] = []
        step_representations: dict[Hashable, Any] = {}
        for index, first in enumerate(firsts):
            fetch = first.node if isinstance(first, Flatten) else first
            if not isinstance(fetch, Fetch) or not self.wanted(fetch):
                continue
            given = self.used_variables(fetch)
            if isinstance(first, Flatten):
                # Fetches of one step at the same path with the same keys (one per
                # department, typically) share their representations: build them once.
                builders = fetch.representations or {}
                shared = (first.path, tuple(sorted(builders.items())))
                built = step_representations.get(shared)
                if built is None:
                    built = _representations(objects_at(self.data, first.path), builders)
                    step_representations[shared] = built
                representations, origins = built
                if not representations:
                    continue
                inputs.append(FetchInput(fetch, representations, given))
                found.append((index, fetch, origins))
            else:
                inputs.append(FetchInput(fetch, None, given))
                found.append((index, fetch, None))
        if not inputs:
            return []
        decisions = await self.prepare(inputs)
        items: list[_Item] = []
        for (index, fetch, sources), prepared in zip(found, decisions, strict=True):
            for error in prepared.errors:
                if sources is None:
                    self.errors.append(_passed_on(error, fetch.service, _root_path(error)))
                else:
                    self.entity_errors(fetch, error, sources, None)
            items.append(_Item(index, fetch, sources, prepared.requests))
        return items

    def sends(self, items: list[_Item], batches: tuple[Batch, ...]) -> list[Awaitable[None]]:
        """The requests of a step: one per fetch, or one per `Batch` when left whole."""
        by_index = {item.index: item for item in items}
        batched: set[int] = set()
        sends: list[Awaitable[None]] = []
        for batch in batches:
            members = [by_index.get(i) for i in batch.indices]
            if all(m is not None and _whole(m) for m in members):
                sends.append(self.send_batch(batch, [m for m in members if m is not None]))
                batched.update(batch.indices)
        for item in items:
            if item.index not in batched:
                sends.extend(self.send_request(item, request) for request in item.requests)
        return sends

    def used_variables(self, fetch: Fetch) -> Variables:
        given = self.variables
        return {name: given[name] for name in fetch.variable_usages if name in given}

    def wanted(self, fetch: Fetch) -> bool:
        return fetch.conditions is None or included(fetch.conditions, self.effective)

    async def send_request(self, item: _Item, request: FetchRequest) -> None:
        response = await self.send(
            item.fetch.service, request.operation, request.variables, request.headers
        )
        if item.origins is None:
            if request.rewrite is not None and response.data:
                request.rewrite(0, response.data)
            self.root_response(item.fetch, response)
        else:
            self.entity_response(item, request, response, "_entities")

    async def send_batch(self, batch: Batch, members: list[_Item]) -> None:
        variables: Variables = {}
        for position, member in enumerate(members):
            for name, value in member.requests[0].variables.items():
                variables[f"representations{position}" if name == "representations" else name] = (
                    value
                )
        response = await self.send(batch.service, batch.operation, variables, None)
        aliases = [f"_e{position}" for position in range(len(members))]
        for position, member in enumerate(members):
            errors = [e for e in response.errors if _path_head(e) == aliases[position]]
            if position == 0:  # errors not about one fetch are passed on once
                errors += [e for e in response.errors if _path_head(e) not in aliases]
            own = SubgraphResponse(response.data, errors, response.failure)
            self.entity_response(member, member.requests[0], own, aliases[position])

    def root_response(self, fetch: Fetch, response: SubgraphResponse) -> None:
        if response.failure is not None:
            self.unavailable(fetch, response.failure, [(k,) for k in fetch.root_keys])
            return
        if response.data:
            merge(self.data, response.data)
        for error in response.errors:
            self.errors.append(_passed_on(error, fetch.service, _root_path(error)))

    def entity_response(
        self, item: _Item, request: FetchRequest, response: SubgraphResponse, field: str
    ) -> None:
        fetch, origins = item.fetch, item.origins
        assert origins is not None
        if response.failure is not None:
            paths = [at for i in request.indices for _, at in origins[i]]
            self.unavailable(fetch, response.failure, paths)
            return
        entities = (response.data or {}).get(field)
        if isinstance(entities, list):
            rewrite, indices = request.rewrite, request.indices
            for position, (entity, index) in enumerate(zip(entities, indices, strict=False)):
                if type(entity) is dict:
                    if rewrite is not None:
                        rewrite(position, entity)
                    for target, _ in origins[index]:
                        if target.keys().isdisjoint(entity):  # the usual case, without a call
                            target.update(entity)
                        else:
                            merge(target, entity)
        for error in response.errors:
            path = error.get("path")
            if isinstance(path, list) and path and path[0] == field:
                error = {**error, "path": ["_entities", *path[1:]]}
            self.entity_errors(fetch, error, origins, request.indices)

    def entity_errors(
        self,
        fetch: Fetch,
        error: GraphQLErrorDict,
        origins: list[list[tuple[JSONObject, ResponsePath]]],
        indices: tuple[int, ...] | None,
    ) -> None:
        path = error.get("path")
        if (
            isinstance(path, list)
            and len(path) >= 2
            and path[0] == "_entities"
            and isinstance(path[1], int)
        ):
            position = path[1]
            index = indices[position] if indices is not None and position < len(indices) else None
            if indices is None and position < len(origins):
                index = position
            if index is not None and index < len(origins):
                for _, at in origins[index]:
                    self.errors.append(_passed_on(error, fetch.service, [*at, *path[2:]]))
                return
        self.errors.append(_passed_on(error, fetch.service, None))

    def unavailable(self, fetch: Fetch, reason: str, paths: list[ResponsePath]) -> None:
        self.covered.extend(paths)
        error: GraphQLErrorDict = {
            "message": f"Subgraph {fetch.service!r} is unavailable: {reason}.",
            "extensions": {"code": SUBGRAPH_UNAVAILABLE, "serviceName": fetch.service},
        }
        prefix = _common_prefix(paths)
        if prefix:
            error["path"] = list(prefix)
        self.errors.append(error)


async def _together(awaitables: list[Awaitable[None]]) -> None:
    """Await all at once; a lone one directly, without a task of its own."""
    if len(awaitables) == 1:
        await awaitables[0]
    elif awaitables:
        await asyncio.gather(*awaitables)


def _whole(item: _Item) -> bool:
    """Whether a fetch goes out unchanged, in one request (so it can join a batch)."""
    return (
        item.origins is not None
        and len(item.requests) == 1
        and item.requests[0].operation == item.fetch.operation
        and item.requests[0].headers is None
        and item.requests[0].rewrite is None
    )


def _path_head(error: GraphQLErrorDict) -> Any:
    path = error.get("path")
    return path[0] if isinstance(path, list) and path else None


def _representations(
    objects: list[tuple[JSONObject, ResponsePath]],
    builders: Mapping[str, RepresentationType],
) -> tuple[list[JSONObject], list[list[tuple[JSONObject, ResponsePath]]]]:
    """De-duplicated representations and, for each, the objects it came from."""
    representations: list[JSONObject] = []
    origins: list[list[tuple[JSONObject, ResponsePath]]] = []
    seen: dict[Hashable, int] = {}
    single = _single_keys(builders)
    for origin in objects:
        target = origin[0]
        typename = target.get("__typename")
        key = single.get(typename)  # type: ignore[arg-type]
        representation: JSONObject | None
        if key is not None and type(value := target.get(key[0])) is str:
            # The usual key, one string: built and told apart without the general steps.
            representation = {key[1]: value, "__typename": key[2]}
            identity: Hashable = (value, key[2])  # what `_identity` would make of it
        else:
            builder = builders.get(typename)  # type: ignore[arg-type]
            representation = None if builder is None else _copy(target, builder.fields)
            if builder is None or representation is None:
                continue
            representation["__typename"] = builder.typename
            identity = _identity(representation)
        index = seen.get(identity)
        if index is None:
            seen[identity] = len(representations)
            representations.append(representation)
            origins.append([origin])
        else:
            origins[index].append(origin)
    return representations, origins


def _identity(representation: JSONObject) -> Hashable:
    """What makes two representations the same: their values, or their JSON when nested."""
    try:
        identity = tuple(representation.values())
        hash(identity)
    except TypeError:  # nested key fields: compare their JSON
        return orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
    return identity


def _single_keys(builders: Mapping[str, RepresentationType]) -> dict[str, tuple[str, str, str]]:
    """(data key, name, typename sent) of the types whose representation is one scalar key."""
    single: dict[str, tuple[str, str, str]] = {}
    for typename, builder in builders.items():
        if len(builder.fields) == 1:
            spec = builder.fields[0]
            if spec.key and spec.fields is None and spec.name != "__typename":
                single[typename] = (spec.data_key, spec.name, builder.typename)
    return single


def _copy(source: JSONObject, fields: tuple[RepresentationField, ...]) -> JSONObject | None:
    """Copy the representation fields of an object; None when a key field is null."""
    out: JSONObject = {}
    for spec in fields:
        value = source.get(spec.data_key)
        if value is None:
            if spec.key:
                return None
        elif spec.fields is not None:
            value = _copy_value(value, spec.fields, spec.key)
            if value is None and spec.key:
                return None
        out[spec.name] = value
    return out


def _copy_value(value: Any, fields: tuple[RepresentationField, ...], key: bool) -> Any:
    if type(value) is list:
        items = [_copy_value(item, fields, key) for item in value]
        return None if key and any(i is None for i in items) else items
    if type(value) is dict:
        return _copy(value, fields)
    return None


def _root_path(error: GraphQLErrorDict) -> list[Any] | None:
    path = error.get("path")
    return path if isinstance(path, list) else None


def _passed_on(error: GraphQLErrorDict, service: str, path: list[Any] | None) -> GraphQLErrorDict:
    """A subgraph error as the client sees it: its path rewritten, its code kept."""
    extensions = error.get("extensions")
    extensions = dict(extensions) if isinstance(extensions, dict) else {}
    extensions.setdefault("code", DOWNSTREAM_SERVICE_ERROR)
    extensions["serviceName"] = service
    out: GraphQLErrorDict = {"message": str(error.get("message", "Subgraph error"))}
    if path is not None:
        out["path"] = path
    out["extensions"] = extensions
    return out


def _common_prefix(paths: list[ResponsePath]) -> ResponsePath:
    if not paths:
        return ()
    prefix = paths[0]
    for path in paths[1:]:
        length = 0
        for a, b in zip(prefix, path, strict=False):
            if a != b:
                break
            length += 1
        prefix = prefix[:length]
    return prefix
