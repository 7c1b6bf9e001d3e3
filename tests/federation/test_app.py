"""The gateway's HTTP app over real HTTP, in front of two tiny strawberry subgraphs.

`tiny_subgraphs()` and `SUPERGRAPH` are shared by the other HTTP tests of the gateway.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from federation.app import create_app
from federation.gateway import Gateway
from federation.graphiql import STATIC_DIR
from federation.limits import Limits
from tests.servers import serve

NAMES = {"1": "Ada Lovelace", "2": "Grace Hopper", "3": "Alan Turing"}
LETTERS = {"1": ["Tax code notice"], "2": ["Pension forecast", "Tax code notice"], "3": []}


@strawberry.federation.type(keys=["id"])
class Person:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Person:
        return Person(id=id, name=NAMES[str(id)])


@strawberry.type
class PeopleQuery:
    @strawberry.field
    def person(self, id: strawberry.ID) -> Person | None:
        return Person(id=id, name=NAMES[str(id)]) if str(id) in NAMES else None

    @strawberry.field
    def people(self, first: int = 10) -> list[Person]:
        return [Person(id=strawberry.ID(k), name=v) for k, v in list(NAMES.items())[:first]]


@strawberry.type
class Letter:
    subject: str


@strawberry.federation.type(keys=["id"], name="Person")
class LettersPerson:
    id: strawberry.ID

    @strawberry.field
    def letters(self) -> list[Letter]:
        return [Letter(subject=s) for s in LETTERS.get(str(self.id), [])]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> LettersPerson:
        return LettersPerson(id=id)


@strawberry.type
class LettersQuery:
    @strawberry.field
    def letter_count(self) -> int:
        return sum(len(v) for v in LETTERS.values())


@strawberry.type
class LettersMutation:
    @strawberry.mutation
    def send(self, to: strawberry.ID, subject: str) -> Letter:
        return Letter(subject=subject)  # nothing is stored: the tests only route it


PEOPLE_SCHEMA = strawberry.federation.Schema(query=PeopleQuery, types=[Person])
LETTERS_SCHEMA = strawberry.federation.Schema(
    query=LettersQuery, mutation=LettersMutation, types=[LettersPerson]
)

SUPERGRAPH = """schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{
  query: Query
  mutation: Mutation
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, \
type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable \
on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable \
on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable \
on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA

scalar join__FieldSet

enum join__Graph {
  LETTERS @join__graph(name: "letters", url: "$letters/graphql")
  PEOPLE @join__graph(name: "people", url: "$people/graphql")
}

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

type Letter
  @join__type(graph: LETTERS)
{
  subject: String!
}

type Mutation
  @join__type(graph: LETTERS)
{
  send(to: ID!, subject: String!): Letter!
}

type Person
  @join__type(graph: LETTERS, key: "id")
  @join__type(graph: PEOPLE, key: "id")
{
  id: ID!
  letters: [Letter!]! @join__field(graph: LETTERS)
  name: String! @join__field(graph: PEOPLE)
}

type Query
  @join__type(graph: LETTERS)
  @join__type(graph: PEOPLE)
{
  letterCount: Int! @join__field(graph: LETTERS)
  people(first: Int! = 10): [Person!]! @join__field(graph: PEOPLE)
  person(id: ID!): Person @join__field(graph: PEOPLE)
}
"""


def subgraph_app(schema: strawberry.federation.Schema) -> Starlette:
    return Starlette(routes=[Route("/graphql", GraphQL(schema), methods=["GET", "POST"])])


@contextlib.contextmanager
def tiny_subgraphs() -> Iterator[dict[str, str]]:
    """Both subgraphs served over real HTTP: name → base URL."""
    with (
        serve(subgraph_app(PEOPLE_SCHEMA)) as people,
        serve(subgraph_app(LETTERS_SCHEMA)) as letters,
    ):
        yield {"people": people, "letters": letters}


def supergraph_for(urls: dict[str, str]) -> str:
    return SUPERGRAPH.replace("$letters", urls["letters"]).replace("$people", urls["people"])


@contextlib.contextmanager
def gateway_app(limits: Limits | None = None) -> Iterator[tuple[Starlette, str]]:
    """The gateway app over the tiny subgraphs, served over real HTTP: (app, base URL)."""
    with tiny_subgraphs() as urls:
        gateway = Gateway.from_supergraph_sdl(supergraph_for(urls))
        app = create_app(gateway, security=None, limits=limits)
        with serve(app) as url:
            yield app, url


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: Any
    headers: dict[str, str]


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> Reply:
    """One request; the body is decoded as JSON when the response says it is JSON."""
    headers = dict(headers or {})
    if json is not None:
        data = orjson.dumps(json)
        headers.setdefault("content-type", "application/json")
    async with session.request(method, url, data=data, headers=headers, params=params) as resp:
        raw = await resp.read()
        content_type = resp.headers.get("content-type", "")
        body: Any = orjson.loads(raw) if "json" in content_type else raw.decode()
        return Reply(resp.status, content_type, body, dict(resp.headers))


GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Starlette, str]]:
    with gateway_app(Limits(max_depth=6, max_body_bytes=20_000, max_cost=8)) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def url(served: tuple[Starlette, str]) -> str:
    return served[1] + "/graphql"


async def test_post_returns_data_joined_from_both_subgraphs(
    client: aiohttp.ClientSession, url: str
) -> None:
    query = "{ person(id: 2) { name letters { subject } } }"
    reply = await send(client, "POST", url, json={"query": query}, headers=GRAPHQL_RESPONSE)
    assert reply.status == 200
    assert reply.content_type == "application/graphql-response+json; charset=utf-8"
    assert reply.body == {
        "data": {
            "person": {
                "name": "Grace Hopper",
                "letters": [{"subject": "Pension forecast"}, {"subject": "Tax code notice"}],
            }
        }
    }


async def test_get_runs_queries_from_the_query_string(
    client: aiohttp.ClientSession, url: str
) -> None:
    params = {
        "query": "query Named($n: Int!) { people(first: $n) { id } }",
        "variables": '{"n": 2}',
        "operationName": "Named",
    }
    reply = await send(client, "GET", url, params=params)
    assert reply.status == 200
    assert reply.body == {"data": {"people": [{"id": "1"}, {"id": "2"}]}}


async def test_mutations_run_over_post_only(client: aiohttp.ClientSession, url: str) -> None:
    mutation = 'mutation { send(to: 1, subject: "Hello") { subject } }'
    reply = await send(client, "POST", url, json={"query": mutation})
    assert reply.body == {"data": {"send": {"subject": "Hello"}}}
    reply = await send(client, "GET", url, params={"query": mutation})
    assert reply.status == 405
    assert reply.headers["Allow"] == "POST", reply.headers
    assert reply.body["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/graphql-response+json", "application/graphql-response+json"),
        (
            "application/json;q=0.5, application/graphql-response+json",
            "application/graphql-response+json",
        ),
        (
            "application/json, application/graphql-response+json;q=0.5",
            "application/json",
        ),
        ("application/graphql-response+json;q=0, application/*", "application/json"),
        ("text/html, */*;q=0.1", "application/json"),
    ],
)
async def test_the_response_type_follows_accept(
    client: aiohttp.ClientSession, url: str, accept: str | None, expected: str
) -> None:
    headers = {"accept": accept} if accept else {"accept": ""}
    reply = await send(client, "POST", url, json={"query": "{ letterCount }"}, headers=headers)
    assert reply.status == 200
    assert reply.content_type == f"{expected}; charset=utf-8"
    assert reply.body == {"data": {"letterCount": 3}}


async def test_an_unacceptable_accept_gets_406(client: aiohttp.ClientSession, url: str) -> None:
    reply = await send(
        client, "POST", url, json={"query": "{ letterCount }"}, headers={"accept": "text/plain"}
    )
    assert reply.status == 406
    assert reply.body["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_validation_errors_are_400_or_200_for_legacy_json(
    client: aiohttp.ClientSession, url: str
) -> None:
    body = {"query": "{ person(id: 1) { nmae } }"}
    reply = await send(client, "POST", url, json=body, headers=GRAPHQL_RESPONSE)
    assert reply.status == 400
    [error] = reply.body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nmae" in error["message"]
    assert "data" not in reply.body
    legacy = await send(client, "POST", url, json=body, headers={"accept": "application/json"})
    assert legacy.status == 200
    assert legacy.body == reply.body


async def test_parse_errors_carry_their_location(client: aiohttp.ClientSession, url: str) -> None:
    reply = await send(
        client, "POST", url, json={"query": "{ person(id: 1) {"}, headers=GRAPHQL_RESPONSE
    )
    assert reply.status == 400
    [error] = reply.body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["locations"] == [{"line": 1, "column": 18}]


async def test_the_operation_is_chosen_by_name(client: aiohttp.ClientSession, url: str) -> None:
    query = "query A { letterCount } query B { person(id: 3) { name } }"
    reply = await send(client, "POST", url, json={"query": query, "operationName": "B"})
    assert reply.body == {"data": {"person": {"name": "Alan Turing"}}}
    reply = await send(client, "POST", url, json={"query": query, "operationName": "A"})
    assert reply.body == {"data": {"letterCount": 3}}
    for name, message in [
        (None, "The document has several operations: choose one with 'operationName'."),
        ("C", "Unknown operation named 'C'."),
    ]:
        reply = await send(
            client,
            "POST",
            url,
            json={"query": query, "operationName": name},
            headers=GRAPHQL_RESPONSE,
        )
        assert reply.status == 400
        assert reply.body["errors"] == [
            {"message": message, "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"}}
        ]


async def test_variables_are_coerced_and_checked(client: aiohttp.ClientSession, url: str) -> None:
    query = """
        query ($id: ID!, $first: Int = 1) { person(id: $id) { name } people(first: $first) { id } }
    """
    reply = await send(client, "POST", url, json={"query": query, "variables": {"id": 1}})
    assert reply.body == {"data": {"person": {"name": "Ada Lovelace"}, "people": [{"id": "1"}]}}
    for variables, fragment in [
        ({}, "Variable '$id' has invalid value: Expected a value of non-null type 'ID!'"),
        ({"id": 1, "first": "many"}, "Int cannot represent non-integer value: 'many'"),
        ({"id": None}, "Variable '$id' has invalid value: Expected value of non-null type"),
    ]:
        reply = await send(
            client,
            "POST",
            url,
            json={"query": query, "variables": variables},
            headers=GRAPHQL_RESPONSE,
        )
        assert reply.status == 400
        [error] = reply.body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert fragment in error["message"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "The request body is not valid JSON."),
        (b"[1, 2]", "The request body must be a JSON object."),
        (b'"{ letterCount }"', "The request body must be a JSON object."),
        (b"{}", "The 'query' parameter is missing."),
        (b'{"query": ""}', "The 'query' parameter is empty."),
        (b'{"query": 42}', "The 'query' parameter must be a string."),
        (
            b'{"query": "{ letterCount }", "variables": [1]}',
            "The 'variables' parameter must be an object.",
        ),
        (
            b'{"query": "{ letterCount }", "operationName": 1}',
            "The 'operationName' parameter must be a string.",
        ),
        (
            b'{"query": "{ letterCount }", "extensions": "x"}',
            "The 'extensions' parameter must be an object.",
        ),
    ],
)
async def test_bad_requests_get_400_whatever_the_accept(
    client: aiohttp.ClientSession, url: str, data: bytes, message: str
) -> None:
    for accept in ("application/json", "application/graphql-response+json"):
        reply = await send(
            client,
            "POST",
            url,
            data=data,
            headers={"content-type": "application/json", "accept": accept},
        )
        assert reply.status == 400
        assert reply.body == {
            "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]
        }


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        'Application/JSON; Charset="UTF-8"',
        "application/json;x=1",
    ],
)
async def test_json_bodies_may_name_their_charset(
    client: aiohttp.ClientSession, url: str, content_type: str
) -> None:
    body = b'{"query": "{ letterCount }"}'
    reply = await send(client, "POST", url, data=body, headers={"content-type": content_type})
    assert reply.body == {"data": {"letterCount": 3}}


@pytest.mark.parametrize(
    "content_type", ["application/graphql", "text/plain", "", "application/json; charset=latin-1"]
)
async def test_post_bodies_must_be_utf8_json(
    client: aiohttp.ClientSession, url: str, content_type: str
) -> None:
    body = b'{"query": "{ letterCount }"}'
    reply = await send(client, "POST", url, data=body, headers={"content-type": content_type})
    assert reply.status == 415
    assert reply.body["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_limits_apply_over_http(client: aiohttp.ClientSession, url: str) -> None:
    within = "{ person(id: 1) { letters { subject } } }"
    reply = await send(client, "POST", url, json={"query": within}, headers=GRAPHQL_RESPONSE)
    assert reply.status == 200
    # Limits are checked before validation: these fields do not even exist.
    too_deep = "{ a { b { c { d { e { f { g } } } } } } }"
    reply = await send(client, "POST", url, json={"query": too_deep}, headers=GRAPHQL_RESPONSE)
    assert reply.status == 400
    assert [e["extensions"]["code"] for e in reply.body["errors"]] == ["MAX_DEPTH_EXCEEDED"]
    huge = {"query": "{ letterCount }" + " " * 20_000}
    reply = await send(client, "POST", url, json=huge, headers=GRAPHQL_RESPONSE)
    assert reply.status == 413
    assert reply.body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_cost_uses_list_sizes_from_variables(client: aiohttp.ClientSession, url: str) -> None:
    # With the default list size (10) this would cost 11, over the limit of 8.
    query = "query ($n: Int!) { people(first: $n) { letters { subject } } }"
    body: dict[str, Any] = {"query": query, "variables": {"n": 2}}
    reply = await send(client, "POST", url, json=body, headers=GRAPHQL_RESPONSE)
    assert reply.status == 200
    assert len(reply.body["data"]["people"]) == 2
    refused: list[dict[str, Any]] = [
        {"query": query, "variables": {"n": 50}},
        {"query": "{ people(first: 50) { letters { subject } } }"},
    ]
    for body in refused:
        reply = await send(client, "POST", url, json=body, headers=GRAPHQL_RESPONSE)
        assert reply.status == 400
        [error] = reply.body["errors"]
        assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "limit": 8, "found": 51}


async def test_each_text_is_parsed_and_validated_once(
    client: aiohttp.ClientSession, served: tuple[Starlette, str], url: str
) -> None:
    prepare = served[0].state.prepare
    query = "{ people(first: 3) { name } }  # cached"
    before = prepare.cache_info()
    for _ in range(3):
        reply = await send(client, "POST", url, json={"query": query})
        assert reply.body["data"]["people"][2] == {"name": "Alan Turing"}
    after = prepare.cache_info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 2


async def test_refused_texts_are_not_cached(
    client: aiohttp.ClientSession, served: tuple[Starlette, str], url: str
) -> None:
    prepare = served[0].state.prepare
    before = prepare.cache_info()
    for _ in range(2):
        await send(client, "POST", url, json={"query": "{ nope }"})
    after = prepare.cache_info()
    assert after.currsize == before.currsize
    assert after.hits == before.hits


async def test_health_and_readiness(
    client: aiohttp.ClientSession, served: tuple[Starlette, str]
) -> None:
    base = served[1]
    reply = await send(client, "GET", f"{base}/healthz")
    assert (reply.status, reply.body) == (200, {"status": "ok"})
    reply = await send(client, "GET", f"{base}/readyz")
    assert (reply.status, reply.body) == (200, {"status": "ready"})


async def test_readiness_follows_the_lifespan(client: aiohttp.ClientSession) -> None:
    with tiny_subgraphs() as urls:
        app = create_app(Gateway.from_supergraph_sdl(supergraph_for(urls)), security=None)
        assert app.state.ready is False
        with serve(app) as base:
            reply = await send(client, "GET", f"{base}/readyz")
            assert reply.status == 200
        assert app.state.ready is False


async def test_schema_sdl_is_the_api_schema(
    client: aiohttp.ClientSession, served: tuple[Starlette, str]
) -> None:
    reply = await send(client, "GET", f"{served[1]}/schema.graphql")
    assert reply.status == 200
    assert reply.content_type.startswith("text/plain")
    assert "letterCount: Int!" in reply.body
    assert "join__" not in reply.body


async def test_browsers_get_graphiql(client: aiohttp.ClientSession, url: str) -> None:
    reply = await send(client, "GET", url, headers={"accept": "text/html,*/*;q=0.8"})
    assert reply.status == 200
    assert reply.content_type.startswith("text/html")
    assert '<script src="/static/graphiql/graphiql.min.js"></script>' in reply.body
    policy = reply.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy
    [inline] = re.findall(r"<script>(.*?)</script>", reply.body, re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in policy
    script = url.replace("/graphql", "/static/graphiql/graphiql.min.js")
    asset = await send(client, "GET", script, headers={"accept-encoding": "gzip"})
    assert asset.status == 200
    assert asset.headers["Content-Encoding"] == "gzip"
    assert asset.body == (STATIC_DIR / "graphiql" / "graphiql.min.js").read_text()


async def test_a_long_text_is_answered_but_never_kept(client: aiohttp.ClientSession) -> None:
    # Whitespace is not a token: a text can be long and cheap, and a thousand of them cached
    # would hold gigabytes.
    query = "{ people(first: 1) { name } }" + " " * 40_000
    with gateway_app() as (app, base):
        before = app.state.prepare.cache_info()
        for _ in range(2):
            reply = await send(client, "POST", f"{base}/graphql", json={"query": query})
            assert reply.body["data"]["people"] == [{"name": "Ada Lovelace"}], reply.body
        after = app.state.prepare.cache_info()
    assert (after.hits, after.misses, after.currsize) == (before.hits, before.misses, 0)
