"""Over a thousand hostile requests over real HTTP: each gets a 4xx with GraphQL errors.

The generator is deterministic (`random.Random(SEED)`), so a failure names a case that
can be replayed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import pytest
from starlette.applications import Starlette

from federation.limits import Limits
from tests.federation.test_app import gateway_app

SEED = 20261121
PER_KIND = 100
MAX_BODY = 32_000
ACCEPT = "application/graphql-response+json"
FIELDS = ["letterCount", "person(id: 1)", "people", "people(first: 2)", "nope", "__typename"]


@dataclass(frozen=True)
class Case:
    kind: str
    method: str = "POST"
    body: bytes | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False  # sent without a Content-Length: the size is known only while reading


def post(kind: str, payload: Any, **headers: str) -> Case:
    return Case(
        kind, body=orjson.dumps(payload), headers={"content-type": "application/json", **headers}
    )


def raw(kind: str, body: bytes, content_type: str = "application/json") -> Case:
    return Case(kind, body=body, headers={"content-type": content_type})


def malformed_json(rng: random.Random) -> Case:
    valid = orjson.dumps({"query": "{ letterCount }", "variables": {"a": [1, 2]}})
    choice = rng.randrange(4)
    if choice == 0:
        return raw("malformed-json", valid[: rng.randrange(1, len(valid) - 1)])
    if choice == 1:
        text = "".join(rng.choice('{}[]":,0123456789.-+eE truefalsenul\\') for _ in range(40))
        return raw("malformed-json", text.encode())
    if choice == 2:
        return raw("malformed-json", b'{"query": "{ a }",}' + b" " * rng.randrange(5))
    return raw("malformed-json", b"{" * rng.randrange(1, 3000) + b"}" * rng.randrange(3000))


def wrong_json_types(rng: random.Random) -> Case:
    if rng.randrange(5) == 0:
        return post("wrong-type", rng.choice([[], 1, "query", None, True, [{"query": "{ a }"}]]))
    wrong: dict[str, list[Any]] = {
        "query": [None, 0, True, "", "   ", [], {}, ["{ letterCount }"]],
        "variables": [0, "x", "{}", [], [1], True],
        "operationName": [0, True, [], {}, ["Q"]],
        "extensions": ["x", 1, [], True],
    }
    key = rng.choice(list(wrong))
    return post("wrong-type", {"query": "{ letterCount }", key: rng.choice(wrong[key])})


def garbage_graphql(rng: random.Random) -> Case:
    tokens = ["{", "}", "(", ")", "[", "]", ":", "...", "$", "@", "!", "=", "|", "&", '"', '"""']
    tokens += [
        "query",
        "mutation",
        "fragment",
        "on",
        "a",
        "b",
        "1",
        "2.5e",
        "#",
        "\\u0000",
        "\u00e9",
    ]
    text = " ".join(rng.choice(tokens) for _ in range(rng.randrange(1, 60)))
    return post("garbage-graphql", {"query": text + " }}}"})


def deeply_nested(rng: random.Random) -> Case:
    depth = rng.randrange(21, 1500)
    name = rng.choice(["person(id: 1)", "a", "people"])
    return post("deep", {"query": "{ " + f"{name} {{ " * depth + "id" + " }" * (depth + 1)})


def alias_heavy(rng: random.Random) -> Case:
    count = rng.randrange(31, 700)
    fields = " ".join(f"a{i}: {rng.choice(FIELDS[:1])}" for i in range(count))
    return post("aliases", {"query": "{ " + fields + " }"})


def fragment_cycle(rng: random.Random) -> Case:
    size = rng.randrange(1, 8)
    names = [f"F{i}" for i in range(size)]
    fragments = " ".join(
        f"fragment {n} on Person {{ id ...{names[(i + 1) % size]} }}" for i, n in enumerate(names)
    )
    return post("fragment-cycle", {"query": "{ person(id: 1) { ...F0 } } " + fragments})


def huge(rng: random.Random) -> Case:
    choice = rng.randrange(4)
    if choice == 0:
        padding = " " * rng.randrange(MAX_BODY, MAX_BODY * 4)
        return post("huge", {"query": "{ letterCount }" + padding})
    if choice == 3:
        padding = " " * rng.randrange(MAX_BODY, MAX_BODY * 4)
        body = orjson.dumps({"query": "{ letterCount }" + padding})
        return Case("huge", body=body, headers={"content-type": "application/json"}, chunked=True)
    if choice == 1:
        # Fits the body limit but not the parser's token limit.
        return post("huge", {"query": "{ " + "a " * rng.randrange(5_001, 7_000) + "}"})
    return raw("huge", rng.randbytes(rng.randrange(MAX_BODY, 70_000)))


def binary(rng: random.Random) -> Case:
    body = rng.randbytes(rng.randrange(1, 400))
    content_type = rng.choice(
        ["application/json", "application/octet-stream", "", "text/plain", "application/graphql"]
    )
    return raw("binary", body, content_type)


def bad_request_shape(rng: random.Random) -> Case:
    choice = rng.randrange(7)
    query = "query Q($id: ID!) { person(id: $id) { name } } query R { letterCount }"
    if choice == 0:
        return post("shape", {"query": query, "operationName": rng.choice(["S", "q", " "])})
    if choice == 1:
        return post("shape", {"query": query})
    if choice == 2:
        variables = rng.choice([{}, {"id": None}, {"id": [1]}, {"id": {"a": 1}}, {"id": 1.5}])
        return post("shape", {"query": query, "operationName": "Q", "variables": variables})
    if choice == 3:
        return Case(
            "shape", "GET", params={"query": 'mutation { send(to: 1, subject: "x") { subject } }'}
        )
    if choice == 4:
        return Case(
            "shape",
            "GET",
            params={"query": "{ letterCount }", "variables": "{" * rng.randrange(1, 9)},
        )
    if choice == 5:
        return Case("shape", rng.choice(["PUT", "DELETE", "PATCH"]), body=b"{}")
    return post("shape", {"query": "{ person(id: 1) { nmae } " + "x" * rng.randrange(3) + " }"})


def invalid_graphql(rng: random.Random) -> Case:
    queries = [
        "{ nope }",
        "{ people }",
        "{ person(id: 1, x: 2) { id } }",
        '{ people(first: "two") { id } }',
        "{ person { id } }",
        "{ letterCount { id } }",
        "query ($x: Nope) { letterCount }",
        "{ ...Missing }",
        "fragment Unused on Person { id } { letterCount }",
        "subscription { letterCount }",
    ]
    return post("invalid", {"query": rng.choice(queries)})


def get_garbage(rng: random.Random) -> Case:
    junk = "".join(
        rng.choice("{}()[]$@!:=&%+#\"' abcq01é\x00") for _ in range(rng.randrange(1, 80))
    )
    params = rng.choice(
        [
            {"query": junk},
            {"query": "{ letterCount }", "variables": junk},
            {"query": "{ letterCount }", "extensions": junk},
            {"query": "{ letterCount }", "operationName": "Nope" + junk},
            {"variables": "{}"},
            {"query": " " * rng.randrange(1, 20)},
            {"query": "{ " * rng.randrange(30, 300) + "letterCount" + " }" * 3},
        ]
    )
    return Case("get", "GET", params=params)


def not_utf8(rng: random.Random) -> Case:
    return raw("not-utf8", b'{"query": "{ ' + bytes([rng.randrange(128, 256)]) + b' }"}')


GENERATORS: list[Callable[[random.Random], Case]] = [
    malformed_json,
    wrong_json_types,
    garbage_graphql,
    deeply_nested,
    alias_heavy,
    fragment_cycle,
    huge,
    binary,
    bad_request_shape,
    invalid_graphql,
    get_garbage,
    not_utf8,
]


def hostile_cases(seed: int = SEED, per_kind: int = PER_KIND) -> list[Case]:
    rng = random.Random(seed)
    return [generate(rng) for generate in GENERATORS for _ in range(per_kind)]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Starlette, str]]:
    with gateway_app(Limits(max_body_bytes=MAX_BODY)) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def answer(session: aiohttp.ClientSession, url: str, case: Case) -> tuple[int, bytes, str]:
    headers = {"accept": ACCEPT, **case.headers}
    async with session.request(
        case.method,
        url,
        data=case.body,
        params=case.params or None,
        headers=headers,
        chunked=case.chunked or None,
    ) as resp:
        return resp.status, await resp.read(), resp.headers.get("content-type", "")


def test_the_generator_is_deterministic_and_large() -> None:
    cases = hostile_cases()
    assert len(cases) >= 1_000
    assert cases == hostile_cases()
    assert len({c.kind for c in cases}) == len(GENERATORS)


async def test_every_hostile_request_gets_a_4xx_graphql_error(
    client: aiohttp.ClientSession, served: tuple[Starlette, str]
) -> None:
    url = served[1] + "/graphql"
    cases = hostile_cases()
    gate = asyncio.Semaphore(8)

    async def one(case: Case) -> tuple[Case, int, bytes, str]:
        async with gate:
            return (case, *await answer(client, url, case))

    failures = []
    for case, status, body, content_type in await asyncio.gather(*(one(c) for c in cases)):
        decoded = orjson.loads(body) if "json" in content_type else None
        if not isinstance(decoded, dict):
            failures.append((case.kind, status, body[:200]))
            continue
        errors = decoded.get("errors")
        well_formed = (
            400 <= status < 500
            and isinstance(errors, list)
            and errors
            and all(isinstance(e.get("message"), str) and e["message"] for e in errors)
            and all(isinstance(e.get("extensions", {}).get("code"), str) for e in errors)
            and "data" not in decoded
        )
        if not well_formed:
            failures.append((case.kind, status, body[:200]))
    assert failures == []

    async with client.get(served[1] + "/healthz") as resp:
        assert resp.status == 200
    async with client.post(
        url, json={"query": "{ person(id: 1) { name letters { subject } } }"}
    ) as resp:
        assert await resp.json() == {
            "data": {
                "person": {"name": "Ada Lovelace", "letters": [{"subject": "Tax code notice"}]}
            }
        }
