"""Departments answer only what a gateway-signed grant allows."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from joinedup import grants
from subgraphs.app import create_app
from subgraphs.people import people
from subgraphs.registry import department
from tests.servers import serve
from tests.subgraphs.conftest import SEED

KEY = Ed25519PrivateKey.generate()
ALICE, BOB = (p.nin for p in people(2, SEED))
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Citizen { givenName %s } } }"""


@pytest.fixture(scope="module")
def guarded(data_dir: Path) -> Iterator[str]:
    with serve(create_app(department("identity"), data_dir, KEY.public_key())) as url:
        yield f"{url}/graphql"


@pytest.fixture
async def post(guarded: str) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession() as session:

        async def send(query: str, variables: dict[str, Any], token: str | None) -> Any:
            headers = {"content-type": "application/json"}
            if token is not None:
                headers[grants.HEADER] = token
            body = orjson.dumps({"query": query, "variables": variables})
            async with session.post(guarded, data=body, headers=headers) as resp:
                return resp.status, orjson.loads(await resp.read())

        yield send


def _grant(
    subjects: dict[str, set[str]],
    *,
    key: Ed25519PrivateKey = KEY,
    dept: str = "identity",
    now: float | None = None,
) -> str:
    grant = grants.Grant(
        "blue-badge-service",
        "blue-badge-eligibility",
        "d-1",
        dept,
        {s: frozenset(c) for s, c in subjects.items()},
    )
    return grants.sign(grant, key, now)


def _reps(*nins: str) -> dict[str, Any]:
    return {"r": [{"__typename": "Citizen", "nin": n} for n in nins]}


async def test_service_sdl_needs_no_grant(post: Any) -> None:
    status, body = await post("{ _service { sdl } }", {}, None)
    assert status == 200 and "@dataCategory" in body["data"]["_service"]["sdl"]


async def test_no_grant_is_401(post: Any) -> None:
    status, body = await post(ENTITIES % "", _reps(ALICE), None)
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "GRANT_REFUSED"


async def test_within_the_grant_is_answered(post: Any) -> None:
    token = _grant({ALICE: {"Citizen.givenName"}, BOB: {"Citizen.givenName"}})
    status, body = await post(ENTITIES % "", _reps(ALICE, BOB), token)
    assert status == 200 and len(body["data"]["_entities"]) == 2


async def test_asking_more_fields_than_granted_is_403(post: Any) -> None:
    token = _grant({ALICE: {"Citizen.givenName"}})
    status, body = await post(ENTITIES % "familyName", _reps(ALICE), token)
    assert status == 403
    assert "Citizen.familyName" in body["errors"][0]["message"]


async def test_asking_about_a_subject_not_granted_is_403(post: Any) -> None:
    token = _grant({ALICE: {"Citizen.givenName"}})
    status, _ = await post(ENTITIES % "", _reps(ALICE, BOB), token)
    assert status == 403


async def test_nested_fields_need_their_own_coordinates(post: Any) -> None:
    query = "query($nin: ID!) { citizen(nin: $nin) { address { postcode } } }"
    token = _grant({ALICE: {"Citizen.address"}})
    status, _ = await post(query, {"nin": ALICE}, token)
    assert status == 403
    token = _grant({ALICE: {"Citizen.address", "Address.postcode"}})
    status, body = await post(query, {"nin": ALICE}, token)
    assert status == 200 and body["data"]["citizen"]["address"]["postcode"]


@pytest.mark.parametrize(
    "token",
    [
        _grant({ALICE: {"Citizen.givenName"}}, key=Ed25519PrivateKey.generate()),
        _grant({ALICE: {"Citizen.givenName"}}, dept="hmrc"),
        _grant({ALICE: {"Citizen.givenName"}}, now=time.time() - 3600),
        "not-a-token",
    ],
    ids=["other-key", "other-department", "expired", "garbage"],
)
async def test_invalid_grants_are_401(post: Any, token: str) -> None:
    status, _ = await post(ENTITIES % "", _reps(ALICE), token)
    assert status == 401


@pytest.mark.parametrize(
    "body",
    [
        b"{nope",
        b"[]",
        b'{"query": 5}',
        b'{"query": "{ citizen(nin: ", "variables": {}}',
        b'{"query": "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",'
        b' "variables": ["abc"]}',
        b'{"query": "{ __typename }", "operationName": ["x"]}',
    ],
    ids=["not-json", "not-object", "query-not-text", "bad-graphql", "variables-list", "name-list"],
)
async def test_malformed_requests_are_400(guarded: str, body: bytes) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(guarded, data=body, headers={"content-type": "application/json"}) as resp,
    ):
        assert resp.status == 400, await resp.text()


def test_a_grant_carries_each_subjects_fields_whatever_set_type_or_sharing() -> None:
    shared = frozenset({"Citizen.givenName", "Citizen.familyName"})
    subjects: dict[str, Any] = {ALICE: shared, BOB: shared, "": {"Citizen.nin"}}
    grant = grants.Grant(
        "blue-badge-service", "blue-badge-eligibility", "d-1", "identity", subjects
    )
    token = grants.sign(grant, KEY)
    claims = orjson.loads(_payload(token))
    assert claims["allow"] == [
        {"fields": ["Citizen.familyName", "Citizen.givenName"], "subjects": [ALICE, BOB]},
        {"fields": ["Citizen.nin"], "subjects": [""]},
    ]
    verified = grants.verify(token, KEY.public_key(), "identity")
    assert verified.subjects == {ALICE: shared, BOB: shared, "": frozenset({"Citizen.nin"})}


def _payload(token: str) -> bytes:
    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _signed(allow: Any) -> str:
    now = int(time.time())
    claims = {"iss": grants.ISSUER, "aud": "identity", "iat": now, "exp": now + 60}
    return jwt.api_jws.encode(orjson.dumps(claims | {"allow": allow}), KEY, "EdDSA")


@pytest.mark.parametrize(
    "allow",
    [
        None,
        {ALICE: ["Citizen.givenName"]},
        ["Citizen.givenName"],
        [{"fields": ["Citizen.givenName"]}],
        [{"fields": "Citizen.givenName", "subjects": [ALICE]}],
        [{"fields": ["Citizen.givenName"], "subjects": ALICE}],
    ],
    ids=[
        "missing",
        "per-subject-map",
        "bare-list",
        "no-subjects",
        "fields-string",
        "subject-string",
    ],
)
def test_a_grant_with_malformed_allowed_fields_is_refused(allow: Any) -> None:
    with pytest.raises(grants.GrantError) as refused:
        grants.verify(_signed(allow), KEY.public_key(), "identity")
    assert refused.value.status == 401


def test_a_subject_named_in_two_groups_is_allowed_both_groups_fields() -> None:
    allow = [
        {"fields": ["Citizen.givenName"], "subjects": [ALICE, BOB]},
        {"fields": ["Citizen.familyName"], "subjects": [ALICE]},
    ]
    verified = grants.verify(_signed(allow), KEY.public_key(), "identity")
    assert verified.subjects == {
        ALICE: frozenset({"Citizen.givenName", "Citizen.familyName"}),
        BOB: frozenset({"Citizen.givenName"}),
    }


def _claimed(**changes: Any) -> str:
    """A grant signed with PyJWT, its registered claims changed (None: left out)."""
    now = int(time.time())
    claims = {"iss": grants.ISSUER, "aud": "identity", "iat": now, "exp": now + 60}
    claims |= {"allow": [{"fields": ["Citizen.givenName"], "subjects": [ALICE]}]}
    claims |= changes
    return jwt.api_jws.encode(
        orjson.dumps({k: v for k, v in claims.items() if v is not None}), KEY, "EdDSA"
    )


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"exp": int(time.time()) - 1}, "expired"),
        ({"exp": None}, "numeric dates"),
        ({"exp": "soon"}, "numeric dates"),
        ({"exp": True}, "numeric dates"),
        ({"iat": None}, "numeric dates"),
        ({"iat": int(time.time()) + 3600}, "issued in the future"),
        ({"iss": "someone-else"}, "not issued by the gateway"),
        ({"iss": None}, "not issued by the gateway"),
        ({"aud": "hmrc"}, "not for identity"),
        ({"aud": ["hmrc", "dwp"]}, "not for identity"),
        ({"aud": None}, "not for identity"),
    ],
    ids=[
        "expired",
        "no-exp",
        "exp-text",
        "exp-boolean",
        "no-iat",
        "iat-future",
        "other-issuer",
        "no-issuer",
        "other-audience",
        "audience-list-without-it",
        "no-audience",
    ],
)
def test_a_grant_whose_registered_claims_fail_is_refused_saying_why(
    changes: dict[str, Any], why: str
) -> None:
    with pytest.raises(grants.GrantError, match=why) as refused:
        grants.verify(_claimed(**changes), KEY.public_key(), "identity")
    assert refused.value.status == 401


def test_a_grant_whose_audience_lists_the_department_is_accepted() -> None:
    token = _claimed(aud=["hmrc", "identity"], exp=time.time() + 60.5)
    verified = grants.verify(token, KEY.public_key(), "identity")
    assert verified.subjects == {ALICE: frozenset({"Citizen.givenName"})}


def test_a_grant_whose_claims_are_not_an_object_is_refused() -> None:
    with pytest.raises(grants.GrantError, match="not a JSON object"):
        grants.verify(jwt.api_jws.encode(b"[1]", KEY, "EdDSA"), KEY.public_key(), "identity")


# -- what a request asks is read the way the department will answer it --------------------------

DEFAULTED = (
    'query($r: [_Any!]! = [{__typename: "Citizen", nin: "%s"}]) '
    "{ _entities(representations: $r) { ... on Citizen { familyName } } }"
)


async def test_representations_from_a_variable_default_need_a_grant(post: Any) -> None:
    status, _ = await post(DEFAULTED % ALICE, {}, None)
    assert status == 401
    status, _ = await post(DEFAULTED % ALICE, {}, _grant({ALICE: {"Citizen.givenName"}}))
    assert status == 403


DEFAULTED_NIN = 'query($n: ID! = "%s") { citizen(nin: $n) { familyName } }'


async def test_a_nin_from_a_variable_default_is_the_subject(post: Any) -> None:
    query = DEFAULTED_NIN % ALICE
    status, _ = await post(query, {}, _grant({"": {"Citizen.familyName"}}))
    assert status == 403
    status, body = await post(query, {}, _grant({ALICE: {"Citizen.familyName"}}))
    assert status == 200 and body["data"]["citizen"]["familyName"]


@pytest.mark.parametrize(
    "selection",
    [
        "... { ... on Citizen { familyName } }",
        "... on _Entity { ... on Citizen { familyName } }",
        "...F",
    ],
    ids=["untyped-fragment", "fragment-on-entity-union", "named-fragment-on-entity-union"],
)
async def test_fields_asked_through_any_fragment_count(post: Any, selection: str) -> None:
    query = (
        f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ {selection} }} }}"
        " fragment F on _Entity { ... on Citizen { familyName } }"
    )
    if not selection.startswith("...F"):
        query = query.split(" fragment F")[0]
    status, body = await post(query, _reps(ALICE), _grant({ALICE: {"Citizen.givenName"}}))
    assert status == 403, body
    assert "Citizen.familyName" in body["errors"][0]["message"]


TYPENAME_ONLY = 'query { citizen(nin: "%s") { __typename } }'


async def test_a_root_field_selecting_only_typename_is_refused(post: Any) -> None:
    query = TYPENAME_ONLY % ALICE
    status, body = await post(query, {}, _grant({ALICE: {"Citizen.givenName"}}))
    assert status == 403
    assert "selects no field a grant can cover" in body["errors"][0]["message"]


async def test_a_subject_the_grant_does_not_name_is_refused_even_for_its_key(post: Any) -> None:
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    status, body = await post(query, _reps(BOB), _grant({ALICE: {"Citizen.givenName"}}))
    assert status == 403
    assert BOB in body["errors"][0]["message"]


async def test_a_query_nested_too_deeply_to_read_is_400(post: Any) -> None:
    # The parser refuses deep selections; a chain of fragments each spreading the next is
    # as deep to read, and only the grant check's own reading meets it.
    chain = " ".join(f"fragment F{n} on Citizen {{ ...F{n + 1} }}" for n in range(2_000))
    query = f'{{ citizen(nin: "{ALICE}") {{ ...F0 }} }} {chain} fragment F2000 on Citizen {{ nin }}'
    status, _ = await post(query, {}, _grant({ALICE: {"Citizen.givenName"}}))
    assert status == 400


# -- what a department reads before any grant is checked is bounded ------------------------------


async def test_a_body_over_the_limit_is_413_before_anything_is_read(guarded: str) -> None:
    body = b'{"query": "{ __typename }", "padding": "' + b"x" * 300_000 + b'"}'
    async with (
        aiohttp.ClientSession() as session,
        session.post(guarded, data=body, headers={"content-type": "application/json"}) as resp,
    ):
        assert resp.status == 413


async def test_fragments_spread_many_times_are_read_once(post: Any) -> None:
    # Each fragment spreads the one before twice: 2**60 fields if walked naively.
    fragments = ["fragment F0 on Citizen { familyName }"]
    for n in range(1, 60):
        fragments.append(f"fragment F{n} on Citizen {{ ...F{n - 1} ...F{n - 1} }}")
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ...F59 } } " + " ".join(
        fragments
    )
    status, body = await post(query, _reps(ALICE), _grant({ALICE: {"Citizen.givenName"}}))
    assert status == 403
    assert "Citizen.familyName" in body["errors"][0]["message"]


async def test_an_operation_of_too_many_tokens_is_400(post: Any) -> None:
    query = "{ _service { sdl } " + "a " * 21_000 + "}"
    status, _ = await post(query, {}, None)
    assert status == 400
