"""An ASGI wrapper that records every GraphQL request a fixture subgraph receives."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import graphql

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Received:
    """One request as the subgraph saw it."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None

    def call(self) -> str | tuple[str, ...]:
        """`"query"`/`"mutation"` for a root fetch; for an `_entities` fetch, its
        representations as sorted canonical JSON strings (duplicates kept)."""
        document = graphql.parse(self.query)
        for definition in document.definitions:
            if not isinstance(definition, graphql.OperationDefinitionNode):
                continue
            for selection in definition.selection_set.selections:
                if isinstance(selection, graphql.FieldNode) and selection.name.value == "_entities":
                    return _representations(selection, self.variables)
            return definition.operation.value
        raise AssertionError(f"no operation in {self.query!r}")


def _representations(field: graphql.FieldNode, variables: dict[str, Any]) -> tuple[str, ...]:
    (argument,) = [a for a in field.arguments or () if a.name.value == "representations"]
    value = graphql.value_from_ast_untyped(argument.value, variables)
    return tuple(sorted(json.dumps(r, sort_keys=True) for r in value))


class Recorder:
    """Wraps `app`; `received` lists the GraphQL requests in arrival order."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.received: list[Received] = []

    def calls(self) -> list[str | tuple[str, ...]]:
        return [r.call() for r in self.received if "_service" not in r.query]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            payload = json.loads(body)
            self.received.append(
                Received(
                    payload.get("query", ""),
                    payload.get("variables") or {},
                    payload.get("operationName"),
                )
            )
        except (ValueError, AttributeError):
            pass
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
