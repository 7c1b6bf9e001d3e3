"""The gateway's HTTP face: GraphQL over HTTP at `/graphql`, GraphiQL, health and schema.

One request flows: read parameters (bounded body) → prepare the document (parse,
limits, validate; cached per text) → pick the operation → coerce variables →
`Gateway.execute`. Every refusal before execution is a `RequestError`, answered
as a GraphQL error list with `extensions.code`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    ValueNode,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from federation.auth import PURPOSE_HEADER, AuthError, Caller, authenticate
from federation.enforce import Enforcement, malformed_nin, nin_arguments
from federation.graphiql import STATIC_DIR, graphiql_page
from federation.ledger import LedgerError
from federation.limits import Limits, check_limits, list_size_from_variables
from federation.register import register_routes
from federation.security import SecurityConfig, close_enforcement, open_enforcement

if TYPE_CHECKING:
    from federation.gateway import Gateway

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
REQUEST_ID_HEADER = "joinedup-request-id"
JSON = "application/json"
MAX_CACHED_TEXT = 32_768  # characters of an operation text the document and plan caches keep
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

# Codes that refuse the HTTP request itself: the same status whatever the client accepts.
_TRANSPORT_STATUS = {
    "BAD_REQUEST": 400,
    "METHOD_NOT_ALLOWED": 405,
    "NOT_ACCEPTABLE": 406,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "INTERNAL_SERVER_ERROR": 500,
    "UNAUTHENTICATED": 401,
    "INVALID_TOKEN": 401,
    "TOKEN_EXPIRED": 401,
    "UNKNOWN_CLIENT": 403,
    "PURPOSE_REQUIRED": 403,
    "PURPOSE_NOT_PERMITTED_FOR_CLIENT": 403,
    "LEDGER_UNAVAILABLE": 503,
    "NOT_READY": 503,
}


class RequestError(Exception):
    """A request refused before execution; `errors` are formatted GraphQL errors."""

    def __init__(
        self, code: str, errors: list[dict[str, Any]], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(errors[0]["message"] if errors else code)
        self.code = code
        self.errors = errors
        self.headers = headers

    @classmethod
    def single(
        cls, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> RequestError:
        return cls(code, [{"message": message, "extensions": {"code": code}}], headers)


@dataclass(frozen=True)
class GraphQLParams:
    """The parameters of one GraphQL-over-HTTP request."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """A parsed document that passed the limits and validated against the API schema."""

    document: DocumentNode
    list_size_from_variables: bool
    nin_arguments: tuple[ValueNode, ...] = ()  # each names a subject


def create_app(
    gateway: Gateway,
    *,
    security: SecurityConfig | None,
    limits: Limits | None = None,
    document_cache_size: int = 1000,
) -> Starlette:
    """The gateway's ASGI app; its lifespan starts and closes `gateway`.

    With `security`, every request is authenticated and every field decided by
    policy (see `federation.enforce`). `security=None` must be said explicitly:
    nothing is then checked, which suits only graphs that hold no personal data.
    `app.state.prepare` is the cached document preparation (see `cache_info()`).
    """
    limits = limits or Limits()
    prepare = document_cache(gateway.api_schema, limits, maxsize=document_cache_size)
    api_sdl = gateway.supergraph.api_sdl
    graphiql = graphiql_page(endpoint="/graphql", assets="/static/graphiql")

    enforcement: list[Enforcement] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        if security is not None:
            enforcement.append(await open_enforcement(security, gateway.supergraph))
            app.state.enforcement = enforcement[0]
        else:
            logger.warning("authorization is off: fields are released without any decision")
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            if enforcement:
                await close_enforcement(enforcement.pop())
            await gateway.close()

    async def graphql_endpoint(request: Request) -> Response:
        if request.method == "GET" and _wants_html(request):
            return HTMLResponse(
                graphiql.html,
                headers={"content-security-policy": graphiql.content_security_policy},
            )
        media_type = negotiate(request.headers.get("accept"))
        try:
            if media_type is None:
                raise RequestError.single(
                    "NOT_ACCEPTABLE",
                    f"Accept must allow {GRAPHQL_RESPONSE} or {JSON}.",
                )
            caller, request_id = None, ""
            _check_http_method(request.method)  # before the token: no method is worth one
            if security is not None:
                if not enforcement:
                    # Its start-up has not run (or failed): answering now would decide nothing.
                    raise RequestError.single(
                        "NOT_READY", "The gateway is starting: its policy layer is not open yet."
                    )
                caller = _authenticate(request, security)
            params = await read_params(request, limits)
            # A long text is prepared afresh each time: a cache of a thousand of them
            # would hold gigabytes (whitespace is not a token: a text may be a megabyte).
            if len(params.query) <= MAX_CACHED_TEXT:
                prepared = prepare(params.query)
            else:
                prepared = prepare.__wrapped__(params.query)
            operation = select_operation(prepared.document, params.operation_name)
            _check_method(request.method, operation)
            variables = coerce_variables(gateway.api_schema, operation, params.variables)
            name = operation.name.value if operation.name else None
            if prepared.list_size_from_variables:
                _raise_limit_errors(
                    check_limits(
                        prepared.document,
                        limits,
                        schema=gateway.api_schema,
                        variables=variables,
                        operation_name=name,
                    )
                )
            cache_key = f"{params.query}\x00{name or ''}"
            if caller is None:
                result = await gateway.execute(
                    prepared.document, variables, name, cache_key=cache_key
                )
            else:
                malformed = malformed_nin(prepared.nin_arguments, variables)
                if malformed is not None:
                    raise RequestError.single(
                        "BAD_USER_INPUT",
                        f"`nin` must be a National Insurance number such as QQ123456C, "
                        f"not {malformed!r}.",
                    )
                request_id = str(uuid.uuid4())
                guard = enforcement[0].guard(caller, request_id)
                result = await gateway.execute(
                    prepared.document, variables, name, cache_key=cache_key, prepare=guard.prepare
                )
                try:
                    await guard.record()
                except LedgerError:
                    logger.exception("the ledger could not record a response; it is withheld")
                    raise RequestError.single(
                        "LEDGER_UNAVAILABLE",
                        "The response was withheld because the access ledger could not record it.",
                    ) from None
                if params.extensions.get("explain") is True:
                    result = _explained(result, caller, guard.decisions)
        except RequestError as error:
            return error_response(error, media_type or JSON)
        except Exception:
            logger.exception("request to /graphql failed")
            failure = RequestError.single("INTERNAL_SERVER_ERROR", "Internal server error.")
            return error_response(failure, media_type or JSON)
        # Services quote the request id when they report what an access achieved.
        headers = {REQUEST_ID_HEADER: request_id} if request_id else None
        return json_response(result, _result_status(result, media_type), media_type, headers)

    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"}, 200, JSON)

    async def readyz(request: Request) -> Response:
        if getattr(request.app.state, "ready", False):
            return json_response({"status": "ready"}, 200, JSON)
        return json_response({"status": "starting"}, 503, JSON)

    async def schema_sdl(request: Request) -> Response:
        return Response(api_sdl, media_type="text/plain; charset=utf-8")

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=ALL_METHODS),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/schema.graphql", schema_sdl),
            Route("/favicon.ico", favicon),
            *register_routes(lambda: gateway.supergraph, security.ledger if security else None),
            Mount("/static", GZipMiddleware(StaticFiles(directory=STATIC_DIR)), name="static"),
        ],
        lifespan=lifespan,
    )
    app.state.ready = False
    app.state.prepare = prepare
    app.state.limits = limits
    return app


def _authenticate(request: Request, security: SecurityConfig) -> Caller:
    try:
        return authenticate(
            request.headers.get("authorization"),
            request.headers.get(PURPOSE_HEADER),
            security.verifier,
            security.clients,
        )
    except AuthError as refused:
        headers = {"www-authenticate": "Bearer"} if refused.status == 401 else None
        raise RequestError.single(refused.code, refused.message, headers) from None


def _explained(
    result: dict[str, Any], caller: Caller, decisions: list[dict[str, Any]]
) -> dict[str, Any]:
    """The response with its decisions in `extensions`, for a token allowed to see them."""
    if not caller.explain:
        note = {"explain": "this token may not ask for explanations (no `explain` scope)"}
        return {**result, "extensions": note}
    return {**result, "extensions": {"decisions": decisions}}


def document_cache(
    schema: GraphQLSchema, limits: Limits, *, maxsize: int = 1000
) -> functools._lru_cache_wrapper[Prepared]:
    """`prepare(text)`: parse, check limits, validate; successes are cached (LRU by text),
    and `prepare.__wrapped__(text)` does the same without the cache.

    Every operation in the text must pass the limits, checked before validation so that
    an oversized document never reaches the validator. When list sizes come from variables
    the cost is checked per request instead, with the variables' values.
    Refusals raise `RequestError` and are not cached, so bad texts cannot crowd out good ones.
    """

    @functools.lru_cache(maxsize=maxsize)
    def prepare(text: str) -> Prepared:
        try:
            document = parse(text, max_tokens=limits.max_tokens)
        except GraphQLError as error:
            raise RequestError(
                "GRAPHQL_PARSE_FAILED", [_with_code(error, "GRAPHQL_PARSE_FAILED")]
            ) from None
        sized_by_variables = list_size_from_variables(document)
        errors = check_limits(document, limits, schema=schema)
        if sized_by_variables:
            errors = [e for e in errors if _code(e) != "MAX_COST_EXCEEDED"]
        _raise_limit_errors(errors)
        errors = validate(schema, document)
        if errors:
            code = "GRAPHQL_VALIDATION_FAILED"
            raise RequestError(code, [_with_code(e, code) for e in errors])
        return Prepared(document, sized_by_variables, nin_arguments(document))

    return prepare


def _code(error: GraphQLError) -> str:
    return str((error.extensions or {}).get("code", "BAD_REQUEST"))


def _raise_limit_errors(errors: list[GraphQLError]) -> None:
    if errors:
        raise RequestError(_code(errors[0]), [dict(e.formatted) for e in errors])


def _with_code(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    formatted["extensions"] = {"code": code, **(formatted.get("extensions") or {})}
    return formatted


async def read_params(request: Request, limits: Limits) -> GraphQLParams:
    """The request's GraphQL parameters from the query string (GET) or a JSON body (POST)."""
    if request.method == "GET":
        if len(request.scope["query_string"]) > limits.max_body_bytes:
            raise _too_large(limits)
        raw = dict(request.query_params)
        for key in ("variables", "extensions"):
            if key in raw:
                message = f"The '{key}' parameter must be a JSON object."
                raw[key] = _loads(raw[key].encode(), message)
        return _params(raw)
    content_type = request.headers.get("content-type", "")  # a POST: the method is checked first
    media, *options = (part.strip().lower() for part in content_type.split(";"))
    if media != JSON:
        raise RequestError.single(
            "UNSUPPORTED_MEDIA_TYPE", f"POST bodies must be {JSON}, not '{content_type}'."
        )
    for option in options:
        key, _, value = option.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') != "utf-8":
            raise RequestError.single("UNSUPPORTED_MEDIA_TYPE", "Request bodies must be UTF-8.")
    body = await _read_body(request, limits)
    raw = _loads(body, "The request body is not valid JSON.")
    if not isinstance(raw, dict):
        raise RequestError.single("BAD_REQUEST", "The request body must be a JSON object.")
    return _params(raw)


async def _read_body(request: Request, limits: Limits) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise _too_large(limits)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise _too_large(limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limits: Limits) -> RequestError:
    return RequestError.single(
        "PAYLOAD_TOO_LARGE", f"The request is larger than {limits.max_body_bytes} bytes."
    )


def _loads(data: bytes, message: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise RequestError.single("BAD_REQUEST", message) from None


def _params(raw: Mapping[str, Any]) -> GraphQLParams:
    query = raw.get("query")
    if not isinstance(query, str):
        problem = "is missing" if query is None else "must be a string"
        raise RequestError.single("BAD_REQUEST", f"The 'query' parameter {problem}.")
    if not query.strip():
        raise RequestError.single("BAD_REQUEST", "The 'query' parameter is empty.")
    variables = raw.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError.single("BAD_REQUEST", "The 'variables' parameter must be an object.")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError.single("BAD_REQUEST", "The 'operationName' parameter must be a string.")
    extensions = raw.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError.single("BAD_REQUEST", "The 'extensions' parameter must be an object.")
    return GraphQLParams(query, variables or {}, operation_name or None, extensions or {})


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    """The operation to run: the named one, or the only one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    code = "OPERATION_RESOLUTION_FAILURE"
    if operation_name is None:
        if len(operations) == 1:
            return operations[0]
        raise RequestError.single(
            code, "The document has several operations: choose one with 'operationName'."
        )
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise RequestError.single(code, f"Unknown operation named '{operation_name}'.")


def _check_http_method(method: str) -> None:
    if method not in ("GET", "POST"):
        raise RequestError.single(
            "METHOD_NOT_ALLOWED",
            f"{method} is not supported: use GET or POST.",
            {"allow": "GET, POST"},
        )


def _check_method(method: str, operation: OperationDefinitionNode) -> None:
    if operation.operation is OperationType.SUBSCRIPTION:
        raise RequestError.single("BAD_REQUEST", "Subscriptions are not supported over HTTP.")
    if method == "GET" and operation.operation is not OperationType.QUERY:
        kind = operation.operation.value.capitalize()
        raise RequestError.single(
            "METHOD_NOT_ALLOWED", f"{kind} operations need POST, not GET.", {"allow": "POST"}
        )


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> dict[str, Any]:
    """Variables coerced to the operation's definitions (defaults filled in)."""
    result = get_variable_values(
        schema, operation.variable_definitions or (), variables, max_errors=50
    )
    if isinstance(result, list):
        raise RequestError("BAD_USER_INPUT", [_with_code(e, "BAD_USER_INPUT") for e in result])
    return result.coerced


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when neither kind is acceptable."""
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, *options = (item.strip() for item in part.split(";"))
        media = media.lower()
        quality = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if not 0 < quality <= 1:  # also refuses NaN
            continue
        if media == GRAPHQL_RESPONSE:
            candidate = (quality, 2, GRAPHQL_RESPONSE)
        elif media in (JSON, "application/*", "*/*"):
            candidate = (quality, 1 if media == JSON else 0, JSON)
        else:
            continue
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else None


def _wants_html(request: Request) -> bool:
    return "query" not in request.query_params and "text/html" in request.headers.get("accept", "")


def error_response(error: RequestError, media_type: str) -> Response:
    """A GraphQL error list with the status the GraphQL-over-HTTP spec asks for."""
    status = _TRANSPORT_STATUS.get(error.code)
    if status is None:
        # GraphQL request errors: 400 for the new media type, 200 for legacy JSON clients.
        status = 400 if media_type == GRAPHQL_RESPONSE else 200
    return json_response({"errors": error.errors}, status, media_type, error.headers)


def _result_status(result: Mapping[str, Any], media_type: str) -> int:
    # A response without `data` means execution never started: not a 2xx for the new media type.
    if media_type == GRAPHQL_RESPONSE and "data" not in result:
        return 500
    return 200


def json_response(
    content: Any, status: int, media_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    try:
        body = orjson.dumps(content)
    except TypeError:
        logger.exception("response is not JSON-serialisable")
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": "Internal server error.",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                ]
            }
        )
        status = 500
    return Response(
        body, status_code=status, media_type=f"{media_type}; charset=utf-8", headers=headers
    )
