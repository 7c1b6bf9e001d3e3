"""Every field decided by policy on current consent, through the real gateway and departments.

Six department subgraphs run over real HTTP, each checking the gateway's signed
grants and each recording every request it receives. The gateway runs with the
embedded Rego engine, a SQLite consent store and ledger. Consent is changed
through the store's Python API between requests.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import orjson
import pytest
from graphql import parse
from starlette.applications import Starlette
from starlette.routing import Mount

from federation.app import create_app
from federation.auth import issue
from federation.compose import SubgraphSource, compose
from federation.gateway import Gateway
from federation.ledger import entries_for_subject, verify
from federation.security import SecurityConfig
from federation.supergraph import parse_supergraph
from joinedup import grants
from subgraphs.app import create_app as department_app
from subgraphs.consent.records import load_purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.consent.sqlite import SqliteConsentStore
from subgraphs.consent.store import ConsentStore, open_consent_store
from subgraphs.grant_check import requested
from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS, department
from subgraphs.seed import seed_all
from tests.consent.conftest import postgres_schema
from tests.opa_server import Knobs, opa_app
from tests.servers import serve

CITIZENS = 120
SEED = 5
POLICIES = Path(__file__).resolve().parents[2] / "policies"
BLUE_BADGE = ("blue-badge-service", "blue-badge-eligibility")
POPULATION = list(people(CITIZENS, SEED))


@dataclass
class Recording:
    """Every request a department received: its grant and what it asked about whom."""

    requests: list[tuple[str, dict[str, set[str]]]] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)  # the decision id each grant names

    def asked_about(self, nin: str) -> set[str]:
        return {c for _, asked in self.requests for c in asked.get(nin, set())}


class Recorder:
    """ASGI wrapper recording each request body before the department sees it."""

    def __init__(self, app: Any, name: str, recording: Recording) -> None:
        self.app, self.name, self.recording = app, name, recording
        self.schema = department(name).schema._schema

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = orjson.loads(body)
        asked = requested(self.schema, parse(payload["query"]), payload.get("variables") or {})
        if asked:
            self.recording.requests.append((payload["query"], asked))
            token = dict(scope["headers"]).get(grants.HEADER.encode(), b"").decode()
            claims = jwt.decode(token, options={"verify_signature": False}) if token else {}
            self.recording.decisions.append(claims.get("decision", ""))
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


@dataclass
class World:
    data_dir: Path
    urls: dict[str, str]
    recordings: dict[str, Recording]
    supergraph: str
    security: SecurityConfig

    def forget(self) -> None:
        for recording in self.recordings.values():
            recording.requests.clear()
            recording.decisions.clear()

    def asked_about(self, nin: str) -> set[str]:
        return {c for r in self.recordings.values() for c in r.asked_about(nin)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("enforcement")
    seed_all(data_dir, CITIZENS, SEED, DEPARTMENTS, progress=None)
    seed_consents(data_dir / "consent.db", POPULATION, SEED, load_purposes())
    key = grants.load_or_create_private_key(data_dir / "keys" / "gateway.pem")
    recordings = {d.name: Recording() for d in DEPARTMENTS}
    with contextlib.ExitStack() as stack:
        urls = {}
        for d in DEPARTMENTS:
            app = Recorder(
                department_app(d, data_dir, key.public_key()), d.name, recordings[d.name]
            )
            urls[d.name] = stack.enter_context(serve(app)) + "/graphql"
        supergraph = compose(
            [SubgraphSource(d.name, urls[d.name], d.schema.as_str()) for d in DEPARTMENTS]
        )
        security = SecurityConfig.from_environment(data_dir, policy_dir=POLICIES)
        yield World(data_dir, urls, recordings, supergraph, security)


@contextlib.contextmanager
def gateway_at(world: World, security: SecurityConfig | None = None) -> Iterator[str]:
    gateway = Gateway(parse_supergraph(world.supergraph), subject_types=frozenset({"Citizen"}))
    with serve(create_app(gateway, security=security or world.security)) as url:
        yield url + "/graphql"


@pytest.fixture(scope="module")
def gateway(world: World) -> Iterator[str]:
    with gateway_at(world) as url:
        yield url


@pytest.fixture
async def store(world: World) -> AsyncIterator[ConsentStore]:
    opened = await open_consent_store(world.security.consent_store, load_purposes())
    try:
        yield opened
    finally:
        await opened.close()


async def ask(
    url: str,
    query: str,
    *,
    client: str = BLUE_BADGE[0],
    purpose: str | None = BLUE_BADGE[1],
    citizen: str | None = None,
    explain: bool = False,
    token: str | None = None,
    variables: dict[str, Any] | None = None,
    accept: str | None = None,
) -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json"}
    if accept:
        headers["accept"] = accept
    bearer = (
        token if token is not None else issue(client_id=client, citizen=citizen, explain=explain)
    )
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    if purpose:
        headers["joinedup-purpose"] = purpose
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if explain:
        body["extensions"] = {"explain": True}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=orjson.dumps(body), headers=headers) as response,
    ):
        return response.status, orjson.loads(await response.read())


def citizen_query(nin: str, fields: str) -> str:
    return f'{{ citizen(nin: "{nin}") {{ {fields} }} }}'


def _licence_holders() -> list[str]:
    """Adults old enough to hold a full licence, so DVLA has something to release."""
    return [p.nin for p in POPULATION if 30 <= p.age <= 60]


async def _consent(store: ConsentStore, nin: str, state: str, purpose: str = BLUE_BADGE[1]) -> None:
    if state == "given":
        await store.give(nin, purpose, collection_method="web-portal", actor=nin)
    elif state == "withdrawn":
        await store.give(nin, purpose, collection_method="web-portal", actor=nin)
        await store.withdraw(nin, purpose, actor=nin)
    current = (await store.read([nin]))[nin]
    if current.opted_out:
        await store.set_opted_out(nin, False, actor=nin)


QUERY = """{
  a: citizen(nin: "%s") { givenName drivingLicence { status } taxCode }
  b: citizen(nin: "%s") { givenName drivingLicence { status } }
}"""


async def test_released_for_consent_refused_without_and_never_asked(
    world: World, gateway: str, store: ConsentStore
) -> None:
    alice, bob = _licence_holders()[:2]
    await _consent(store, alice, "given")
    await _consent(store, bob, "withdrawn")
    world.forget()
    status, body = await ask(gateway, QUERY % (alice, bob))
    assert status == 200, body
    assert body["data"]["a"] is not None, body
    assert body["data"]["a"]["givenName"]
    assert body["data"]["a"]["taxCode"] is None  # tax is outside the Blue Badge purpose
    assert body["data"]["b"] is None
    by_path = {tuple(e["path"]): e for e in body["errors"]}
    assert by_path[("a", "taxCode")]["extensions"]["code"] == "CATEGORY_NOT_IN_PURPOSE"
    refused = by_path[("b",)]["extensions"]
    assert refused["code"] == "CONSENT_WITHDRAWN"
    assert refused["purpose"] == "blue-badge-eligibility"
    assert refused["department"] == "identity"
    assert refused["consentUrl"].endswith("/consents/blue-badge-eligibility")
    # Decide before fetch: no department was asked anything about Bob, nor HMRC about Alice.
    assert world.asked_about(bob) == set()
    assert world.recordings["hmrc"].requests == []
    assert "Citizen.givenName" in world.asked_about(alice)


async def test_withdrawal_is_honoured_on_the_very_next_request(
    world: World, gateway: str, store: ConsentStore
) -> None:
    nin = _licence_holders()[2]
    query = citizen_query(nin, "givenName")
    for _ in range(3):
        await _consent(store, nin, "given")
        _, released = await ask(gateway, query)
        assert released["data"]["citizen"]["givenName"], released
        await store.withdraw(nin, BLUE_BADGE[1], actor=nin)
        world.forget()
        _, refused = await ask(gateway, query)
        assert refused["data"]["citizen"] is None
        assert refused["errors"][0]["extensions"]["code"] == "CONSENT_WITHDRAWN"
        assert world.asked_about(nin) == set()


async def test_a_request_reads_each_citizens_consent_once_however_many_steps_ask(
    gateway: str, store: ConsentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    nin = _licence_holders()[3]
    await _consent(store, nin, "given")
    asked: list[list[str]] = []
    original = SqliteConsentStore.read

    async def counted(self: SqliteConsentStore, nins: Any, purpose: Any = None) -> Any:
        asked.append(list(nins))
        return await original(self, nins, purpose)

    monkeypatch.setattr(SqliteConsentStore, "read", counted)
    # Two steps: identity answers the root field, then DVLA the licence of that citizen.
    _, body = await ask(gateway, citizen_query(nin, "givenName drivingLicence { status }"))
    assert body["data"]["citizen"]["givenName"] and body["data"]["citizen"]["drivingLicence"]
    assert asked == [[nin]]


async def test_opting_out_of_everything_refuses_consent_purposes_not_public_tasks(
    gateway: str, store: ConsentStore
) -> None:
    nin = _licence_holders()[3]
    await _consent(store, nin, "given")
    await store.set_opted_out(nin, True, actor=nin)
    query = citizen_query(nin, "givenName")
    _, refused = await ask(gateway, query)
    assert refused["errors"][0]["extensions"]["code"] == "OPTED_OUT"
    _, public_task = await ask(
        gateway, query, client="universal-credit-service", purpose="universal-credit-assessment"
    )
    assert public_task["data"]["citizen"]["givenName"]
    await store.set_opted_out(nin, False, actor=nin)


async def test_household_members_are_decided_on_their_own_consent(
    world: World, gateway: str, store: ConsentStore
) -> None:
    head = next(p for p in POPULATION if p.index % 3 == 0 and p.index + 2 < CITIZENS)
    members = [p.nin for p in POPULATION if p.household == head.household and p != head]
    meals = "free-school-meals"
    await _consent(store, head.nin, "given", meals)
    await _consent(store, members[0], "given", meals)
    await _consent(store, members[1], "withdrawn", meals)
    world.forget()
    _, body = await ask(
        gateway,
        citizen_query(head.nin, "household { nin email }"),
        client="council-tax-service",
        purpose=meals,
    )
    assert body["data"]["citizen"] is not None, body
    household = {m["nin"]: m for m in body["data"]["citizen"]["household"]}
    assert household[members[0]]["email"]
    # Email is nullable: a refusal for one member leaves the rest of the answer whole.
    assert household[members[1]]["email"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "CONSENT_WITHDRAWN"
    assert world.asked_about(members[1]) == set()


async def test_a_citizen_sees_their_own_record_and_no_one_else_s(gateway: str) -> None:
    me, other = POPULATION[10].nin, POPULATION[11].nin
    query = '{ me: citizen(nin: "%s") { familyName } other: citizen(nin: "%s") { familyName } }'
    status, body = await ask(
        gateway, query % (me, other), client="citizen-portal", purpose=None, citizen=me
    )
    assert status == 200
    assert body["data"]["me"]["familyName"] == POPULATION[10].family_name
    assert body["data"]["other"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_THE_DATA_SUBJECT"


async def test_obligations_are_applied_before_the_response_leaves(gateway: str) -> None:
    person = POPULATION[20]
    _, body = await ask(
        gateway,
        citizen_query(person.nin, "dateOfBirth familyName"),
        client="counter-fraud",
        purpose="fraud-prevention",
    )
    assert body["data"]["citizen"] == {
        "dateOfBirth": str(person.date_of_birth.year),
        "familyName": person.family_name,
    }


async def test_listing_citizens_needs_a_basis_of_its_own(gateway: str) -> None:
    query = "{ citizens(first: 3) { citizens { nin } } }"
    _, refused = await ask(gateway, query)
    assert refused["data"] is None or refused["data"]["citizens"] is None
    assert refused["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED"
    _, listed = await ask(
        gateway, query, client="universal-credit-service", purpose="universal-credit-assessment"
    )
    assert len(listed["data"]["citizens"]["citizens"]) == 3


@pytest.mark.parametrize(
    ("token", "purpose", "status", "code"),
    [
        ("", BLUE_BADGE[1], 401, "UNAUTHENTICATED"),
        ("not-a-token", BLUE_BADGE[1], 401, "INVALID_TOKEN"),
        (None, None, 403, "PURPOSE_REQUIRED"),
        (None, "fraud-prevention", 403, "PURPOSE_NOT_PERMITTED_FOR_CLIENT"),
    ],
)
async def test_refused_callers_reach_no_department(
    world: World, gateway: str, token: str | None, purpose: str | None, status: int, code: str
) -> None:
    world.forget()
    answer_status, body = await ask(
        gateway,
        citizen_query(POPULATION[0].nin, "givenName"),
        purpose=purpose,
        token=token,
    )
    assert answer_status == status
    assert body["errors"][0]["extensions"]["code"] == code
    assert "data" not in body
    assert all(not r.requests for r in world.recordings.values())


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
async def test_an_unsupported_method_is_405_even_without_a_token(gateway: str, method: str) -> None:
    async with aiohttp.ClientSession() as session, session.request(method, gateway) as response:
        assert response.status == 405
        assert response.headers["allow"] == "GET, POST"


async def test_a_gateway_whose_start_up_has_not_run_decides_nothing_and_answers_503(
    world: World,
) -> None:
    # Mounted inside another app, its lifespan never runs: the policy layer is not open.
    gateway = Gateway(parse_supergraph(world.supergraph), subject_types=frozenset({"Citizen"}))
    outer = Starlette(routes=[Mount("/", create_app(gateway, security=world.security))])
    world.forget()
    with serve(outer) as url:
        status, body = await ask(url + "/graphql", citizen_query(POPULATION[0].nin, "givenName"))
    assert status == 503
    assert body["errors"][0]["extensions"]["code"] == "NOT_READY"
    assert all(not r.requests for r in world.recordings.values())


async def test_explain_lists_each_decision_for_a_developer_token(
    gateway: str, store: ConsentStore
) -> None:
    nin = _licence_holders()[4]
    await _consent(store, nin, "given")
    _, body = await ask(gateway, citizen_query(nin, "givenName"), explain=True)
    [decision] = body["extensions"]["decisions"]
    assert decision["subject"] == nin
    assert decision["fields"]["Citizen.givenName"] == {"allow": True, "reason": "CONSENT_GIVEN"}
    assert decision["policyRevision"]
    _, plain = await ask(gateway, citizen_query(nin, "givenName"))
    assert "decisions" not in plain.get("extensions", {})


async def test_every_step_names_its_own_decision_even_from_cached_verdicts(
    world: World, gateway: str, store: ConsentStore
) -> None:
    nin = _licence_holders()[7]
    await _consent(store, nin, "given")
    query = citizen_query(nin, "givenName drivingLicence { status }")
    ids = []
    for _ in range(2):  # the second request's verdicts all come from the decision cache
        world.forget()
        _, body = await ask(gateway, query, explain=True)
        decisions = body["extensions"]["decisions"]
        assert {d["department"] for d in decisions} == {"identity", "dvla"}
        step_ids = {d["decisionId"] for d in decisions}
        assert "" not in step_ids
        granted = {d for r in world.recordings.values() for d in r.decisions}
        assert granted <= step_ids and "" not in granted
        ids.append(step_ids)
    assert not ids[0] & ids[1], "each request's steps are decisions of their own"
    ledger = world.security.ledger
    assert ledger is not None
    entries = await entries_for_subject(ledger, nin, first=10, after=None)
    latest = [e for e in entries if e.request_id == entries[0].request_id]
    assert {e.decision_id for e in latest} == ids[1]


async def _latest_entries(world: World, nin: str) -> dict[str, Any]:
    """The subject's ledger entries of the latest request about them, by department."""
    ledger = world.security.ledger
    assert ledger is not None
    entries = await entries_for_subject(ledger, nin, first=20, after=None)
    return {e.department: e for e in entries if e.request_id == entries[0].request_id}


APPLY_SELECTING_TYPENAME = 'mutation { councilApplyForBlueBadge(nin: "%s") { __typename } }'
DVLA_SELECTING_TYPENAME = '{ dvlaCitizen(nin: "%s") { __typename } }'


async def test_a_root_field_selecting_only_typename_is_never_sent(
    world: World, gateway: str, store: ConsentStore
) -> None:
    nin = _licence_holders()[8]
    await _consent(store, nin, "withdrawn")
    world.forget()
    _, body = await ask(gateway, APPLY_SELECTING_TYPENAME % nin)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["councilApplyForBlueBadge"]
    assert error["extensions"]["code"] == "NOTHING_TO_DECIDE"
    council = await _latest_entries(world, nin)
    assert council["council"].released == ()
    assert council["council"].refused == (
        ("Mutation.councilApplyForBlueBadge", "NOTHING_TO_DECIDE"),
    )
    # Nor may a query learn whether a department knows someone.
    _, body = await ask(gateway, DVLA_SELECTING_TYPENAME % nin)
    assert body["data"] == {"dvlaCitizen": None}
    assert body["errors"][0]["extensions"]["code"] == "NOTHING_TO_DECIDE"
    assert all(not r.requests for r in world.recordings.values())


async def test_the_ledger_says_about_each_citizen_only_what_was_sent_about_them(
    world: World, gateway: str, store: ConsentStore
) -> None:
    a, c = _licence_holders()[9:11]
    for nin in (a, c):
        await _consent(store, nin, "given")
    query = '{ a: citizen(nin: "%s") { givenName } c: citizen(nin: "%s") { familyName } }'
    _, body = await ask(gateway, query % (a, c))
    assert body["data"]["a"]["givenName"] and body["data"]["c"]["familyName"]
    about_a, about_c = [await _latest_entries(world, nin) for nin in (a, c)]
    assert "Citizen.givenName" in about_a["identity"].released
    assert "Citizen.familyName" not in about_a["identity"].released
    assert "Citizen.familyName" in about_c["identity"].released
    assert "Citizen.givenName" not in about_c["identity"].released
    # A mutation held back because one of its fields is refused released nothing.
    world.forget()
    mutation = 'mutation { identityRequestErasure(nin: "%s", field: "Citizen.email") { nin id } }'
    _, body = await ask(gateway, mutation % a)
    assert body["data"] is None
    assert world.asked_about(a) == set()
    held = (await _latest_entries(world, a))["identity"]
    assert held.released == ()
    assert ("RightsRequest.id", "CATEGORY_NOT_IN_PURPOSE") in held.refused


CORRECTION = (
    'mutation { identityRequestCorrection(nin: "%s", field: "Citizen.familyName",'
    ' correction: "Someone Else", reason: "a service says so") { nin status } }'
)
RIGHTS_REQUESTS = '{ identityRightsRequests(nin: "%s") { nin } }'
UC = ("universal-credit-service", "universal-credit-assessment")
PORTAL = "citizen-portal"
RESOLVE = 'mutation { identityResolveRightsRequest(id: "%s", status: DONE, answer: "ok") { nin } }'


async def test_only_the_citizen_files_or_lists_their_rights_requests(
    world: World, gateway: str
) -> None:
    nin = POPULATION[12].nin
    world.forget()
    for query in (CORRECTION % nin, RIGHTS_REQUESTS % nin, RESOLVE % "1"):
        _, body = await ask(gateway, query, client=UC[0], purpose=UC[1])
        assert body["errors"][0]["extensions"]["code"] == "CATEGORY_NOT_IN_PURPOSE", body
    assert all(not r.requests for r in world.recordings.values())
    _, body = await ask(gateway, CORRECTION % nin, client=PORTAL, purpose=None, citizen=nin)
    assert body["data"]["identityRequestCorrection"] == {"nin": nin, "status": "RECEIVED"}


TWO_BY_VARIABLE = (
    'query($n: ID!) { a: citizen(nin: "%s") { givenName } b: citizen(nin: $n) { givenName } }'
)


async def test_a_variable_only_a_refused_field_used_is_not_sent(
    world: World, gateway: str, store: ConsentStore
) -> None:
    alice, bob = _licence_holders()[11:13]
    await _consent(store, alice, "given")
    await _consent(store, bob, "withdrawn")
    _, answer = await ask(gateway, TWO_BY_VARIABLE % alice, variables={"n": bob})
    # The narrowed request declares no `$n`, which only Bob's refused field used: were it
    # declared, the department would refuse the whole request, and Alice's answer with it.
    assert answer["data"]["a"]["givenName"]
    assert answer["data"]["b"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["CONSENT_WITHDRAWN"]


SKIPPABLE = (
    'query($f: Boolean!) { a: citizen(nin: "%s") { givenName familyName @include(if: $f) }'
    ' c: citizen(nin: "%s") @include(if: $f) { givenName } }'
)


async def test_what_the_variables_leave_out_is_neither_asked_decided_nor_recorded(
    world: World, gateway: str, store: ConsentStore
) -> None:
    alice, carol = _licence_holders()[13:15]
    for nin in (alice, carol):
        await _consent(store, nin, "given")
    world.forget()
    _, answer = await ask(gateway, SKIPPABLE % (alice, carol), variables={"f": False})
    assert answer == {"data": {"a": {"givenName": answer["data"]["a"]["givenName"]}}}
    assert world.asked_about(alice) == {"Citizen.givenName"}
    assert world.asked_about(carol) == set()
    entry = (await _latest_entries(world, alice))["identity"]
    assert (entry.released, entry.refused) == (("Citizen.givenName",), ())
    ledger = world.security.ledger
    assert ledger is not None
    about_carol = await entries_for_subject(ledger, carol, first=5, after=None)
    assert all(e.request_id != entry.request_id for e in about_carol)


async def test_every_release_and_refusal_is_in_the_ledger(
    world: World, gateway: str, store: ConsentStore
) -> None:
    alice, bob = _licence_holders()[5:7]
    await _consent(store, alice, "given")
    await _consent(store, bob, "withdrawn")
    await ask(gateway, QUERY % (alice, bob))
    ledger = world.security.ledger
    assert ledger is not None
    alice_entries = await entries_for_subject(ledger, alice, first=10, after=None)
    request_id = alice_entries[0].request_id
    mine = {e.department: e for e in alice_entries if e.request_id == request_id}
    assert "Citizen.givenName" in mine["identity"].released
    assert ("Citizen.taxCode", "CATEGORY_NOT_IN_PURPOSE") in mine["hmrc"].refused
    assert mine["identity"].purpose == "blue-badge-eligibility"
    assert mine["identity"].client_id == "blue-badge-service"
    [bob_entry, *_] = await entries_for_subject(ledger, bob, first=10, after=None)
    assert bob_entry.request_id == request_id
    assert bob_entry.released == ()
    assert ("Citizen.givenName", "CONSENT_WITHDRAWN") in bob_entry.refused
    key = grants.load_or_create_private_key(world.security.signing_key)
    report = await verify(ledger, key.public_key())
    assert report.ok, report.problem


# -- fail closed --------------------------------------------------------------------------------


async def _refused_everything(world: World, security: SecurityConfig, code: str) -> None:
    nin = _licence_holders()[0]
    world.forget()
    with gateway_at(world, security) as url:
        _, body = await ask(url, citizen_query(nin, "givenName drivingLicence { status }"))
    assert body["data"]["citizen"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {code}
    assert all(not r.requests for r in world.recordings.values())


async def test_opa_refusing_connections_fails_closed(world: World) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    security = replace(world.security, opa_url=f"http://127.0.0.1:{port}")
    await _refused_everything(world, security, "POLICY_UNAVAILABLE")


async def test_opa_too_slow_fails_closed(world: World) -> None:
    knobs = Knobs(delay=1.0)
    with serve(opa_app(POLICIES, knobs)) as opa:
        security = replace(world.security, opa_url=opa, opa_timeout=0.1)
        await _refused_everything(world, security, "POLICY_UNAVAILABLE")
    assert knobs.calls >= 1


async def test_opa_server_decides_like_the_embedded_engine(
    world: World, store: ConsentStore
) -> None:
    nin = _licence_holders()[7]
    await _consent(store, nin, "given")
    knobs = Knobs()
    with serve(opa_app(POLICIES, knobs)) as opa:
        security = replace(world.security, opa_url=opa, opa_timeout=5.0)
        with gateway_at(world, security) as url:
            _, body = await ask(url, citizen_query(nin, "givenName taxCode"))
    assert body["data"]["citizen"]["givenName"]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["CATEGORY_NOT_IN_PURPOSE"]
    assert knobs.calls >= 1


async def test_engine_error_fails_closed(world: World, tmp_path: Path) -> None:
    policies = Path(shutil.copytree(POLICIES, tmp_path / "policies"))
    decision = policies / "joinedup" / "decision.rego"
    decision.write_text(
        decision.read_text().replace(
            'result := {"fields": fields, "subjects": subjects}',
            'result := {"fields": fields, "subjects": subjects, "broken": _broken}\n\n'
            "default _broken := 0\n\n"
            "_broken := to_number(input.purpose) if count(input.fields) > 0",
        )
    )
    security = replace(world.security, policy_dir=policies)
    await _refused_everything(world, security, "POLICY_UNAVAILABLE")


# -- current consent on every replica -------------------------------------------------------------


async def test_two_gateways_on_one_postgresql_store_see_a_withdrawal_at_once(
    world: World,
) -> None:
    nin = _licence_holders()[8]
    query = citizen_query(nin, "givenName")
    async with postgres_schema() as url:
        shared = await open_consent_store(url, load_purposes())
        try:
            await shared.give(nin, BLUE_BADGE[1], collection_method="web-portal", actor=nin)
            security = replace(world.security, consent_store=url)
            with gateway_at(world, security) as first, gateway_at(world, security) as second:
                for url_ in (first, second):
                    _, body = await ask(url_, query)
                    assert body["data"]["citizen"]["givenName"], body
                await shared.withdraw(nin, BLUE_BADGE[1], actor=nin)
                for url_ in (first, second):
                    _, body = await ask(url_, query)
                    assert body["errors"][0]["extensions"]["code"] == "CONSENT_WITHDRAWN"
        finally:
            await shared.close()


def _released_coordinates(schema: Any, query: str, data: Any) -> set[str]:
    """`Type.field` of every non-null field in an answer (root operation fields aside)."""
    from graphql import FieldNode, GraphQLObjectType, OperationDefinitionNode, get_named_type

    found: set[str] = set()

    def walk(type_: Any, selections: Any, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(type_, selections, item)
            return
        if not isinstance(value, dict) or not isinstance(type_, GraphQLObjectType):
            return
        for node in selections:
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            child = value.get((node.alias or node.name).value)
            if child is None:
                continue
            found.add(f"{type_.name}.{node.name.value}")
            if node.selection_set is not None:
                inner = get_named_type(type_.fields[node.name.value].type)
                walk(inner, node.selection_set.selections, child)

    operation = next(d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode))
    for node in operation.selection_set.selections:
        assert isinstance(node, FieldNode)
        root_value = (data or {}).get((node.alias or node.name).value)
        if root_value is not None and node.selection_set is not None:
            inner = get_named_type(schema.query_type.fields[node.name.value].type)
            walk(inner, node.selection_set.selections, root_value)
    return found


@pytest.mark.parametrize(
    ("client", "purpose", "fields"),
    [
        (*BLUE_BADGE, "givenName familyName address { postcode } drivingLicence { status }"),
        (
            "universal-credit-service",
            "universal-credit-assessment",
            "givenName taxCode universalCreditClaims { status } drivingLicence { status }",
        ),
        ("counter-fraud", "fraud-prevention", "dateOfBirth familyName selfAssessment { status }"),
        (
            "gp-dashboard",
            "gp-home-readings",
            "givenName bloodPressureReadings { systolic } gpPractice { name } taxCode",
        ),
    ],
)
async def test_every_release_and_refusal_of_varied_queries_is_recorded(
    world: World, gateway: str, store: ConsentStore, client: str, purpose: str, fields: str
) -> None:
    from federation.ledger import latest_entries

    nins = _licence_holders()[9:12]
    if purpose in {BLUE_BADGE[1], "gp-home-readings"}:
        for nin in nins:
            await _consent(store, nin, "given", purpose)
    query = (
        "{ "
        + " ".join(f'c{i}: citizen(nin: "{nin}") {{ {fields} }}' for i, nin in enumerate(nins))
        + " }"
    )
    headers = {
        "content-type": "application/json",
        "authorization": f"Bearer {issue(client_id=client)}",
        "joinedup-purpose": purpose,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(gateway, data=orjson.dumps({"query": query}), headers=headers) as response,
    ):
        body = orjson.loads(await response.read())
        request_id = response.headers["joinedup-request-id"]
    assert world.security.ledger is not None
    entries = [
        e
        for e in await latest_entries(world.security.ledger, first=500)
        if e.request_id == request_id
    ]
    released = {c for e in entries for c in e.released}
    refused = {c for e in entries for c, _ in e.refused}
    schema = parse_supergraph(world.supergraph).api_schema
    shown = _released_coordinates(schema, query, body.get("data"))
    assert shown, body
    assert shown <= released
    for error in body.get("errors", []):
        named = error["extensions"].get("field")
        if named is not None:
            assert named in refused, error
    assert {e.subject for e in entries} <= set(nins)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('{ citizen(nin: "AB123456C\\u0000") { givenName } }', {}),
        ("query($n: ID!) { citizen(nin: $n) { givenName } }", {"n": "AB123456C\x00"}),
        ("query($n: ID!) { citizen(nin: $n) { givenName } }", {"n": "not a NIN"}),
        ("mutation($n: ID!) { councilApplyForBlueBadge(nin: $n) { status } }", {"n": "12"}),
    ],
    ids=["nul-literal", "nul-variable", "words", "mutation"],
)
async def test_a_nin_that_cannot_be_a_citizen_is_400_before_anything_is_asked(
    world: World, gateway: str, query: str, variables: dict[str, Any]
) -> None:
    world.forget()
    # With the GraphQL response media type a request error is a 4xx.
    status, answer = await ask(
        gateway, query, variables=variables, accept="application/graphql-response+json"
    )
    assert status == 400, answer
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "National Insurance number" in error["message"]
    assert all(not r.requests for r in world.recordings.values())
