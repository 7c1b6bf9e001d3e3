"""The council over real HTTP: council tax, housing, Blue Badges, rights and applications."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from subgraphs.council.areas import annual_charge, council_code, council_name, nation
from subgraphs.people import HOUSEHOLD_SIZE, REFERENCE_DATE, Person, people
from tests.subgraphs.conftest import CITIZENS, SEED, Subgraph
from tests.subgraphs.rights_operations import rights_operations

# Citizens from this index on are changed by the mutation tests; the rest stay as seeded.
UNTOUCHED = 250
TAX = (
    "councilTax { reference band status annualCharge balance instalments { dueOn amount paidOn } }"
)
BADGE = "blueBadge { status number appliedOn issuedOn expiresOn }"
EVERYTHING = (
    f"nin localAuthority tenure {TAX} housingRegister {{ status band registeredOn }} {BADGE}"
)
CITIZEN = f"query($nin: ID!) {{ councilCitizen(nin: $nin) {{ {EVERYTHING} }} }}"
REQUEST = "id field status answer"
CORRECT, ERASE, RESOLVE, REQUESTS = rights_operations("council", REQUEST)
APPLY = """mutation($nin: ID!) {
  councilApplyForBlueBadge(nin: $nin) { status number appliedOn issuedOn expiresOn }
}"""


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


def day(value: str) -> date:
    return date.fromisoformat(value)


@pytest.fixture(scope="module")
def seeded() -> list[Person]:
    return list(people(UNTOUCHED, SEED))


@pytest.fixture
async def served(subgraph: Callable[[str], Subgraph], seeded: list[Person]) -> list[dict[str, Any]]:
    return await entities(subgraph("council"), [p.nin for p in seeded], EVERYTHING)


def test_local_authorities_and_charges() -> None:
    assert council_name("LS6 2AB", "Leeds") == "Leeds City Council"
    assert council_name("SW9 8QD", "London") == "London Borough of Lambeth"
    assert council_name("EH6 4TT", "Edinburgh") == "City of Edinburgh Council"
    assert [nation(p) for p in ("EH6 4TT", "CF10 1AA", "BT7 1NN", "B15 2TT")] == [
        "SCOTLAND",
        "WALES",
        "NORTHERN_IRELAND",
        "ENGLAND",
    ]
    # England: bands in ninths of Band D; Wales adds I at 21/9; Scotland's H is 882/360.
    assert annual_charge("ENGLAND", "A") * 9 == annual_charge("ENGLAND", "D") * 6
    assert annual_charge("ENGLAND", "H") == annual_charge("ENGLAND", "D") * 2
    assert annual_charge("WALES", "I") * 9 == annual_charge("WALES", "D") * 21
    assert annual_charge("SCOTLAND", "H") == Decimal("3969.00")
    assert council_code("Leeds City Council") == "LEE"
    assert council_code("London Borough of Hackney") == "HAC"


async def test_served_values_are_the_stored_ones(
    served: list[dict[str, Any]], seeded: list[Person], data_dir: Path
) -> None:
    db = sqlite3.connect(f"file:{data_dir / 'council.db'}?mode=ro", uri=True)
    tenures = dict(db.execute("SELECT nin, tenure FROM residents").fetchall())
    badges = dict(db.execute("SELECT nin, number FROM blue_badges").fetchall())
    register = dict(db.execute("SELECT nin, band FROM housing_register").fetchall())
    accounts = dict(db.execute("SELECT household, reference FROM council_tax").fetchall())
    db.close()
    for person, citizen in zip(seeded, served, strict=True):
        assert citizen["nin"] == person.nin
        assert citizen["tenure"] == tenures[person.nin]
        assert citizen["blueBadge"]["number"] == badges.get(person.nin)
        entry = citizen["housingRegister"]
        assert (entry["band"] if entry else None) == register.get(person.nin)
        if citizen["councilTax"] is not None:
            assert citizen["councilTax"]["reference"] == accounts[person.household]


async def test_one_account_per_home_for_its_adults(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    homes: dict[int, list[tuple[Person, dict[str, Any]]]] = {}
    for person, citizen in zip(seeded, served, strict=True):
        homes.setdefault(person.household, []).append((person, citizen))
        assert citizen["localAuthority"] == council_name(person.postcode, person.town)
        if nation(person.postcode) == "NORTHERN_IRELAND":
            assert citizen["councilTax"] is None and citizen["tenure"] is None
            assert citizen["housingRegister"] is None
            assert citizen["blueBadge"]["status"] == "NONE"
            continue
        assert (citizen["councilTax"] is not None) == (person.age >= 18), person
        if citizen["housingRegister"] is not None:
            assert person.age >= 18
            assert day(citizen["housingRegister"]["registeredOn"]) <= REFERENCE_DATE
    references = set()
    for members in homes.values():
        accounts = [c["councilTax"] for _, c in members if c["councilTax"]]
        assert all(account == accounts[0] for account in accounts)
        assert len({c["tenure"] for _, c in members}) == 1
        if accounts:
            references.add(accounts[0]["reference"])
    assert len(references) > 50


async def test_council_tax_adds_up(served: list[dict[str, Any]], seeded: list[Person]) -> None:
    adults = {p.household: 0 for p in seeded}
    for p in people(UNTOUCHED // HOUSEHOLD_SIZE * HOUSEHOLD_SIZE + HOUSEHOLD_SIZE, SEED):
        adults[p.household] = adults.get(p.household, 0) + (p.age >= 18)
    statuses = set()
    for person, citizen in zip(seeded, served, strict=True):
        account = citizen["councilTax"]
        if account is None:
            continue
        statuses.add(account["status"])
        where = nation(person.postcode)
        full = annual_charge(where, account["band"])
        charge = Decimal(account["annualCharge"])
        instalments = account["instalments"]
        if account["status"] == "EXEMPT":
            assert charge == 0 and instalments == []
            continue
        expected = full * 3 / 4 if account["status"] == "SINGLE_PERSON_DISCOUNT" else full
        assert abs(charge - expected) < Decimal("0.01")
        assert (account["status"] == "SINGLE_PERSON_DISCOUNT") == (adults[person.household] == 1)
        assert sum(Decimal(i["amount"]) for i in instalments) == charge
        assert [day(i["dueOn"]) for i in instalments] == [
            date(2026 + (m > 12), (m - 1) % 12 + 1, 1) for m in range(4, 14)
        ]
        unpaid = sum(
            Decimal(i["amount"])
            for i in instalments
            if i["paidOn"] is None and day(i["dueOn"]) <= REFERENCE_DATE
        )
        assert Decimal(account["balance"]) == unpaid
        assert (account["status"] == "ARREARS") == (unpaid > 0)
        assert all(i["paidOn"] is None for i in instalments if day(i["dueOn"]) > REFERENCE_DATE)
        assert account["reference"].isdigit() and len(account["reference"]) == 10
    assert {"PAYING", "ARREARS"} <= statuses
    assert {citizen["councilTax"]["band"] for citizen in served if citizen["councilTax"]} >= {
        "A",
        "B",
        "C",
        "D",
    }


async def test_blue_badges_are_plausible(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    held = 0
    for person, citizen in zip(seeded, served, strict=True):
        badge = citizen["blueBadge"]
        if badge["status"] == "NONE":
            assert set(badge.values()) == {"NONE", None}
            continue
        held += 1
        applied = day(badge["appliedOn"])
        assert applied <= REFERENCE_DATE
        if badge["status"] == "APPLIED":
            assert badge["number"] is None and badge["expiresOn"] is None
            assert REFERENCE_DATE - applied <= timedelta(weeks=12)
            continue
        code = council_code(council_name(person.postcode, person.town))
        assert badge["number"].startswith(code) and badge["number"][3:].isdigit()
        issued, expires = day(badge["issuedOn"]), day(badge["expiresOn"])
        assert applied < issued and expires == issued + timedelta(days=3 * 365)
        assert (badge["status"] == "ISSUED") == (expires > REFERENCE_DATE)
    assert 0 < held < len(served) // 4


async def test_a_batch_costs_one_query_per_list_field(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("council")
    nins = [p.nin for p in people(100, SEED)]
    before = graph.store_queries
    found = await entities(graph, nins, EVERYTHING)
    assert graph.store_queries - before == 2  # citizens, then every account's instalments
    assert [c["nin"] for c in found] == nins
    before = graph.store_queries
    await entities(graph, nins, "nin tenure")
    assert graph.store_queries - before == 1


async def test_unknown_citizen_is_null_and_malformed_is_an_error(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("council")
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    assert await graph.query(CITIZEN, {"nin": unknown}) == {"data": {"councilCitizen": None}}
    result = await graph.query(CITIZEN, {"nin": "AB12345"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _person(index: int) -> Person:
    assert index >= UNTOUCHED
    return next(people(index + 1, SEED, start=index))


async def _citizen(graph: Subgraph, nin: str) -> dict[str, Any]:
    found: dict[str, Any] = (await graph.query(CITIZEN, {"nin": nin}))["data"]["councilCitizen"]
    return found


async def test_tenure_correction_is_served_once_done(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("council")
    nin = _person(252).nin
    before = await _citizen(graph, nin)
    value = "COUNCIL_TENANT" if before["tenure"] != "COUNCIL_TENANT" else "PRIVATE_RENT"
    made = await graph.query(CORRECT, {"nin": nin, "field": "Citizen.tenure", "value": value})
    request = made["data"]["councilRequestCorrection"]
    assert request["status"] == "RECEIVED"
    assert await _citizen(graph, nin) == before
    done = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Done"})
    assert done["data"]["councilResolveRightsRequest"]["status"] == "DONE"
    assert await _citizen(graph, nin) == {**before, "tenure": value}
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "REFUSED", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    listed = (await graph.query(REQUESTS, {"nin": nin}))["data"]["councilRightsRequests"]
    assert [(r["field"], r["status"]) for r in listed] == [("Citizen.tenure", "DONE")]


@pytest.mark.parametrize(
    ("field", "law"),
    [
        ("Citizen.councilTax", "Council Tax (Administration and Enforcement) Regulations 1992"),
        ("Citizen.tenure", "Limitation Act 1980"),
        ("Citizen.blueBadge", "Chronically Sick and Disabled Persons Act 1970, s.21"),
    ],
)
async def test_erasing_tax_and_badge_records_is_refused_with_the_law(
    subgraph: Callable[[str], Subgraph], field: str, law: str
) -> None:
    graph = subgraph("council")
    nin = _person(253).nin
    before = await _citizen(graph, nin)
    made = await graph.query(ERASE, {"nin": nin, "field": field})
    request = made["data"]["councilRequestErasure"]
    assert request["status"] == "REFUSED"
    assert law in request["answer"]
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await _citizen(graph, nin) == before


async def test_leaving_the_housing_register_erases_the_application(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("council")
    found = await entities(
        graph, [p.nin for p in people(CITIZENS, SEED, start=254)], "nin housingRegister { band }"
    )
    nin = next(c["nin"] for c in found if c["housingRegister"])
    field = "Citizen.housingRegister"
    made = (await graph.query(ERASE, {"nin": nin, "field": field}))["data"]
    request = made["councilRequestErasure"]
    assert request["status"] == "RECEIVED"
    assert (await _citizen(graph, nin))["housingRegister"] is not None
    await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Removed"})
    after = await _citizen(graph, nin)
    assert after["housingRegister"] is None and after["councilTax"] is not None


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (CORRECT, {"nin": "bad", "field": "Citizen.tenure", "value": "PRIVATE_RENT"}, "National"),
        (CORRECT, {"field": "Citizen.tenure", "value": "castle"}, "is not a tenure"),
        (CORRECT, {"field": "Citizen.shoeSize", "value": "9"}, "it holds: Citizen."),
        (CORRECT, {"field": "Citizen.councilTax", "value": "0"}, "cannot be corrected"),
        (ERASE, {"field": "Citizen.taxCode"}, "council holds no field"),
        (ERASE, {"nin": "QQ123456C", "field": "Citizen.blueBadge"}, "National Insurance"),
        (RESOLVE, {"id": "nope", "status": "DONE", "answer": "x"}, "no rights request"),
        (APPLY, {"nin": "AB1"}, "National Insurance"),
    ],
)
async def test_bad_requests_are_clear_errors_that_change_nothing(
    subgraph: Callable[[str], Subgraph], query: str, variables: dict[str, str], message: str
) -> None:
    graph = subgraph("council")
    nin = _person(251).nin
    before = await _citizen(graph, nin)
    result = await graph.query(query, {"nin": nin, **variables})
    assert result["data"] is None
    assert message in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND"}
    assert (await graph.query(REQUESTS, {"nin": nin}))["data"]["councilRightsRequests"] == []
    assert await _citizen(graph, nin) == before


async def test_applying_for_a_blue_badge(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("council")
    found = await entities(graph, [_person(i).nin for i in range(270, 300)], f"nin {BADGE}")
    nin = next(c["nin"] for c in found if c["blueBadge"]["status"] == "NONE")
    results = await asyncio.gather(*(graph.query(APPLY, {"nin": nin}) for _ in range(3)))
    made = [r["data"]["councilApplyForBlueBadge"] for r in results if r["data"]]
    today = date.today().isoformat()
    assert made == [
        {
            "status": "APPLIED",
            "number": None,
            "appliedOn": today,
            "issuedOn": None,
            "expiresOn": None,
        }
    ]
    refused = [r["errors"][0] for r in results if not r["data"]]
    assert [e["extensions"]["code"] for e in refused] == ["ALREADY_APPLIED"] * 2
    assert today in refused[0]["message"]
    assert (await _citizen(graph, nin))["blueBadge"] == made[0]


async def test_blue_badge_refusals_change_nothing(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("council")
    everyone = [p.nin for p in people(CITIZENS, SEED)]
    found = await entities(graph, everyone, f"nin localAuthority tenure {BADGE}")
    soon = (date.today() + timedelta(weeks=12)).isoformat()
    holder = next(
        c
        for c in found
        if c["blueBadge"]["status"] == "ISSUED" and c["blueBadge"]["expiresOn"] > soon
    )
    result = await graph.query(APPLY, {"nin": holder["nin"]})
    assert result["errors"][0]["extensions"]["code"] == "BADGE_STILL_VALID"
    assert holder["blueBadge"]["number"] in result["errors"][0]["message"]
    # Northern Ireland's badges are the Department for Infrastructure's.
    belfast = next(c for c in found if c["tenure"] is None)
    result = await graph.query(APPLY, {"nin": belfast["nin"]})
    assert result["errors"][0]["extensions"]["code"] == "NOT_THIS_COUNCIL"
    result = await graph.query(
        CORRECT, {"nin": belfast["nin"], "field": "Citizen.tenure", "value": "PRIVATE_RENT"}
    )
    assert "no tenure for a home in Northern Ireland" in result["errors"][0]["message"]
    requests = await graph.query(REQUESTS, {"nin": belfast["nin"]})
    assert requests["data"]["councilRightsRequests"] == []
    unknown = next(people(CITIZENS + 2, SEED, start=CITIZENS + 1)).nin
    result = await graph.query(APPLY, {"nin": unknown})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    after = await entities(graph, everyone, f"nin localAuthority tenure {BADGE}")
    assert after == found
