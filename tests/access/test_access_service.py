"""The access service over real HTTP: a citizen's log from a real ledger, and outcomes.

Ledger entries are written with the ledger's own API; requests carry grants
signed with the gateway key the service checks, as the gateway would send them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import LedgerEntry, open_ledger
from joinedup import grants
from subgraphs.access.app import create_app
from subgraphs.consent.records import PURPOSES_FILE
from subgraphs.consent.service import CLIENTS_FILE
from subgraphs.people import people
from tests.servers import serve

ALICE, BOB, CAROL = (p.nin for p in people(3, 11))
PURPOSES = orjson.loads(PURPOSES_FILE.read_bytes())["purposes"]
CLIENTS = orjson.loads(CLIENTS_FILE.read_bytes())["clients"]
LOG = """query ($nin: String!, $first: Int, $after: String) {
  _entities(representations: [{__typename: "Citizen", nin: $nin}]) {
    ... on Citizen { accessLog(first: $first, after: $after) {
      entries { id at service organisation purpose departments status released
                refused { what reason } outcome }
      endCursor hasNextPage } }
  }
}"""
RECORD = """mutation ($id: ID!, $outcome: String!) {
  recordOutcome(accessId: $id, outcome: $outcome) { accessId outcome recordedAt }
}"""
LOG_FIELDS = {
    "Citizen.accessLog",
    "AccessLogPage.entries",
    "AccessLogPage.endCursor",
    "AccessLogPage.hasNextPage",
    *(
        f"AccessLogEntry.{f}"
        for f in (
            *("id", "at", "service", "organisation", "purpose"),
            *("departments", "status", "released", "refused", "outcome"),
        )
    ),
    "RefusedData.what",
    "RefusedData.reason",
}
RECORD_FIELDS = {
    "Mutation.recordOutcome",
    "RecordedOutcome.accessId",
    "RecordedOutcome.outcome",
    "RecordedOutcome.recordedAt",
}


@dataclass
class Service:
    url: str
    key: Ed25519PrivateKey
    requests: dict[str, str]  # name → request id written to the ledger


def _entry(
    request_id: str, at: datetime, subject: str, department: str, client: str, purpose: str,
    released: tuple[str, ...], refused: tuple[tuple[str, str], ...] = (),
) -> LedgerEntry:  # fmt: skip
    return LedgerEntry(
        at=at,
        request_id=request_id,
        client_id=client,
        organisation="from the token",
        purpose=purpose,
        subject=subject,
        department=department,
        released=released,
        refused=refused,
        decision_id=str(uuid.uuid4()),
        policy_revision="r1",
        consent_version=1,
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    import asyncio

    data_dir: Path = tmp_path_factory.mktemp("access")
    key = Ed25519PrivateKey.generate()
    ledger_url = f"sqlite:///{data_dir / 'ledger.db'}"
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    names = ["badge", "gp", "uc", "portal"] + [f"page{i}" for i in range(5)]
    ids = {name: str(uuid.uuid4()) for name in names}
    batches = [
        [  # the Blue Badge service: licence released, health refused, about Alice
            _entry(ids["badge"], start, ALICE, "dvla", "blue-badge-service",
                   "blue-badge-eligibility", ("Citizen.drivingLicence",)),
            _entry(ids["badge"], start, ALICE, "nhs", "blue-badge-service",
                   "blue-badge-eligibility", (),
                   (("Citizen.conditions", "CONSENT_WITHDRAWN"),)),
            _entry(ids["badge"], start, BOB, "dvla", "blue-badge-service",
                   "blue-badge-eligibility", ("Citizen.drivingLicence",)),
        ],
        [_entry(ids["gp"], start + timedelta(hours=1), ALICE, "nhs", "gp-dashboard",
                "gp-home-readings", ("Citizen.bloodPressureReadings",))],
        [_entry(ids["uc"], start + timedelta(hours=2), ALICE, "hmrc",
                "universal-credit-service", "universal-credit-assessment", (),
                (("Citizen.taxCode", "CATEGORY_NOT_IN_PURPOSE"),))],
        # Bob, through the citizen portal, asked about Carol: refused, and recorded as hers.
        [_entry(ids["portal"], start + timedelta(hours=3), CAROL, "identity",
                "citizen-portal", "citizen-access", (),
                (("Citizen.givenName", "NOT_THE_DATA_SUBJECT"),))],
    ]  # fmt: skip
    for i in range(5):
        at = start + timedelta(days=1, minutes=i)
        batches.append(
            [
                _entry(ids[f"page{i}"], at, BOB, d, "universal-credit-service",
                       "universal-credit-assessment", ("Citizen.givenName",))
                for d in ("identity", "hmrc")
            ]
        )  # fmt: skip

    async def write() -> None:
        ledger = await open_ledger(ledger_url, key)
        async with ledger:
            for batch in batches:
                await ledger.record(batch)

    asyncio.run(write())
    catalog = {
        ("dvla", "Citizen.drivingLicence"): "user.government_id.driving_licence",
        ("nhs", "Citizen.conditions"): "user.health_and_medical.condition",
        ("nhs", "Citizen.bloodPressureReadings"): "user.health_and_medical.vitals",
        ("hmrc", "Citizen.taxCode"): "user.financial.tax",
        ("identity", "Citizen.givenName"): "user.name.first",
        ("hmrc", "Citizen.givenName"): "user.name.first",
    }
    app = create_app(
        ledger_url,
        f"sqlite:///{data_dir / 'access.db'}",
        PURPOSES,
        CLIENTS,
        key.public_key(),
        catalog,
    )
    with serve(app) as url:
        yield Service(url + "/graphql", key, ids)


def grant_for(
    key: Ed25519PrivateKey, client: str, subjects: dict[str, set[str]], citizen: str | None = None
) -> str:
    grant = grants.Grant(
        client=client,
        purpose="citizen-access",
        decision_id="d1",
        department="access",
        subjects={s: frozenset(c) for s, c in subjects.items()},
        citizen=citizen,
    )
    return grants.sign(grant, key)


async def post(
    service: Service, query: str, variables: dict[str, Any], grant: str | None
) -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json"}
    if grant is not None:
        headers[grants.HEADER] = grant
    body = orjson.dumps({"query": query, "variables": variables})
    async with (
        aiohttp.ClientSession() as session,
        session.post(service.url, data=body, headers=headers) as response,
    ):
        return response.status, orjson.loads(await response.read())


async def read_log(
    service: Service, nin: str, citizen: str | None, first: int | None = None, after: Any = None
) -> tuple[int, dict[str, Any]]:
    grant = grant_for(service.key, "citizen-portal", {nin: LOG_FIELDS}, citizen)
    variables = {"nin": nin, "first": first, "after": after}
    return await post(service, LOG, variables, grant)


async def record(
    service: Service, client: str, access_id: str, outcome: str
) -> tuple[int, dict[str, Any]]:
    grant = grant_for(service.key, client, {"": RECORD_FIELDS})
    return await post(service, RECORD, {"id": access_id, "outcome": outcome}, grant)


def _log(body: dict[str, Any]) -> dict[str, Any]:
    log: dict[str, Any] = body["data"]["_entities"][0]["accessLog"]
    return log


async def test_the_citizen_reads_their_accesses_newest_first_in_plain_english(
    service: Service,
) -> None:
    status, body = await read_log(service, ALICE, citizen=ALICE)
    assert status == 200 and "errors" not in body, body
    entries = _log(body)["entries"]
    assert [e["id"] for e in entries] == [
        f"{service.requests[name]}:{ALICE}" for name in ("uc", "gp", "badge")
    ]
    uc, gp, badge = entries
    assert badge["service"] == "Apply for a Blue Badge"
    assert badge["organisation"] == "Leeds City Council"
    assert badge["purpose"] == "Blue Badge eligibility"
    assert badge["departments"] == ["dvla", "nhs"]
    assert badge["status"] == "PARTLY_RELEASED"
    assert badge["released"] == ["your driving licence"]
    assert badge["refused"] == [
        {"what": "your health records", "reason": "you withdrew your consent"}
    ]
    assert badge["at"].startswith("2026-03-01T09:00:00")
    assert gp["status"] == "RELEASED" and gp["released"] == ["your health records"]
    assert gp["service"] == "GP patient dashboard"
    assert uc["status"] == "REFUSED" and uc["released"] == []
    assert uc["refused"][0]["what"] == "your tax records"
    assert all(e["outcome"] is None for e in entries)
    assert _log(body)["hasNextPage"] is False


async def test_nobody_else_reads_a_citizens_log(service: Service) -> None:
    for citizen in (BOB, None):
        status, body = await read_log(service, ALICE, citizen=citizen)
        assert status == 200
        assert body["data"]["_entities"] == [None], body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert "Blue Badge" not in orjson.dumps(body).decode()


async def test_a_request_without_a_gateway_grant_is_refused(service: Service) -> None:
    status, body = await post(service, LOG, {"nin": ALICE}, None)
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "GRANT_REFUSED"
    forged = grant_for(Ed25519PrivateKey.generate(), "citizen-portal", {ALICE: LOG_FIELDS}, ALICE)
    status, body = await post(service, LOG, {"nin": ALICE}, forged)
    assert status == 401


async def test_pages_cover_every_access_once_and_end_on_request_boundaries(
    service: Service,
) -> None:
    seen: list[str] = []
    after = None
    for _ in range(10):
        status, body = await read_log(service, BOB, citizen=BOB, first=2, after=after)
        assert status == 200 and "errors" not in body, body
        page = _log(body)
        assert len(page["entries"]) <= 2
        seen += [e["id"] for e in page["entries"]]
        if not page["hasNextPage"]:
            assert page["endCursor"] is None
            break
        after = page["endCursor"]
    expected = [f"{service.requests[f'page{i}']}:{BOB}" for i in reversed(range(5))]
    assert seen == [*expected, f"{service.requests['badge']}:{BOB}"]
    # Each of Bob's paged accesses spans two departments: none was split across pages.
    status, body = await read_log(service, BOB, citizen=BOB, first=20)
    assert [e["departments"] for e in _log(body)["entries"][:5]] == [["hmrc", "identity"]] * 5


@pytest.mark.parametrize(
    ("first", "after"), [(0, None), (101, None), (2, "abc"), (2, "-1"), (2, "\u00b2")]
)
async def test_bad_paging_is_a_clear_error(service: Service, first: int, after: Any) -> None:
    status, body = await read_log(service, ALICE, citizen=ALICE, first=first, after=after)
    assert status == 200
    assert body["data"]["_entities"] == [None]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_only_the_service_that_accessed_records_an_outcome(service: Service) -> None:
    badge = f"{service.requests['badge']}:{ALICE}"
    status, body = await record(service, "gp-dashboard", badge, "Nothing to see")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    status, body = await record(service, "blue-badge-service", badge, "Blue Badge granted")
    assert status == 200 and "errors" not in body, body
    assert body["data"]["recordOutcome"]["outcome"] == "Blue Badge granted"
    assert body["data"]["recordOutcome"]["accessId"] == badge
    status, body = await read_log(service, ALICE, citizen=ALICE)
    outcomes = {e["id"]: e["outcome"] for e in _log(body)["entries"]}
    assert outcomes[badge] == "Blue Badge granted"
    assert [o for i, o in outcomes.items() if i != badge] == [None, None]
    # Bob was in the same request; his access is his own and has no outcome yet.
    status, body = await read_log(service, BOB, citizen=BOB, first=20)
    assert all(e["outcome"] is None for e in _log(body)["entries"])


async def test_a_citizen_records_no_outcome_not_even_through_the_portal(
    service: Service,
) -> None:
    portal = f"{service.requests['portal']}:{CAROL}"
    grant = grant_for(service.key, "citizen-portal", {"": RECORD_FIELDS}, citizen=BOB)
    _, body = await post(service, RECORD, {"id": portal, "outcome": "Call 0900 now"}, grant)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, body = await read_log(service, CAROL, citizen=CAROL)
    assert [e["outcome"] for e in _log(body)["entries"]] == [None]


@pytest.mark.parametrize(
    ("access", "outcome", "code"),
    [
        ("unknown-request:AB123456C", "Granted", "NOT_FOUND"),
        ("not an access id", "Granted", "NOT_FOUND"),
        (None, "", "BAD_USER_INPUT"),
        (None, "   ", "BAD_USER_INPUT"),
        (None, "x" * 201, "BAD_USER_INPUT"),
    ],
)
async def test_bad_outcomes_are_refused_and_change_nothing(
    service: Service, access: str | None, outcome: str, code: str
) -> None:
    gp = f"{service.requests['gp']}:{ALICE}"
    status, body = await record(service, "gp-dashboard", access or gp, outcome)
    assert status == 200
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code
    _, body = await read_log(service, ALICE, citizen=ALICE)
    assert {e["id"]: e["outcome"] for e in _log(body)["entries"]}[gp] is None


async def test_an_outcome_of_200_characters_is_kept_and_a_later_one_replaces_it(
    service: Service,
) -> None:
    uc = f"{service.requests['uc']}:{ALICE}"
    for outcome in ("y" * 200, "Award assessed"):
        status, body = await record(service, "universal-credit-service", uc, outcome)
        assert status == 200 and "errors" not in body, body
        _, body = await read_log(service, ALICE, citizen=ALICE)
        assert {e["id"]: e["outcome"] for e in _log(body)["entries"]}[uc] == outcome


@pytest.fixture
async def no_ledger_service(tmp_path: Path) -> AsyncIterator[Service]:
    key = Ed25519PrivateKey.generate()
    app = create_app(
        f"sqlite:///{tmp_path / 'none.db'}",
        f"sqlite:///{tmp_path / 'access.db'}",
        PURPOSES,
        CLIENTS,
        key.public_key(),
        {},
    )
    with serve(app) as url:
        yield Service(url + "/graphql", key, {})


async def test_before_anything_is_recorded_the_log_is_empty(no_ledger_service: Service) -> None:
    status, body = await read_log(no_ledger_service, ALICE, citizen=ALICE)
    assert status == 200 and "errors" not in body, body
    assert _log(body) == {"entries": [], "endCursor": None, "hasNextPage": False}
    _, body = await record(no_ledger_service, "gp-dashboard", f"x:{ALICE}", "Done")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
