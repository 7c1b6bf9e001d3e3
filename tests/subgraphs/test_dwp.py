"""DWP over real HTTP: Universal Credit, PIP and State Pension claims, rights, claiming."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import FieldDefinitionNode, ObjectTypeDefinitionNode, parse

from subgraphs.app import create_app
from subgraphs.dwp.department import DWP
from subgraphs.dwp.store import add_months, state_pension_date
from subgraphs.people import REFERENCE_DATE, Person, people
from subgraphs.seed import seed_all
from tests.servers import serve
from tests.subgraphs.conftest import CITIZENS, SEED, Subgraph
from tests.subgraphs.rights_operations import rights_operations

# Citizens from this index on are changed by the mutation tests; the rest stay as seeded.
UNTOUCHED = 250
LIVE = {"APPLIED", "IN_PAYMENT", "SUSPENDED"}
UC_FIELDS = (
    "universalCreditClaims { status claimedOn awardedOn monthlyAward"
    " assessmentPeriod { startsOn endsOn } nextReviewOn endedOn }"
)
PIP_FIELDS = (
    "personalIndependencePaymentClaims { status claimedOn awardedOn dailyLivingRate"
    " dailyLivingWeekly mobilityRate mobilityWeekly reviewOn endedOn }"
)
PENSION = "{ scheme status claimedOn awardedOn weeklyAmount }"
EVERYTHING = f"nin dwpReminderPhone statePension {PENSION} {UC_FIELDS} {PIP_FIELDS}"
CITIZEN = f"query($nin: ID!) {{ dwpCitizen(nin: $nin) {{ {EVERYTHING} }} }}"
REQUEST = "id field status answer"
CORRECT, ERASE, RESOLVE, REQUESTS = rights_operations("dwp", REQUEST)
CLAIM = f"mutation($nin: ID!) {{ dwpClaimStatePension(nin: $nin) {PENSION} }}"
PIP_WEEKLY = {
    "dailyLiving": {"STANDARD": Decimal("76.70"), "ENHANCED": Decimal("114.60")},
    "mobility": {"STANDARD": Decimal("30.30"), "ENHANCED": Decimal("79.95")},
}


async def entities(graph: Subgraph, nins: list[str], selection: str) -> list[dict[str, Any]]:
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { "
        + selection
        + " } } }"
    )
    result = await graph.query(query, {"r": [{"__typename": "Citizen", "nin": n} for n in nins]})
    assert "errors" not in result, result["errors"]
    found: list[dict[str, Any]] = result["data"]["_entities"]
    return found


def _day(value: str | None) -> date:
    assert value is not None
    return date.fromisoformat(value)


@pytest.fixture(scope="module")
def seeded() -> list[Person]:
    return list(people(UNTOUCHED, SEED))


@pytest.fixture
async def served(subgraph: Callable[[str], Subgraph], seeded: list[Person]) -> list[dict[str, Any]]:
    return await entities(subgraph("dwp"), [p.nin for p in seeded], EVERYTHING)


def test_state_pension_age_rises_month_by_month() -> None:
    assert state_pension_date(date(1960, 4, 5)) == date(2026, 4, 5)
    assert state_pension_date(date(1960, 4, 6)) == date(2026, 5, 6)  # 66 and one month
    assert state_pension_date(date(1960, 9, 20)) == date(2027, 3, 20)  # 66 and six months
    assert state_pension_date(date(1961, 3, 5)) == date(2028, 2, 5)  # 66 and eleven months
    assert state_pension_date(date(1961, 3, 6)) == date(2028, 3, 6)  # 67
    assert state_pension_date(date(1956, 2, 29)) == date(2022, 2, 28)


async def test_served_values_are_the_stored_ones(
    served: list[dict[str, Any]], seeded: list[Person], data_dir: Path
) -> None:
    db = sqlite3.connect(f"file:{data_dir / 'dwp.db'}?mode=ro", uri=True)
    weekly = dict(db.execute("SELECT nin, weekly FROM state_pensions").fetchall())
    phones = dict(db.execute("SELECT nin, phone FROM reminder_phones").fetchall())
    uc = db.execute("SELECT nin, monthly FROM uc_claims ORDER BY nin, seq DESC").fetchall()
    pip = db.execute("SELECT nin, status FROM pip_claims ORDER BY nin, seq DESC").fetchall()
    db.close()
    for person, citizen in zip(seeded, served, strict=True):
        assert citizen["nin"] == person.nin
        pension = citizen["statePension"]
        assert (pension is not None) == (person.nin in weekly)
        if pension and pension["weeklyAmount"] is not None:
            assert int(Decimal(pension["weeklyAmount"]) * 100) == weekly[person.nin]
        assert citizen["dwpReminderPhone"] == phones.get(person.nin)
        awards = [
            None if c["monthlyAward"] is None else int(Decimal(c["monthlyAward"]) * 100)
            for c in citizen["universalCreditClaims"]
        ]
        assert awards == [row[1] for row in uc if row[0] == person.nin]
        statuses = [c["status"] for c in citizen["personalIndependencePaymentClaims"]]
        assert statuses == [row[1] for row in pip if row[0] == person.nin]


async def test_state_pension_only_from_state_pension_age(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    of_age = [p for p in seeded if state_pension_date(p.date_of_birth) <= REFERENCE_DATE]
    claims = {c["nin"]: c["statePension"] for c in served if c["statePension"]}
    assert claims and len(claims) >= len(of_age) * 0.9
    for person in seeded:
        claim = claims.get(person.nin)
        if claim is None:
            continue
        assert person.age >= 66 and person in of_age
        assert _day(claim["claimedOn"]) >= add_months(state_pension_date(person.date_of_birth), -4)
        if claim["status"] == "APPLIED":
            assert claim["awardedOn"] is None and claim["weeklyAmount"] is None
            continue
        assert _day(claim["awardedOn"]) == state_pension_date(person.date_of_birth)
        amount = Decimal(claim["weeklyAmount"])
        if claim["scheme"] == "NEW":
            assert Decimal("68") < amount <= Decimal("241.30")
        else:
            assert person.date_of_birth < date(1953, 4, 6)
            assert Decimal("100") < amount < Decimal("260")


async def test_universal_credit_is_for_working_age_adults(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    claimants = 0
    for person, citizen in zip(seeded, served, strict=True):
        claims = citizen["universalCreditClaims"]
        if not claims:
            continue
        claimants += 1
        assert person.age >= 18 and state_pension_date(person.date_of_birth) > REFERENCE_DATE
        assert sum(c["status"] in LIVE for c in claims) <= 1
        assert [c["claimedOn"] for c in claims] == sorted(
            (c["claimedOn"] for c in claims), reverse=True
        )
        for claim in claims:
            claimed = _day(claim["claimedOn"])
            assert add_months(person.date_of_birth, 18 * 12) <= claimed <= REFERENCE_DATE
            if claim["status"] == "APPLIED":
                assert claim["monthlyAward"] is None and claim["awardedOn"] is None
                assert (REFERENCE_DATE - claimed).days < 35
            else:
                assert Decimal("25") <= Decimal(claim["monthlyAward"]) < Decimal("3000")
                assert (_day(claim["awardedOn"]) - claimed).days == 35
            if claim["status"] == "ENDED":
                assert _day(claim["awardedOn"]) < _day(claim["endedOn"]) < REFERENCE_DATE
                assert claim["assessmentPeriod"] is None and claim["nextReviewOn"] is None
                continue
            assert claim["endedOn"] is None
            period = claim["assessmentPeriod"]
            starts, ends = _day(period["startsOn"]), _day(period["endsOn"])
            assert starts <= REFERENCE_DATE <= ends
            months = (starts.year - claimed.year) * 12 + starts.month - claimed.month
            assert starts == add_months(claimed, months)
            assert ends == add_months(claimed, months + 1) - timedelta(days=1)
            assert _day(claim["nextReviewOn"]) > REFERENCE_DATE
    assert claimants > 10


async def test_pip_claims_follow_the_rules(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    claimants = 0
    for person, citizen in zip(seeded, served, strict=True):
        claims = citizen["personalIndependencePaymentClaims"]
        claimants += bool(claims)
        assert sum(c["status"] in LIVE for c in claims) <= 1
        for claim in claims:
            claimed = _day(claim["claimedOn"])
            assert claimed >= max(add_months(person.date_of_birth, 16 * 12), date(2013, 4, 8))
            assert claimed < state_pension_date(person.date_of_birth)
            rates = (claim["dailyLivingRate"], claim["mobilityRate"])
            if claim["status"] == "APPLIED":
                assert rates == (None, None) and claim["awardedOn"] is None
                continue
            assert rates != (None, None) and _day(claim["awardedOn"]) > claimed
            for component in ("dailyLiving", "mobility"):
                rate, weekly = claim[f"{component}Rate"], claim[f"{component}Weekly"]
                assert (
                    (weekly is None)
                    if rate is None
                    else Decimal(weekly) == PIP_WEEKLY[component][rate]
                )
            if claim["status"] == "ENDED":
                assert _day(claim["awardedOn"]) < _day(claim["endedOn"]) <= REFERENCE_DATE
                assert claim["reviewOn"] is None
            else:
                assert claim["endedOn"] is None and _day(claim["reviewOn"]) > REFERENCE_DATE
    assert claimants > 5


def _category(field: FieldDefinitionNode) -> tuple[str, str]:
    (directive,) = [d for d in field.directives or () if d.name.value == "dataCategory"]
    args = {a.name.value: str(getattr(a.value, "value", "")) for a in directive.arguments or ()}
    return args["name"], args["sensitivity"]


async def test_pip_is_special_category_data(subgraph: Callable[[str], Subgraph]) -> None:
    sdl = (await subgraph("dwp").query("{ _service { sdl } }"))["data"]["_service"]["sdl"]
    types = {
        d.name.value: d for d in parse(sdl).definitions if isinstance(d, ObjectTypeDefinitionNode)
    }
    pip = types["PersonalIndependencePaymentClaim"]
    citizen = types["Citizen"].fields or ()
    fields = [*(pip.fields or ()), *(f for f in citizen if "Independence" in f.name.value)]
    assert len(fields) == 10
    for field in fields:
        name, sensitivity = _category(field)
        assert sensitivity == "SPECIAL", field.name.value
        assert name.startswith("user.health_and_medical."), field.name.value
    for field in types["UniversalCreditClaim"].fields or ():
        assert _category(field)[1] == "PERSONAL", field.name.value


async def test_a_batch_costs_one_query_per_list_field(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dwp")
    nins = [p.nin for p in people(100, SEED)]
    before = graph.store_queries
    found = await entities(graph, nins, f"nin statePension {PENSION} {UC_FIELDS} {PIP_FIELDS}")
    assert graph.store_queries - before == 3
    assert [c["nin"] for c in found] == nins
    before = graph.store_queries
    await entities(graph, nins, "nin universalCreditClaims { status }")
    assert graph.store_queries - before == 2


def _person(index: int) -> Person:
    assert index >= UNTOUCHED
    return list(people(index + 1, SEED))[index]


async def _citizen(graph: Subgraph, nin: str) -> dict[str, Any]:
    found: dict[str, Any] = (await graph.query(CITIZEN, {"nin": nin}))["data"]["dwpCitizen"]
    return found


async def test_unknown_citizen_is_null_and_malformed_is_an_error(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dwp")
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    assert await graph.query(CITIZEN, {"nin": unknown}) == {"data": {"dwpCitizen": None}}
    result = await graph.query(CITIZEN, {"nin": "AB12345"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_reminder_phone_correction_is_served_once_done(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dwp")
    nin = _person(255).nin
    before = (await _citizen(graph, nin))["dwpReminderPhone"]
    made = await graph.query(
        CORRECT, {"nin": nin, "field": "Citizen.dwpReminderPhone", "value": "07700 900123"}
    )
    request = made["data"]["dwpRequestCorrection"]
    assert request["status"] == "RECEIVED"
    review = {"id": request["id"], "status": "IN_REVIEW", "answer": "Checking"}
    assert (await graph.query(RESOLVE, review))["data"]["dwpResolveRightsRequest"]["status"] == (
        "IN_REVIEW"
    )
    assert (await _citizen(graph, nin))["dwpReminderPhone"] == before
    await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Updated"})
    assert (await _citizen(graph, nin))["dwpReminderPhone"] == "07700 900123"
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "REFUSED", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    listed = (await graph.query(REQUESTS, {"nin": nin}))["data"]["dwpRightsRequests"]
    assert [(r["field"], r["status"]) for r in listed] == [("Citizen.dwpReminderPhone", "DONE")]


@pytest.mark.parametrize(
    "field",
    [
        "Citizen.universalCreditClaims",
        "Citizen.personalIndependencePaymentClaims",
        "Citizen.statePension",
    ],
)
async def test_erasing_benefit_records_is_refused_with_the_law(
    subgraph: Callable[[str], Subgraph], field: str
) -> None:
    graph = subgraph("dwp")
    nin = _person(256).nin
    before = await _citizen(graph, nin)
    made = await graph.query(ERASE, {"nin": nin, "field": field})
    request = made["data"]["dwpRequestErasure"]
    assert request["status"] == "REFUSED"
    assert "Social Security Administration Act 1992" in request["answer"]
    assert "Limitation Act 1980" in request["answer"]
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await _citizen(graph, nin) == before


async def test_erasing_the_reminder_phone_removes_it(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("dwp")
    found = await entities(graph, [_person(i).nin for i in range(257, 300)], "nin dwpReminderPhone")
    nin = next(c["nin"] for c in found if c["dwpReminderPhone"])
    made = await graph.query(ERASE, {"nin": nin, "field": "Citizen.dwpReminderPhone"})
    request = made["data"]["dwpRequestErasure"]
    assert request["status"] == "RECEIVED"
    assert (await _citizen(graph, nin))["dwpReminderPhone"]
    await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Erased"})
    assert (await _citizen(graph, nin))["dwpReminderPhone"] is None


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (CORRECT, {"nin": "x", "field": "Citizen.dwpReminderPhone", "value": "1"}, "National"),
        (CORRECT, {"field": "Citizen.pipScore", "value": "9"}, "it holds: Citizen."),
        (CORRECT, {"field": "Citizen.statePension", "value": "x"}, "cannot be corrected"),
        (CORRECT, {"field": "Citizen.dwpReminderPhone", "value": " "}, "corrected value"),
        (ERASE, {"field": "Citizen.taxCode"}, "dwp holds no field"),
        (RESOLVE, {"id": "nope", "status": "DONE", "answer": "x"}, "no rights request"),
    ],
)
async def test_bad_requests_are_clear_errors_that_change_nothing(
    subgraph: Callable[[str], Subgraph], query: str, variables: dict[str, str], message: str
) -> None:
    graph = subgraph("dwp")
    nin = _person(251).nin
    before = await _citizen(graph, nin)
    result = await graph.query(query, {"nin": nin, **variables})
    assert result["data"] is None
    assert message in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND"}
    assert (await graph.query(REQUESTS, {"nin": nin}))["data"]["dwpRightsRequests"] == []
    assert await _citizen(graph, nin) == before


# Claiming needs someone of State Pension age who has not yet claimed: about 3 in 100
# pensioners defer, so this test serves its own, larger population.
OWN_CITIZENS = 2_000


@pytest.fixture(scope="module")
def own_dwp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    path = tmp_path_factory.mktemp("dwp")
    seed_all(path, OWN_CITIZENS, SEED, [DWP], progress=None)
    app = create_app(DWP, path)
    with serve(app) as url:
        yield app, url


@pytest.fixture
async def claims(own_dwp: tuple[Any, str]) -> AsyncIterator[Subgraph]:
    async with aiohttp.ClientSession() as session:
        yield Subgraph(own_dwp[0], own_dwp[1], session)


async def test_claiming_the_state_pension(claims: Subgraph) -> None:
    today = date.today()
    population = list(people(OWN_CITIZENS, SEED))
    of_age = [p for p in population if state_pension_date(p.date_of_birth) <= today]
    found = await entities(claims, [p.nin for p in of_age], "nin statePension { status }")
    deferring = [c["nin"] for c in found if c["statePension"] is None]
    assert deferring, "the population should include someone who has not claimed"
    nin = deferring[0]
    (person,) = [p for p in of_age if p.nin == nin]
    new = state_pension_date(person.date_of_birth) >= date(2016, 4, 6)
    made = (await claims.query(CLAIM, {"nin": nin}))["data"]["dwpClaimStatePension"]
    assert made == {
        "scheme": "NEW" if new else "BASIC",
        "status": "APPLIED",
        "claimedOn": today.isoformat(),
        "awardedOn": None,
        "weeklyAmount": None,
    }
    assert (await _citizen(claims, nin))["statePension"] == made
    again = await claims.query(CLAIM, {"nin": nin})
    assert again["data"] is None
    assert again["errors"][0]["extensions"]["code"] == "ALREADY_CLAIMED"
    assert (await _citizen(claims, nin))["statePension"] == made


async def test_state_pension_claim_refusals_change_nothing(claims: Subgraph) -> None:
    today = date.today()
    population = list(people(OWN_CITIZENS, SEED))
    young = next(p for p in population if p.age < 60)
    result = await claims.query(CLAIM, {"nin": young.nin})
    error = result["errors"][0]
    assert error["extensions"]["code"] == "NOT_ELIGIBLE"
    due = state_pension_date(young.date_of_birth)
    assert due.isoformat() in error["message"] and "Pensions Act" in error["message"]
    assert add_months(due, -4).isoformat() in error["message"]
    assert (await _citizen(claims, young.nin))["statePension"] is None

    of_age = [p.nin for p in population if state_pension_date(p.date_of_birth) <= today]
    found = await entities(claims, of_age, "nin statePension { status weeklyAmount }")
    receiving = next(c for c in found if c["statePension"] and c["statePension"]["weeklyAmount"])
    result = await claims.query(CLAIM, {"nin": receiving["nin"]})
    assert result["errors"][0]["extensions"]["code"] == "ALREADY_CLAIMED"
    after = (await _citizen(claims, receiving["nin"]))["statePension"]
    assert after["weeklyAmount"] == receiving["statePension"]["weeklyAmount"]

    assert (await claims.query(CLAIM, {"nin": "AB1"}))["errors"][0]["extensions"]["code"] == (
        "BAD_USER_INPUT"
    )
    unknown = next(people(OWN_CITIZENS + 1, SEED, start=OWN_CITIZENS)).nin
    result = await claims.query(CLAIM, {"nin": unknown})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await claims.query(CITIZEN, {"nin": unknown}) == {"data": {"dwpCitizen": None}}


async def test_claims_at_once_record_one(claims: Subgraph) -> None:
    today = date.today()
    of_age = [
        p.nin for p in people(OWN_CITIZENS, SEED) if state_pension_date(p.date_of_birth) <= today
    ]
    found = await entities(claims, of_age, "nin statePension { status }")
    nin = [c["nin"] for c in found if c["statePension"] is None][-1]
    results = await asyncio.gather(*(claims.query(CLAIM, {"nin": nin}) for _ in range(4)))
    made = [r["data"]["dwpClaimStatePension"] for r in results if r["data"]]
    refused = [r["errors"][0]["extensions"]["code"] for r in results if not r["data"]]
    assert len(made) == 1 and refused == ["ALREADY_CLAIMED"] * 3
    assert (await _citizen(claims, nin))["statePension"] == made[0]
