"""The access service behind the real gateway: the log shows what the gateway itself recorded.

Departments and the access service run over real HTTP, each checking the
gateway's grants; the gateway decides with the embedded Rego policy and writes
the SQLite ledger the access service reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
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
from federation.security import SecurityConfig
from federation.supergraph import parse_supergraph
from joinedup import grants
from subgraphs.access.app import create_app as access_app
from subgraphs.access.schema import schema as access_schema
from subgraphs.app import create_app as department_app
from subgraphs.consent.records import PURPOSES_FILE, load_purposes
from subgraphs.consent.service import CLIENTS_FILE
from subgraphs.consent.store import open_consent_store
from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all
from tests.servers import serve

CITIZENS = 40
SEED = 9
POLICIES = Path(__file__).resolve().parents[2] / "policies"
ADULTS = [p.nin for p in people(CITIZENS, SEED) if 30 <= p.age <= 60]
BADGE = """query ($nin: ID!) { citizen(nin: $nin) {
  givenName drivingLicence { status } longTermConditions { term } } }"""
LOG = """query ($nin: ID!) { citizen(nin: $nin) { accessLog(first: 5) {
  entries { id service organisation purpose status released refused { what reason } outcome }
} } }"""
RECORD = """mutation ($id: ID!, $outcome: String!) {
  recordOutcome(accessId: $id, outcome: $outcome) { accessId outcome } }"""


@dataclass
class World:
    gateway: str
    data_dir: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("access-gateway")
    seed_all(data_dir, CITIZENS, SEED, DEPARTMENTS, progress=None)
    key = grants.load_or_create_private_key(data_dir / "keys" / "gateway.pem")
    ledger_url = f"sqlite:///{data_dir / 'ledger.db'}"
    access = access_app(
        ledger_url,
        f"sqlite:///{data_dir / 'access.db'}",
        orjson.loads(PURPOSES_FILE.read_bytes())["purposes"],
        orjson.loads(CLIENTS_FILE.read_bytes())["clients"],
        key.public_key(),
    )
    with contextlib.ExitStack() as stack:
        sources = [
            SubgraphSource(
                d.name,
                stack.enter_context(serve(department_app(d, data_dir, key.public_key())))
                + "/graphql",
                d.schema.as_str(),
            )
            for d in DEPARTMENTS
        ]
        access_url = stack.enter_context(serve(access)) + "/graphql"
        sources.append(SubgraphSource("access", access_url, access_schema.as_str()))
        gateway = Gateway(parse_supergraph(compose(sources)), subject_types=frozenset({"Citizen"}))
        security = SecurityConfig.from_environment(data_dir, policy_dir=POLICIES)
        url = stack.enter_context(serve(create_app(gateway, security=security)))
        yield World(url + "/graphql", data_dir)


@pytest.fixture(scope="module")
async def consented(world: World) -> AsyncIterator[str]:
    nin = ADULTS[0]
    store = await open_consent_store(f"sqlite:///{world.data_dir / 'consent.db'}", load_purposes())
    try:
        await store.give(nin, "blue-badge-eligibility", collection_method="web-portal", actor=nin)
    finally:
        await store.close()
    yield nin


async def ask(
    world: World,
    query: str,
    variables: dict[str, Any],
    client: str,
    purpose: str,
    citizen: str | None = None,
) -> dict[str, Any]:
    headers = {
        "authorization": f"Bearer {issue(client_id=client, citizen=citizen)}",
        "joinedup-purpose": purpose,
        "content-type": "application/json",
    }
    body = orjson.dumps({"query": query, "variables": variables})
    async with (
        aiohttp.ClientSession() as session,
        session.post(world.gateway, data=body, headers=headers) as response,
    ):
        assert response.status == 200
        result: dict[str, Any] = orjson.loads(await response.read())
        return result


async def read_own_log(world: World, nin: str) -> list[dict[str, Any]]:
    body = await ask(world, LOG, {"nin": nin}, "citizen-portal", "citizen-access", citizen=nin)
    assert "errors" not in body, body
    entries: list[dict[str, Any]] = body["data"]["citizen"]["accessLog"]["entries"]
    return entries


async def test_a_citizen_sees_the_access_the_gateway_recorded_and_its_outcome(
    world: World, consented: str
) -> None:
    nin = consented
    body = await ask(world, BADGE, {"nin": nin}, "blue-badge-service", "blue-badge-eligibility")
    assert body["data"]["citizen"]["givenName"], body
    entries = await read_own_log(world, nin)
    badge = next(e for e in entries if e["service"] == "Apply for a Blue Badge")
    assert badge["organisation"] == "Leeds City Council"
    assert badge["purpose"] == "Blue Badge eligibility"
    assert {"your name", "your driving licence", "your health records"} <= set(badge["released"])
    assert badge["status"] == "RELEASED" and badge["outcome"] is None

    body = await ask(
        world, RECORD, {"id": badge["id"], "outcome": "Blue Badge granted for 3 years"},
        "blue-badge-service", "blue-badge-eligibility",
    )  # fmt: skip
    assert body["data"]["recordOutcome"]["accessId"] == badge["id"], body
    body = await ask(
        world, RECORD, {"id": badge["id"], "outcome": "Seen"}, "gp-dashboard", "gp-home-readings"
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    entries = await read_own_log(world, nin)
    outcomes = {e["id"]: e["outcome"] for e in entries}
    assert outcomes[badge["id"]] == "Blue Badge granted for 3 years"
    # Reading the log is itself an access, recorded and shown next time.
    assert entries[0]["service"] == "Your records (citizen portal)"


async def test_no_one_else_reads_a_citizens_log_through_the_gateway(
    world: World, consented: str
) -> None:
    other = ADULTS[1]
    body = await ask(
        world, LOG, {"nin": consented}, "citizen-portal", "citizen-access", citizen=other
    )
    assert body["data"]["citizen"] is None or body["data"]["citizen"]["accessLog"] is None
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"NOT_THE_DATA_SUBJECT"}, body
    body = await ask(world, LOG, {"nin": consented}, "blue-badge-service", "blue-badge-eligibility")
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"CATEGORY_NOT_IN_PURPOSE"}, body
    assert "Apply for a Blue Badge" not in orjson.dumps(body).decode()
