"""The public data register, served over real HTTP from a composed supergraph and a real ledger.

Two small strawberry subgraphs stand in for NHS and DWP (their names match the
departments in `policies/data/purposes.json`, so the real registries apply).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import strawberry
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette

from federation.compose import SubgraphSource, compose
from federation.ledger import LedgerEntry, open_ledger
from federation.register import build_register, register_routes
from federation.supergraph import Supergraph, parse_supergraph
from subgraphs.directives import PERSONAL, PUBLIC, SPECIAL, data
from tests.ledger.conftest import postgres_schema
from tests.servers import serve

NINS = ("QQ123456A", "QQ654321B", "QQ111111C")
PURPOSES = orjson.loads((Path(__file__).parents[2] / "policies/data/purposes.json").read_bytes())[
    "purposes"
]
CLIENTS = orjson.loads((Path(__file__).parents[2] / "policies/data/clients.json").read_bytes())[
    "clients"
]
NIN = "user.government_id.national_identification_number"


@strawberry.federation.type(keys=["nin"], name="Citizen")
class DwpCitizen:
    nin: strawberry.ID = data(NIN)
    universal_credit: int = data("user.financial.benefits.universal_credit", PERSONAL)


@strawberry.type(name="Query")
class DwpQuery:
    @data(NIN)
    def citizen(self, nin: strawberry.ID) -> DwpCitizen:
        return DwpCitizen(nin=nin, universal_credit=0)

    @data("public.jobcentre", PUBLIC)
    def jobcentres(self) -> list[str]:
        return []


@strawberry.federation.type(keys=["nin"], name="Citizen")
class NhsCitizen:
    nin: strawberry.ID = data(NIN)
    blood_pressure: int = data("user.health_and_medical.vitals.blood_pressure", SPECIAL)


@strawberry.federation.type(keys=["nin"], name="Citizen")
class NhsCitizenWithEyeTest(NhsCitizen):
    eye_test: str = data("user.health_and_medical.eye_test", SPECIAL)


def supergraph(with_eye_test: bool) -> Supergraph:
    """The two subgraphs composed; NHS's second version adds `Citizen.eyeTest`."""
    nhs = NhsCitizenWithEyeTest if with_eye_test else NhsCitizen
    return parse_supergraph(
        compose(
            [
                SubgraphSource(
                    "dwp",
                    "http://127.0.0.1:1/graphql",
                    strawberry.federation.Schema(query=DwpQuery).as_str(),
                ),
                SubgraphSource(
                    "nhs",
                    "http://127.0.0.1:2/graphql",
                    strawberry.federation.Schema(types=[nhs]).as_str(),
                ),
            ]
        )
    )


def _entry(
    at: datetime, nin: str, department: str, purpose: str, client: str, released: bool,
    refused: bool,
) -> LedgerEntry:  # fmt: skip
    return LedgerEntry(
        at=at,
        request_id=str(uuid.uuid4()),
        client_id=client,
        organisation="org",
        purpose=purpose,
        subject=nin,
        department=department,
        released=("Citizen.bloodPressure",) if released else (),
        refused=(("Citizen.eyeTest", "CONSENT_REQUIRED"),) if refused else (),
        decision_id="d",
        policy_revision="r",
        consent_version=1,
    )


JAN = datetime(2026, 1, 15, 12, tzinfo=UTC)
FEB = datetime(2026, 2, 3, 8, tzinfo=UTC)
# (at, department, purpose, released, refused) for each NIN in turn
WRITTEN = [
    (JAN, "nhs", "gp-home-readings", True, False),
    (JAN, "nhs", "gp-home-readings", True, True),
    (JAN, "nhs", "driving-medical-review", False, True),
    (FEB, "nhs", "gp-home-readings", True, False),
    (FEB, "dwp", "universal-credit-assessment", True, False),
    (FEB, "dwp", "universal-credit-assessment", False, True),
]


@dataclass
class Served:
    url: str
    ledger_url: str
    request_ids: list[str]
    current: dict[str, Supergraph]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    import asyncio

    ledger_url = f"sqlite:///{tmp_path_factory.mktemp('register') / 'ledger.db'}"
    entries = [
        _entry(at, nin, department, purpose, "gp-dashboard", released, refused)
        for at, department, purpose, released, refused in WRITTEN
        for nin in NINS
    ]

    async def write() -> None:
        async with await open_ledger(ledger_url, Ed25519PrivateKey.generate()) as ledger:
            await ledger.record(entries)

    asyncio.run(write())
    current = {"supergraph": supergraph(with_eye_test=False)}
    app = Starlette(routes=register_routes(lambda: current["supergraph"], ledger_url))
    with serve(app) as url:
        yield Served(url, ledger_url, [e.request_id for e in entries], current)


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["content-type"], await response.text()


def _department(register: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in register["departments"] if d["department"] == name)
    return found


def _categories(register: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    return {c["category"]: c for c in _department(register, name)["categories"]}


async def test_a_new_data_category_appears_once_the_gateway_recomposes(served: Served) -> None:
    status, _, text = await get(served.url + "/register")
    assert status == 200
    before = _categories(orjson.loads(text), "nhs")
    assert "user.health_and_medical.eye_test" not in before
    assert before["user.health_and_medical.vitals.blood_pressure"]["sensitivity"] == "SPECIAL"
    served.current["supergraph"] = supergraph(with_eye_test=True)
    try:
        status, _, text = await get(served.url + "/register")
        after = _categories(orjson.loads(text), "nhs")
    finally:
        served.current["supergraph"] = supergraph(with_eye_test=False)
    eye = after["user.health_and_medical.eye_test"]
    assert eye["sensitivity"] == "SPECIAL" and eye["fields"] == ["Citizen.eyeTest"]
    # Purposes whose categories cover it and whose departments include NHS, as the policy says
    # (GP care with home readings covers vital signs only).
    assert {p["purpose"] for p in eye["purposes"]} == {"driving-medical-review", "citizen-access"}
    review = next(p for p in eye["purposes"] if p["purpose"] == "driving-medical-review")
    assert review["lawfulBasis"] == "consent"
    assert [s["client"] for s in review["services"]] == ["dvla-medical"]
    assert review["services"][0]["organisation"] == "Driver and Vehicle Licensing Agency"


async def test_categories_purposes_and_bases_come_from_the_graph_and_registries(
    served: Served,
) -> None:
    register = await build_register(served.current["supergraph"], PURPOSES, CLIENTS, None)
    dwp = _categories(register, "dwp")
    assert set(dwp) == {NIN, "user.financial.benefits.universal_credit", "public.jobcentre"}
    assert dwp[NIN]["fields"] == ["Citizen.nin", "Query.citizen"]
    credit = {p["purpose"]: p for p in dwp["user.financial.benefits.universal_credit"]["purposes"]}
    # free-school-meals names exactly this category; blue-badge covers DWP but not finance.
    assert "free-school-meals" in credit and "blue-badge-eligibility" not in credit
    assert credit["universal-credit-assessment"]["lawfulBasis"] == "public_task"
    assert credit["fraud-prevention"]["lawfulBasis"] == "legal_obligation"
    assert dwp["public.jobcentre"]["openToAll"] is True
    assert _department(register, "dwp")["usage"] == []  # no ledger given


async def test_monthly_counts_match_the_ledger(served: Served) -> None:
    status, _, text = await get(served.url + "/register")
    assert status == 200
    register = orjson.loads(text)
    expected: dict[tuple[str, str, str], list[int]] = {}
    for at, department, purpose, released, refused in WRITTEN:
        counts = expected.setdefault((department, at.strftime("%Y-%m"), purpose), [0, 0])
        counts[0] += len(NINS) if released else 0
        counts[1] += len(NINS) if refused else 0
    found = {
        (d["department"], u["month"], u["purpose"]): [u["releases"], u["refusals"]]
        for d in register["departments"]
        for u in d["usage"]
    }
    assert found == expected
    assert found[("nhs", "2026-01", "gp-home-readings")] == [6, 3]


async def test_no_nin_or_request_id_in_any_form(served: Served) -> None:
    for path, media in (
        ("/register", "application/json"),
        ("/register.csv", "text/csv"),
        ("/register.html", "text/html"),
    ):
        status, content_type, text = await get(served.url + path)
        assert status == 200 and content_type.startswith(media)
        assert "GP care with your home readings" in text  # the register is not empty
        for secret in (*NINS, *served.request_ids):
            assert secret not in text, (path, secret)


async def test_csv_and_html_carry_the_same_register(served: Served) -> None:
    _, _, text = await get(served.url + "/register.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    held = {(r["department"], r["category"], r["purpose"]) for r in rows if r["category"]}
    assert ("nhs", "user.health_and_medical.vitals.blood_pressure", "gp-home-readings") in held
    usage = {
        (r["department"], r["month"], r["purpose"]): (int(r["releases"]), int(r["refusals"]))
        for r in rows
        if r["month"]
    }
    assert usage[("dwp", "2026-02", "universal-credit-assessment")] == (3, 3)
    _, _, page = await get(served.url + "/register.html")
    assert "<h2>nhs</h2>" in page and "GP care with your home readings" in page


async def test_only_get_is_served(served: Served) -> None:
    async with aiohttp.ClientSession() as session, session.post(served.url + "/register") as r:
        assert r.status == 405


async def test_counts_are_the_same_from_a_postgresql_ledger(served: Served) -> None:
    entries = [
        _entry(at, nin, department, purpose, "gp-dashboard", released, refused)
        for at, department, purpose, released, refused in WRITTEN
        for nin in NINS
    ]
    sg = served.current["supergraph"]
    from_sqlite = await build_register(sg, PURPOSES, CLIENTS, served.ledger_url)
    async with postgres_schema() as url:
        async with await open_ledger(url, Ed25519PrivateKey.generate()) as ledger:
            await ledger.record(entries)
        from_postgres = await build_register(sg, PURPOSES, CLIENTS, url)
    assert [d["usage"] for d in from_postgres["departments"]] == [
        d["usage"] for d in from_sqlite["departments"]
    ]
    assert any(d["usage"] for d in from_postgres["departments"])


async def test_an_empty_or_missing_ledger_gives_no_counts(tmp_path: Path, served: Served) -> None:
    sg = served.current["supergraph"]
    missing = await build_register(sg, PURPOSES, CLIENTS, f"sqlite:///{tmp_path / 'none.db'}")
    async with postgres_schema() as url:
        empty = await build_register(sg, PURPOSES, CLIENTS, url)
    for register in (missing, empty):
        assert all(d["usage"] == [] for d in register["departments"])
        assert _categories(register, "nhs")  # the holdings are still there


async def test_counts_follow_entries_added_after_the_first_request(tmp_path: Path) -> None:
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    key = Ed25519PrivateKey.generate()
    sg = supergraph(with_eye_test=False)
    app = Starlette(routes=register_routes(lambda: sg, ledger_url))

    async def append(at: datetime, count: int) -> None:
        async with await open_ledger(ledger_url, key) as ledger:
            await ledger.record(
                [_entry(at, NINS[0], "nhs", "gp-home-readings", "gp-dashboard", True, False)]
                * count
            )

    def usage(text: str) -> dict[str, list[int]]:
        nhs = _department(orjson.loads(text), "nhs")
        return {u["month"]: [u["releases"], u["refusals"]] for u in nhs["usage"]}

    with serve(app) as url:
        _, _, text = await get(url + "/register")
        assert usage(text) == {}
        await append(JAN, 2)
        _, _, text = await get(url + "/register")
        assert usage(text) == {"2026-01": [2, 0]}
        await append(JAN, 3)
        await append(FEB, 1)
        _, _, text = await get(url + "/register.csv")
        _, _, text = await get(url + "/register")
        assert usage(text) == {"2026-01": [5, 0], "2026-02": [1, 0]}
