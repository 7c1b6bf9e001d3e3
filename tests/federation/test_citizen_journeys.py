"""A citizen's journeys through the gateway: consent, opt-out, and rights at any department.

The six departments and the consent service run over real HTTP, each checking
the gateway's grants; the gateway decides on the same consent store the
consent service writes. Citizens act with their own tokens, services with theirs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from federation.app import create_app
from federation.auth import issue
from federation.compose import SubgraphSource, compose
from federation.gateway import Gateway
from federation.registry import load_clients, load_purposes
from federation.security import SecurityConfig
from federation.supergraph import parse_supergraph
from joinedup import grants
from subgraphs.app import create_app as department_app
from subgraphs.consent.app import create_app as consent_app
from subgraphs.consent.records import load_purposes as consent_purposes
from subgraphs.consent.schema import schema as consent_schema
from subgraphs.consent.seed import seed_consents
from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all
from tests.servers import serve

CITIZENS = 60
SEED = 9
POLICIES = Path(__file__).resolve().parents[2] / "policies"
POPULATION = list(people(CITIZENS, SEED))


@dataclass
class Journey:
    gateway: str
    urls: dict[str, str]
    key: Any


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    data_dir = tmp_path_factory.mktemp("journeys")
    seed_all(data_dir, CITIZENS, SEED, DEPARTMENTS, progress=None)
    seed_consents(data_dir / "consent.db", POPULATION, SEED, consent_purposes())
    key = grants.load_or_create_private_key(data_dir / "keys" / "gateway.pem")
    receipts = grants.load_or_create_private_key(data_dir / "keys" / "consent-receipts.pem")
    security = SecurityConfig.from_environment(data_dir, policy_dir=POLICIES)
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        sdls: dict[str, str] = {}
        for d in DEPARTMENTS:
            app = department_app(d, data_dir, key.public_key())
            urls[d.name] = stack.enter_context(serve(app)) + "/graphql"
            sdls[d.name] = d.schema.as_str()
        consent = consent_app(
            security.consent_store, load_purposes(), load_clients(), receipts, key.public_key()
        )
        urls["consent"] = stack.enter_context(serve(consent)) + "/graphql"
        sdls["consent"] = consent_schema.as_str()
        supergraph = compose([SubgraphSource(n, urls[n], sdls[n]) for n in urls])
        gateway = Gateway(parse_supergraph(supergraph), subject_types=frozenset({"Citizen"}))
        url = stack.enter_context(serve(create_app(gateway, security=security)))
        yield Journey(url + "/graphql", urls, key)


async def post(url: str, query: str, token: str, purpose: str | None = None) -> dict[str, Any]:
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    if purpose:
        headers["joinedup-purpose"] = purpose
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=orjson.dumps({"query": query}), headers=headers) as response,
    ):
        answer: dict[str, Any] = orjson.loads(await response.read())
        return answer


def as_citizen(nin: str) -> str:
    return issue(client_id="citizen-portal", citizen=nin)


BLUE_BADGE = issue(client_id="blue-badge-service")
UNIVERSAL_CREDIT = issue(client_id="universal-credit-service")


def service_view(nin: str) -> str:
    return f'{{ citizen(nin: "{nin}") {{ familyName }} }}'


async def test_consent_given_then_withdrawn_through_the_consent_service(
    journey: Journey,
) -> None:
    nin = POPULATION[5].nin
    me = as_citizen(nin)
    given = await post(
        journey.gateway,
        f'mutation {{ giveConsent(nin: "{nin}", purpose: "blue-badge-eligibility") '
        "{ state receipt { jws } } }",
        me,
    )
    assert given["data"]["giveConsent"]["state"] == "GIVEN", given
    assert given["data"]["giveConsent"]["receipt"]["jws"].count(".") == 2
    released = await post(journey.gateway, service_view(nin), BLUE_BADGE, "blue-badge-eligibility")
    assert released["data"]["citizen"]["familyName"] == POPULATION[5].family_name
    withdrawn = await post(
        journey.gateway,
        f'mutation {{ withdrawConsent(nin: "{nin}", purpose: "blue-badge-eligibility") '
        "{ state } }",
        me,
    )
    assert withdrawn["data"]["withdrawConsent"]["state"] == "WITHDRAWN", withdrawn
    refused = await post(journey.gateway, service_view(nin), BLUE_BADGE, "blue-badge-eligibility")
    assert refused["data"]["citizen"] is None
    assert refused["errors"][0]["extensions"]["code"] == "CONSENT_WITHDRAWN"


async def test_only_the_citizen_can_change_their_consent(journey: Journey) -> None:
    nin, other = POPULATION[6].nin, POPULATION[7].nin
    change = (
        f'mutation {{ giveConsent(nin: "{nin}", purpose: "blue-badge-eligibility") {{ state }} }}'
    )
    by_another = await post(journey.gateway, change, as_citizen(other))
    assert by_another.get("data") is None or by_another["data"]["giveConsent"] is None
    assert by_another["errors"]
    by_a_service = await post(journey.gateway, change, BLUE_BADGE, "blue-badge-eligibility")
    assert by_a_service.get("data") is None or by_a_service["data"]["giveConsent"] is None


async def test_opting_out_refuses_consent_purposes_but_public_tasks_remain_listed(
    journey: Journey,
) -> None:
    nin = POPULATION[8].nin
    me = as_citizen(nin)
    await post(
        journey.gateway,
        f'mutation {{ giveConsent(nin: "{nin}", purpose: "blue-badge-eligibility") {{ state }} }}',
        me,
    )
    switched = await post(
        journey.gateway,
        f'mutation {{ setOptOutOfAllSharing(nin: "{nin}", optedOut: true) '
        "{ optedOutOfAllSharing consents { purpose { id lawfulBasis } canWithdraw inForce } } }",
        me,
    )
    change = switched["data"]["setOptOutOfAllSharing"]
    assert change["optedOutOfAllSharing"] is True
    listed = {c["purpose"]["id"]: c for c in change["consents"]}
    assert listed["universal-credit-assessment"]["canWithdraw"] is False
    assert listed["universal-credit-assessment"]["purpose"]["lawfulBasis"] == "public_task"
    assert listed["blue-badge-eligibility"]["inForce"] is False
    refused = await post(journey.gateway, service_view(nin), BLUE_BADGE, "blue-badge-eligibility")
    assert refused["errors"][0]["extensions"]["code"] == "OPTED_OUT"
    public_task = await post(
        journey.gateway, service_view(nin), UNIVERSAL_CREDIT, "universal-credit-assessment"
    )
    assert public_task["data"]["citizen"]["familyName"] == POPULATION[8].family_name


async def test_a_correction_reaches_the_department_and_its_answer_comes_back(
    journey: Journey,
) -> None:
    person = POPULATION[9]
    me = as_citizen(person.nin)
    asked = await post(
        journey.gateway,
        f'mutation {{ identityRequestCorrection(nin: "{person.nin}", field: "Citizen.familyName",'
        ' correction: "Corrected", reason: "My name was misspelt")'
        " { id status department dueOn } }",
        me,
    )
    request = asked["data"]["identityRequestCorrection"]
    assert request["status"] == "RECEIVED" and request["department"] == "identity"
    # The department resolves it in its own back office (a grant for its own staff tool).
    grant = grants.Grant(
        "identity-back-office",
        "rights-handling",
        "",
        "identity",
        {"": frozenset({"RightsRequest.id", "RightsRequest.status", "RightsRequest.answer"})},
    )
    resolve = (
        f'mutation {{ identityResolveRightsRequest(id: "{request["id"]}", status: DONE, '
        'answer: "Corrected on our records") { id status answer } }'
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            journey.urls["identity"],
            data=orjson.dumps({"query": resolve}),
            headers={
                "content-type": "application/json",
                grants.HEADER: grants.sign(grant, journey.key),
            },
        ) as response,
    ):
        resolved = orjson.loads(await response.read())
    assert resolved["data"]["identityResolveRightsRequest"]["status"] == "DONE", resolved
    mine = await post(
        journey.gateway,
        f'{{ identityRightsRequests(nin: "{person.nin}") {{ id status answer dueOn }} '
        f'citizen(nin: "{person.nin}") {{ familyName }} }}',
        me,
    )
    [seen] = mine["data"]["identityRightsRequests"]
    assert seen == {
        "id": request["id"],
        "status": "DONE",
        "answer": "Corrected on our records",
        "dueOn": request["dueOn"],
    }
    assert mine["data"]["citizen"]["familyName"] == "Corrected"
    # Another citizen cannot see these requests.
    theirs = await post(
        journey.gateway,
        f'{{ identityRightsRequests(nin: "{person.nin}") {{ id }} }}',
        as_citizen(POPULATION[10].nin),
    )
    assert theirs.get("data") is None or not theirs["data"]["identityRightsRequests"]
    assert theirs["errors"][0]["extensions"]["code"] == "NOT_THE_DATA_SUBJECT"


async def test_the_purpose_register_is_public_to_every_caller(journey: Journey) -> None:
    answer = await post(
        journey.gateway,
        "{ purposes { id name lawfulBasis } }",
        BLUE_BADGE,
        "blue-badge-eligibility",
    )
    ids = {p["id"] for p in answer["data"]["purposes"]}
    assert {"blue-badge-eligibility", "fraud-prevention"} <= ids


async def test_a_service_asks_for_consent_and_the_citizen_accepts(journey: Journey) -> None:
    person = POPULATION[12]
    me = as_citizen(person.nin)
    purpose = "blue-badge-eligibility"
    refused = await post(journey.gateway, service_view(person.nin), BLUE_BADGE, purpose)
    assert refused["errors"][0]["extensions"]["code"] in {
        "CONSENT_REQUIRED",
        "CONSENT_WITHDRAWN",
        "CONSENT_REFUSED",
        "OPTED_OUT",
    }
    asked = await post(
        journey.gateway,
        f'mutation {{ requestConsent(nin: "{person.nin}", purpose: "{purpose}", '
        'explanation: "So that you need not send us your award letters") '
        "{ id status organisation purpose { name } } }",
        BLUE_BADGE,
        purpose,
    )
    request = asked["data"]["requestConsent"]
    assert request["status"] == "PENDING", asked
    assert request["organisation"] == "Leeds City Council"
    pending = await post(
        journey.gateway,
        f'{{ citizen(nin: "{person.nin}") {{ pendingConsentRequests {{ id explanation }} }} }}',
        me,
    )
    seen = pending["data"]["citizen"]["pendingConsentRequests"]
    assert {
        "id": request["id"],
        "explanation": "So that you need not send us your award letters",
    } in seen
    # A service may not read the citizen's pending requests or their consents.
    nosy = await post(
        journey.gateway,
        f'{{ citizen(nin: "{person.nin}") {{ pendingConsentRequests {{ id }} }} }}',
        BLUE_BADGE,
        purpose,
    )
    assert (
        nosy["data"]["citizen"] is None or nosy["data"]["citizen"]["pendingConsentRequests"] is None
    )
    await post(
        journey.gateway,
        f'mutation {{ setOptOutOfAllSharing(nin: "{person.nin}", optedOut: false) '
        "{ optedOutOfAllSharing } }",
        me,
    )
    accepted = await post(
        journey.gateway,
        f'mutation {{ respondToConsentRequest(nin: "{person.nin}", requestId: "{request["id"]}", '
        "accept: true) { state } }",
        me,
    )
    assert accepted["data"]["respondToConsentRequest"]["state"] == "GIVEN", accepted
    released = await post(journey.gateway, service_view(person.nin), BLUE_BADGE, purpose)
    assert released["data"]["citizen"]["familyName"] == person.family_name
