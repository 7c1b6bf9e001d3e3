"""A department checks every request against the gateway's signed grant before answering.

The check works out, from the operation and the subgraph's own schema, which
field coordinates are asked for about which subject (the NIN of each
`Citizen` representation, or the `nin` argument of a root field; "" for data
about no citizen), and refuses the whole request when any of them is not in
the grant. Schema introspection (`_service`) needs no grant: composition reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
    value_from_ast_untyped,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from joinedup import grants
from subgraphs.federated import CACHED_DOCUMENTS

ENTITY_SUBJECT_TYPE = "Citizen"
FREE_ROOT_FIELDS = frozenset({"_service", "__typename", "__schema", "__type"})
# Read before any grant is checked, and operation texts are cached (512 of them): the
# gateway's requests are a few kilobytes.
MAX_BODY_BYTES = 262_144
MAX_TOKENS = 20_000  # the gateway's operations are a few hundred


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        if name is None or (operation.name and operation.name.value == name):
            return operation
    raise GraphQLError("no such operation")


class _Walk:
    """What a selection asks for, collected as GraphQL's CollectFields does for each type an
    object may have. `@skip` and `@include` are not applied: a field they might leave out
    still counts, so the check can refuse more than is asked, never less."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # What a fragment asks of a type, worked out once: spreading it again costs a lookup,
        # so fragments spreading each other many times cannot make the walk exponential.
        self.spread: dict[tuple[str, str], frozenset[str]] = {}

    def coordinates(
        self, parent: GraphQLNamedType, selections: SelectionSetNode | None, into: set[str]
    ) -> set[str]:
        """The coordinates asked under `parent`: of each possible type, when it is abstract."""
        if isinstance(parent, GraphQLObjectType):
            self.on_type(parent, selections, into, frozenset())
        elif isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
            for possible in self.schema.get_possible_types(parent):
                self.on_type(possible, selections, into, frozenset())
        return into

    def on_type(
        self,
        runtime: GraphQLObjectType,
        selections: SelectionSetNode | None,
        into: set[str],
        spreading: frozenset[str],
    ) -> set[str]:
        """The coordinates `selections` ask of an object whose type is `runtime`."""
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                field = runtime.fields.get(name)
                if field is not None:
                    into.add(f"{runtime.name}.{name}")
                    self.coordinates(get_named_type(field.type), selection.selection_set, into)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, runtime):
                    self.on_type(runtime, selection.selection_set, into, spreading)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                # A fragment spreading itself is refused by validation later: not followed here.
                if (
                    fragment is not None
                    and name not in spreading
                    and self._applies(fragment.type_condition, runtime)
                ):
                    known = self.spread.get((name, runtime.name))
                    if known is None:
                        inner = self.on_type(
                            runtime, fragment.selection_set, set(), spreading | {name}
                        )
                        known = self.spread[(name, runtime.name)] = frozenset(inner)
                    into.update(known)
        return into

    def _applies(self, condition: NamedTypeNode | None, runtime: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        type_ = self.schema.get_type(condition.name.value)
        if type_ is runtime:
            return True
        return isinstance(type_, GraphQLInterfaceType | GraphQLUnionType) and (
            self.schema.is_sub_type(type_, runtime)
        )

    def by_type(self, selections: SelectionSetNode | None) -> dict[str, frozenset[str]]:
        """For `_entities`: the coordinates asked of each type it may return."""
        entity = self.schema.get_type("_Entity")
        if not isinstance(entity, GraphQLUnionType):
            return {}
        return {
            t.name: frozenset(self.on_type(t, selections, set(), frozenset()))
            for t in self.schema.get_possible_types(entity)
        }


@dataclass(frozen=True, slots=True)
class RootRead:
    """One root field of an operation and the coordinates asked under it.

    The same for every request with the operation's text: only the subjects (the
    representations, or a `nin` argument) come from each request's variables.
    """

    name: str
    arguments: tuple[ArgumentNode, ...]
    coordinates: frozenset[str]  # under a root field
    per_type: Mapping[str, frozenset[str]] | None = None  # under `_entities`, by type


@dataclass(frozen=True, slots=True)
class Reading:
    """What an operation asks for, whoever it is about."""

    roots: tuple[RootRead, ...]  # its root fields, but those anyone may ask (`_service`)
    defaults: Mapping[str, Any]  # its variables' default values, for those a request omits


def reading(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None
) -> Reading:
    """What each root field of the operation asks for, whoever it is about."""
    operation = _operation(document, operation_name)
    root = schema.get_root_type(operation.operation)
    if root is None:
        raise GraphQLError("the schema has no such operation type")
    walk = _Walk(schema, document)
    reads = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            raise GraphQLError("root fragments are not accepted by departments")
        name = selection.name.value
        arguments = tuple(selection.arguments or ())
        if name in FREE_ROOT_FIELDS:
            continue
        if name == "_entities":
            per_type = walk.by_type(selection.selection_set)
            reads.append(RootRead(name, arguments, frozenset(), per_type))
            continue
        field = root.fields.get(name)
        if field is None:
            continue
        asked = walk.coordinates(get_named_type(field.type), selection.selection_set, set())
        reads.append(RootRead(name, arguments, frozenset(asked)))
    defaults = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    return Reading(tuple(reads), defaults)


def requested_by(read: Reading, variables: Mapping[str, Any]) -> dict[str, set[str]]:
    """Subject → the field coordinates asked about that subject, given the variables."""
    asked: dict[str, set[str]] = {}
    values = {**read.defaults, **variables}
    for root in read.roots:
        arguments = {a.name.value: value_from_ast_untyped(a.value, values) for a in root.arguments}
        if root.per_type is not None:
            representations = arguments.get("representations")
            for representation in representations if isinstance(representations, list) else ():
                if not isinstance(representation, dict):
                    continue
                typename = representation.get("__typename")
                subject = representation.get("nin") if typename == ENTITY_SUBJECT_TYPE else ""
                fields = root.per_type.get(str(typename), frozenset())
                asked.setdefault(str(subject or ""), set()).update(fields)
            continue
        subject = str(arguments.get("nin") or "")
        asked.setdefault(subject, set()).update(root.coordinates)
    return asked


def requested(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    operation_name: str | None = None,
) -> dict[str, set[str]]:
    """Subject → the field coordinates the operation asks for about that subject."""
    return requested_by(reading(schema, document, operation_name), variables)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, from the gateway's grant: the service, and the citizen acting for themselves."""

    client: str | None = None
    citizen: str | None = None


def caller_of(
    headers: Mapping[str, str], gateway_key: Ed25519PublicKey | None, department: str
) -> Caller:
    """The caller named by the request's grant; nobody when it has none (or a bad one).

    With the gateway's key the grant must verify; without one (a trusted network) it is
    read unverified.
    """
    token = headers.get(grants.HEADER)
    if not token:
        return Caller()
    if gateway_key is not None:
        try:
            grant = grants.verify(token, gateway_key, department)
        except grants.GrantError:
            return Caller()
        return Caller(client=grant.client or None, citizen=grant.citizen)
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return Caller()
    client, citizen = claims.get("client"), claims.get("citizen")
    return Caller(
        client=client if isinstance(client, str) and client else None,
        citizen=citizen if isinstance(citizen, str) and citizen else None,
    )


NOT_GRANTED = "(a subject the grant does not name)"


def excess(asked: Mapping[str, set[str]], grant: grants.Grant) -> dict[str, list[str]]:
    """What is asked beyond the grant, by subject (empty when the request is within it).

    A subject the grant does not name is beyond it even when nothing but its key is asked:
    an answer would say whether the department knows them.
    """
    over = {}
    for subject, coordinates in asked.items():
        granted = grant.subjects.get(subject)
        beyond = coordinates - (granted or frozenset())
        if granted is None:
            over[subject] = sorted(beyond) or [NOT_GRANTED]
        elif beyond:
            over[subject] = sorted(beyond)
    return over


class GrantCheck:
    """ASGI middleware: answer only what the gateway's grant allows."""

    def __init__(
        self, app: ASGIApp, schema: GraphQLSchema, key: Ed25519PublicKey, department: str
    ) -> None:
        self.app = app
        self.schema = schema
        self.key = key
        self.department = department
        # The gateway sends a handful of operation texts over and over: read each once.
        self._reading = lru_cache(maxsize=CACHED_DOCUMENTS)(self._read)

    def _read(self, query: str, operation_name: str | None) -> Reading:
        return reading(self.schema, parse(query, max_tokens=MAX_TOKENS), operation_name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        refusal = (413, "the body is too large") if size > MAX_BODY_BYTES else None
        refusal = refusal or self.check(scope, body)
        if refusal is not None:
            status, text = refusal
            payload = orjson.dumps(
                {"errors": [{"message": text, "extensions": {"code": "GRANT_REFUSED"}}]}
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def check(self, scope: Scope, body: bytes) -> tuple[int, str] | None:
        if scope.get("method") != "POST":
            return (405, "departments answer POST requests only")
        try:
            payload = orjson.loads(body)
            if not isinstance(payload, dict):
                raise TypeError("the body must be a JSON object")
            variables = payload.get("variables") or {}
            if not isinstance(variables, dict):
                raise TypeError("`variables` must be an object")
            read = self._reading(payload["query"], payload.get("operationName"))
            asked = requested_by(read, variables)
        except (orjson.JSONDecodeError, KeyError, TypeError, GraphQLError) as error:
            return (400, f"not a GraphQL request: {error}")
        except RecursionError:
            return (400, "not a GraphQL request: it is nested too deeply")
        if not read.roots:
            return None  # only what anyone may ask, such as the SDL for composition
        bare = [root.name for root in read.roots if root.per_type is None and not root.coordinates]
        if bare:
            # Only `__typename` under a root field: no grant names what it would do or say.
            return (403, f"`{bare[0]}` selects no field a grant can cover")
        headers = dict(scope.get("headers") or ())
        token = headers.get(grants.HEADER.encode(), b"").decode() or None
        try:
            grant = grants.verify(token, self.key, self.department)
        except grants.GrantError as error:
            return (error.status, str(error))
        over = excess(asked, grant)
        if over:
            return (403, f"asked for more than the grant allows: {orjson.dumps(over).decode()}")
        return None
