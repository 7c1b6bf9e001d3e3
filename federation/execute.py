"""Run a query plan: fetch from subgraphs, merge along the plan, shape the response.

Before each fetch is sent, a `prepare` function turns the fetch and its
representations into the requests to send. The default sends everything in
one request; a policy stage can pass its own to split or narrow requests per
subject, or refuse fields with errors, before any data leaves a department.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from federation._plan_shape import included
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
class FetchRequest:
    """One request to send for a fetch."""

    operation: str
    variables: Variables
    indices: tuple[int, ...] = ()
    """For entity fetches: which of the fetch's representations this request carries."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """What to send for one fetch, and errors for anything refused before sending.

    Error paths are as a subgraph would give them: from the root for root fetches,
    `["_entities", i, ...]` (i into the fetch's representations) for entity fetches.
    """

    requests: tuple[FetchRequest, ...]
    errors: tuple[GraphQLErrorDict, ...] = field(default_factory=tuple)


Prepare = Callable[[Fetch, Sequence[JSONObject] | None, Variables], Awaitable[Prepared]]
Send = Callable[[str, str, Variables], Awaitable[SubgraphResponse]]


async def prepare_all(
    fetch: Fetch, representations: Sequence[JSONObject] | None, variables: Variables
) -> Prepared:
    """Send the whole fetch in one request."""
    if representations is None:
        return Prepared((FetchRequest(fetch.operation, variables),))
    sent = {**variables, "representations": list(representations)}
    return Prepared((FetchRequest(fetch.operation, sent, tuple(range(len(representations)))),))


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
    if plan.node is not None:
        await run.node(plan.node)
    data = shape_response(plan.shape, run.data, effective, run.errors, run.covered)
    response: JSONObject = {"data": data}
    if run.errors:
        response["errors"] = run.errors
    return response


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
        if isinstance(node, Fetch):
            await self.root_fetch(node)
        elif isinstance(node, Flatten):
            await self.entity_fetch(node)
        elif isinstance(node, SequenceNode):
            for child in node.nodes:
                await self.node(child)
        elif isinstance(node, Parallel):
            if node.batches:
                await self.parallel_batched(node)
            else:
                await asyncio.gather(*(self.node(child) for child in node.nodes))

    def used_variables(self, fetch: Fetch) -> Variables:
        given = self.variables
        return {name: given[name] for name in fetch.variable_usages if name in given}

    def wanted(self, fetch: Fetch) -> bool:
        return fetch.conditions is None or included(fetch.conditions, self.effective)

    async def root_fetch(self, fetch: Fetch) -> None:
        if not self.wanted(fetch):
            return
        prepared = await self.prepare(fetch, None, self.used_variables(fetch))
        for error in prepared.errors:
            self.errors.append(_passed_on(error, fetch.service, _root_path(error)))
        responses = await asyncio.gather(
            *(self.send(fetch.service, r.operation, r.variables) for r in prepared.requests)
        )
        for response in responses:
            if response.failure is not None:
                self.unavailable(fetch, response.failure, [(k,) for k in fetch.root_keys])
                continue
            if response.data:
                merge(self.data, response.data)
            for error in response.errors:
                self.errors.append(_passed_on(error, fetch.service, _root_path(error)))

    async def entity_fetch(self, flatten: Flatten) -> None:
        step = await self.entity_step(flatten)
        if step is not None:
            await self.send_step(step)

    async def entity_step(self, flatten: Flatten) -> _EntityStep | None:
        """Representations for an entity fetch, and what `prepare` says to send."""
        fetch = flatten.node
        if not self.wanted(fetch):
            return None
        representations, origins = _representations(
            objects_at(self.data, flatten.path), fetch.representations or {}
        )
        if not representations:
            return None
        prepared = await self.prepare(fetch, representations, self.used_variables(fetch))
        for error in prepared.errors:
            self.entity_errors(fetch, error, origins, None)
        return _EntityStep(fetch, origins, prepared.requests)

    async def send_step(self, step: _EntityStep) -> None:
        fetch = step.fetch
        responses = await asyncio.gather(
            *(self.send(fetch.service, r.operation, r.variables) for r in step.requests)
        )
        for request, response in zip(step.requests, responses, strict=True):
            self.entity_response(step, request, response, "_entities")

    def entity_response(
        self, step: _EntityStep, request: FetchRequest, response: SubgraphResponse, field: str
    ) -> None:
        fetch, origins = step.fetch, step.origins
        if response.failure is not None:
            paths = [at for i in request.indices for _, at in origins[i]]
            self.unavailable(fetch, response.failure, paths)
            return
        entities = (response.data or {}).get(field)
        if isinstance(entities, list):
            for position, entity in enumerate(entities[: len(request.indices)]):
                if type(entity) is dict:
                    for target, _ in origins[request.indices[position]]:
                        merge(target, entity)
        for error in response.errors:
            path = error.get("path")
            if isinstance(path, list) and path and path[0] == field:
                error = {**error, "path": ["_entities", *path[1:]]}
            self.entity_errors(fetch, error, origins, request.indices)

    async def parallel_batched(self, node: Parallel) -> None:
        batched = {i for batch in node.batches for i in batch.indices}
        await asyncio.gather(
            *(self.node(child) for i, child in enumerate(node.nodes) if i not in batched),
            *(self.batch(batch, node.nodes) for batch in node.batches),
        )

    async def batch(self, batch: Batch, nodes: tuple[PlanNode, ...]) -> None:
        """Send a step's entity fetches to one subgraph in one request when they allow it."""
        members = [n for i in batch.indices if isinstance(n := nodes[i], Flatten)]
        found = await asyncio.gather(*(self.entity_step(member) for member in members))
        steps = [s for s in found if s is not None]
        whole = len(steps) == len(batch.indices) and all(
            len(s.requests) == 1 and s.requests[0].operation == s.fetch.operation for s in steps
        )
        if not whole:
            await asyncio.gather(*(self.send_step(s) for s in steps))
            return
        variables: Variables = {}
        for index, step in enumerate(steps):
            for name, value in step.requests[0].variables.items():
                variables[f"representations{index}" if name == "representations" else name] = value
        response = await self.send(batch.service, batch.operation, variables)
        aliases = [f"_e{index}" for index in range(len(steps))]
        for index, step in enumerate(steps):
            errors = [e for e in response.errors if _path_head(e) == aliases[index]]
            if index == 0:  # errors not about one fetch are passed on once
                errors += [e for e in response.errors if _path_head(e) not in aliases]
            own = SubgraphResponse(response.data, errors, response.failure)
            self.entity_response(step, step.requests[0], own, aliases[index])

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


@dataclass(frozen=True, slots=True)
class _EntityStep:
    fetch: Fetch
    origins: list[list[tuple[JSONObject, ResponsePath]]]
    requests: tuple[FetchRequest, ...]


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
    for target, at in objects:
        builder = builders.get(target.get("__typename"))  # type: ignore[arg-type]
        if builder is None:
            continue
        representation = _copy(target, builder.fields)
        if representation is None:
            continue
        representation["__typename"] = builder.typename
        identity: Hashable
        try:
            identity = tuple(representation.values())
            hash(identity)
        except TypeError:  # nested key fields: compare their JSON
            identity = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
        index = seen.get(identity)
        if index is None:
            index = seen[identity] = len(representations)
            representations.append(representation)
            origins.append([])
        origins[index].append((target, at))
    return representations, origins


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
