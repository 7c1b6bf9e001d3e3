"""DVLA over real HTTP: licences, endorsements, vehicles, rights and SORN."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from subgraphs.dvla.history import OFFENCE_BY_CODE, add_years
from subgraphs.dvla.numbers import age_identifier, driver_number, normalise_mark
from subgraphs.people import REFERENCE_DATE, Person, people
from tests.subgraphs.conftest import CITIZENS, SEED, Subgraph
from tests.subgraphs.rights_operations import rights_operations

# Citizens from this index on are changed by the mutation tests; the rest stay as seeded.
UNTOUCHED = 250
LICENCE = (
    "drivingLicence { number status passedOn photocardExpiresOn disqualifiedUntil"
    " address { line1 town postcode } entitlements { category kind validFrom validUntil } }"
)
POINTS = "penaltyPoints { offenceCode offence offenceDate convictionDate points removedOn }"
VEHICLES = (
    "vehicles { registration make model colour fuel firstRegistered taxStatus taxDueOn"
    " motStatus motDueOn }"
)
EVERYTHING = f"nin vehicleTaxReminderEmail {LICENCE} {POINTS} {VEHICLES}"
CITIZEN = f"query($nin: ID!) {{ dvlaCitizen(nin: $nin) {{ {EVERYTHING} }} }}"
MARK = re.compile(r"^[A-HJ-PR-Y]{2}(0[2-9]|[1-2][0-9]|5[1-9]|[6-7][0-9]) [A-HJ-PR-Z]{3}$")
REQUEST = "id field status answer"
CORRECT, ERASE, RESOLVE, REQUESTS = rights_operations("dvla", REQUEST)
SORN = """mutation($nin: ID!, $registration: String!) {
  dvlaDeclareSorn(nin: $nin, registration: $registration) { registration taxStatus taxDueOn }
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
    return await entities(subgraph("dvla"), [p.nin for p in seeded], EVERYTHING)


def test_driver_number_layout() -> None:
    # Decade digit, month (+50 for a woman), day, year digit, initials padded with 9.
    assert driver_number("Lee", "John", "M", date(1985, 3, 15), "XY") == "LEE99803155J99XY"
    assert driver_number("Morgan", "Sarah", "F", date(1965, 7, 11), "IJ") == "MORGA657115S99IJ"
    assert driver_number("MacDonald", "Ian", "M", date(1977, 12, 1), "AB").startswith("MCDON712017")
    assert driver_number("O'Brien", "Ann", "F", date(2001, 1, 30), "CD") == "OBRIE051301A99CD"
    assert len(driver_number("Li", "Wei", "M", date(1990, 10, 2), "EF")) == 16


def test_registration_marks() -> None:
    assert age_identifier(date(2021, 8, 10)) == 21
    assert age_identifier(date(2021, 11, 8)) == 71
    assert age_identifier(date(2019, 1, 10)) == 68
    assert age_identifier(date(2001, 9, 1)) == 51
    assert normalise_mark(" ya24kde ") == "YA24 KDE"
    assert normalise_mark("YA24 KDE") == "YA24 KDE"
    for bad in ("YA24 KIE", "YA24KD", "Y24 KDE", "YA2 4KDE", "drop table"):
        assert normalise_mark(bad) is None, bad


async def test_served_values_are_the_stored_ones(
    served: list[dict[str, Any]], seeded: list[Person], data_dir: Path
) -> None:
    db = sqlite3.connect(f"file:{data_dir / 'dvla.db'}?mode=ro", uri=True)
    numbers = dict(db.execute("SELECT nin, number FROM licences").fetchall())
    points = db.execute("SELECT nin, offence_code, points FROM endorsements").fetchall()
    marks = db.execute("SELECT nin, registration FROM vehicles").fetchall()
    kinds = db.execute("SELECT nin, category, kind FROM entitlements").fetchall()
    db.close()
    for person, citizen in zip(seeded, served, strict=True):
        assert citizen["nin"] == person.nin
        licence = citizen["drivingLicence"]
        assert (licence["number"] if licence else None) == numbers.get(person.nin)
        assert sorted((p["offenceCode"], p["points"]) for p in citizen["penaltyPoints"]) == sorted(
            row[1:] for row in points if row[0] == person.nin
        )
        assert sorted(v["registration"] for v in citizen["vehicles"]) == sorted(
            row[1] for row in marks if row[0] == person.nin
        )
        entitlements = licence["entitlements"] if licence else []
        assert [(e["category"], e["kind"]) for e in entitlements] == [
            row[1:] for row in kinds if row[0] == person.nin
        ]
    with_licence = sum(c["drivingLicence"] is not None for c in served)
    assert len(served) // 2 < with_licence < len(served)
    assert sum(len(c["vehicles"]) for c in served) > len(served) // 3
    assert any(c["penaltyPoints"] for c in served)


async def test_licences_follow_the_rules(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    statuses = set()
    for person, citizen in zip(seeded, served, strict=True):
        licence = citizen["drivingLicence"]
        if person.postcode.startswith("BT"):  # Northern Ireland: the DVA's, not DVLA's
            assert licence is None and citizen["vehicles"] == [], person
            continue
        if licence is None:
            assert citizen["penaltyPoints"] == []
            continue
        statuses.add(licence["status"])
        number = licence["number"]
        expected = driver_number(
            person.family_name, person.given_name, person.sex, person.date_of_birth, "??"
        )
        assert number[:14] == expected[:14] and number[14:].isalpha(), (number, expected)
        address = licence["address"]
        assert (address["line1"], address["postcode"]) == (person.address_line, person.postcode)
        entitlements = {e["category"]: e for e in licence["entitlements"]}
        seventy = add_years(person.date_of_birth, 70)
        if licence["status"] == "PROVISIONAL":
            assert licence["passedOn"] is None
            assert {e["kind"] for e in entitlements.values()} == {"PROVISIONAL"}
            assert ("B" in entitlements) == (person.age >= 17)
            assert citizen["penaltyPoints"] == []
            continue
        assert person.age >= 17, person
        passed = day(licence["passedOn"])
        assert add_years(person.date_of_birth, 17) <= passed <= REFERENCE_DATE
        car = entitlements["B"]
        assert car["kind"] == "FULL" and day(car["validFrom"]) == passed
        if seventy > REFERENCE_DATE:
            assert day(car["validUntil"]) == seventy - timedelta(days=1)
        if licence["status"] == "EXPIRED":
            assert day(car["validUntil"]) < REFERENCE_DATE
        else:
            assert day(car["validUntil"]) > REFERENCE_DATE
        assert day(licence["photocardExpiresOn"]) <= max(day(car["validUntil"]), seventy)
        for grandfathered in ("C1", "D1"):
            assert (grandfathered in entitlements) == (passed < date(1997, 1, 1))
        assert (licence["disqualifiedUntil"] is not None) == (licence["status"] == "DISQUALIFIED")
        for endorsement in citizen["penaltyPoints"]:
            offence = OFFENCE_BY_CODE[endorsement["offenceCode"]]
            assert endorsement["offence"] == offence.description
            assert offence.min_points <= endorsement["points"] <= offence.max_points
            committed = day(endorsement["offenceDate"])
            assert passed <= committed < day(endorsement["convictionDate"]) <= REFERENCE_DATE
            assert day(endorsement["removedOn"]) > REFERENCE_DATE
    assert {"VALID", "PROVISIONAL"} <= statuses


async def test_vehicles_are_plausible(served: list[dict[str, Any]]) -> None:
    fuels = set()
    for citizen in served:
        for vehicle in citizen["vehicles"]:
            fuels.add(vehicle["fuel"])
            assert MARK.match(vehicle["registration"]), vehicle
            first = day(vehicle["firstRegistered"])
            assert date(2001, 9, 1) <= first <= REFERENCE_DATE
            assert int(vehicle["registration"][2:4]) == age_identifier(first)
            mot_due = day(vehicle["motDueOn"])
            if add_years(first, 3) > REFERENCE_DATE:
                assert vehicle["motStatus"] == "NOT_REQUIRED"
                assert mot_due == add_years(first, 3)
            else:
                assert vehicle["motStatus"] == ("VALID" if mot_due > REFERENCE_DATE else "EXPIRED")
            tax_due = vehicle["taxDueOn"]
            if vehicle["taxStatus"] == "SORN":
                assert tax_due is None
            elif vehicle["taxStatus"] == "TAXED":
                assert day(tax_due) > REFERENCE_DATE and day(tax_due).day == 1
                assert vehicle["motStatus"] != "EXPIRED"
            else:
                assert day(tax_due) <= REFERENCE_DATE
    assert len(fuels) >= 3


async def test_a_batch_costs_one_query_per_list_field(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dvla")
    nins = [p.nin for p in people(100, SEED)]
    before = graph.store_queries
    found = await entities(graph, nins, EVERYTHING)
    assert graph.store_queries - before == 4  # citizens, entitlements, endorsements, vehicles
    assert [c["nin"] for c in found] == nins
    before = graph.store_queries
    await entities(graph, nins, "nin vehicles { registration }")
    assert graph.store_queries - before == 2


async def test_unknown_citizen_is_null_and_malformed_is_an_error(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dvla")
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    assert await graph.query(CITIZEN, {"nin": unknown}) == {"data": {"dvlaCitizen": None}}
    result = await graph.query(CITIZEN, {"nin": "AB12345"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _people(first: int, last: int) -> list[Person]:
    assert first >= UNTOUCHED
    return list(people(last, SEED, start=first))


async def _citizen(graph: Subgraph, nin: str) -> dict[str, Any]:
    found: dict[str, Any] = (await graph.query(CITIZEN, {"nin": nin}))["data"]["dvlaCitizen"]
    return found


async def _pick(graph: Subgraph, first: int, last: int, test: Callable[[Any], bool]) -> str:
    found = await entities(graph, [p.nin for p in _people(first, last)], EVERYTHING)
    nin: str = next(c["nin"] for c in found if test(c))
    return nin


async def test_licence_address_correction_is_served_once_done(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dvla")
    nin = await _pick(graph, 253, 275, lambda c: c["drivingLicence"] and not c["penaltyPoints"])
    before = (await _citizen(graph, nin))["drivingLicence"]["address"]
    made = await graph.query(
        CORRECT, {"nin": nin, "field": "DrivingLicence.address", "value": "7 New Road"}
    )
    request = made["data"]["dvlaRequestCorrection"]
    assert request["status"] == "RECEIVED"
    assert (await _citizen(graph, nin))["drivingLicence"]["address"] == before
    done = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Done"})
    assert done["data"]["dvlaResolveRightsRequest"]["status"] == "DONE"
    after = (await _citizen(graph, nin))["drivingLicence"]["address"]
    assert after == {**before, "line1": "7 New Road"}
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "IN_REVIEW", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    listed = (await graph.query(REQUESTS, {"nin": nin}))["data"]["dvlaRightsRequests"]
    assert [(r["field"], r["status"]) for r in listed] == [("DrivingLicence.address", "DONE")]


@pytest.mark.parametrize(
    ("field", "law"),
    [
        ("Citizen.penaltyPoints", "Road Traffic Offenders Act 1988, s.45"),
        ("Citizen.drivingLicence", "Road Traffic Act 1988"),
        ("DrivingLicence.address", "Road Traffic Act 1988"),
        ("Citizen.vehicles", "Vehicle Excise and Registration Act 1994"),
    ],
)
async def test_erasing_the_driver_and_keeper_records_is_refused_with_the_law(
    subgraph: Callable[[str], Subgraph], field: str, law: str
) -> None:
    graph = subgraph("dvla")
    nin = await _pick(graph, 253, 300, lambda c: bool(c["penaltyPoints"]))
    before = await _citizen(graph, nin)
    made = await graph.query(ERASE, {"nin": nin, "field": field})
    request = made["data"]["dvlaRequestErasure"]
    assert request["status"] == "REFUSED"
    assert law in request["answer"]
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await _citizen(graph, nin) == before


async def test_reminder_email_can_be_erased_and_set_again(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dvla")
    nin = await _pick(
        graph, 275, 300, lambda c: c["vehicleTaxReminderEmail"] and not c["penaltyPoints"]
    )
    field = "Citizen.vehicleTaxReminderEmail"
    made = (await graph.query(ERASE, {"nin": nin, "field": field}))["data"]["dvlaRequestErasure"]
    assert made["status"] == "RECEIVED"
    assert (await _citizen(graph, nin))["vehicleTaxReminderEmail"] is not None
    await graph.query(RESOLVE, {"id": made["id"], "status": "DONE", "answer": "Erased"})
    assert (await _citizen(graph, nin))["vehicleTaxReminderEmail"] is None
    # Asking for reminders again is a correction of the now-empty field.
    value = "new.address@example.org"
    made = await graph.query(CORRECT, {"nin": nin, "field": field, "value": value})
    request = made["data"]["dvlaRequestCorrection"]
    await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Set"})
    assert (await _citizen(graph, nin))["vehicleTaxReminderEmail"] == value


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (CORRECT, {"nin": "bad", "field": "DrivingLicence.address", "value": "1 A St"}, "National"),
        (CORRECT, {"field": "Citizen.shoeSize", "value": "9"}, "it holds: Citizen."),
        (CORRECT, {"field": "Citizen.penaltyPoints", "value": "0"}, "cannot be corrected"),
        (CORRECT, {"field": "Citizen.vehicleTaxReminderEmail", "value": "me"}, "not an email"),
        (ERASE, {"field": "Citizen.taxCode"}, "dvla holds no field"),
        (ERASE, {"nin": "QQ123456C", "field": "Citizen.vehicles"}, "National Insurance"),
        (RESOLVE, {"id": "nope", "status": "DONE", "answer": "x"}, "no rights request"),
        (SORN, {"nin": "QQ123456C", "registration": "YA24 KDE"}, "National Insurance"),
        (SORN, {"registration": "not a plate"}, "is not a registration mark"),
        (SORN, {"registration": "YA24 ZZZ"}, "keeps no vehicle YA24 ZZZ"),
    ],
)
async def test_bad_requests_are_clear_errors_that_change_nothing(
    subgraph: Callable[[str], Subgraph], query: str, variables: dict[str, str], message: str
) -> None:
    graph = subgraph("dvla")
    nin = _people(251, 252)[0].nin
    before = await _citizen(graph, nin)
    result = await graph.query(query, {"nin": nin, **variables})
    assert result["data"] is None
    assert message in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND"}
    assert (await graph.query(REQUESTS, {"nin": nin}))["data"]["dvlaRightsRequests"] == []
    assert await _citizen(graph, nin) == before


async def test_no_licence_address_to_correct_without_a_licence(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("dvla")
    nin = await _pick(
        graph,
        253,
        300,
        lambda c: c["drivingLicence"] is None and c["vehicleTaxReminderEmail"] is None,
    )
    before = await _citizen(graph, nin)
    result = await graph.query(
        CORRECT, {"nin": nin, "field": "DrivingLicence.address", "value": "1 New Road"}
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "holds no driving licence" in result["errors"][0]["message"]
    assert (await graph.query(REQUESTS, {"nin": nin}))["data"]["dvlaRightsRequests"] == []
    assert await _citizen(graph, nin) == before
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    result = await graph.query(
        CORRECT, {"nin": unknown, "field": "DrivingLicence.address", "value": "1 New Road"}
    )
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_declaring_a_vehicle_off_the_road(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("dvla")
    taxed = [
        c
        for c in await entities(graph, [p.nin for p in _people(252, 300)], f"nin {VEHICLES}")
        if any(v["taxStatus"] == "TAXED" for v in c["vehicles"])
    ]
    owner, other = taxed[0], taxed[1]
    vehicle = next(v for v in owner["vehicles"] if v["taxStatus"] == "TAXED")
    mark = vehicle["registration"]
    # Someone else cannot declare it, whatever the spelling of the mark.
    refused = await graph.query(SORN, {"nin": other["nin"], "registration": mark})
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    typed = mark.replace(" ", "").lower()
    results = await asyncio.gather(
        *(graph.query(SORN, {"nin": owner["nin"], "registration": typed}) for _ in range(3))
    )
    done = [r["data"]["dvlaDeclareSorn"] for r in results if r["data"]]
    assert done == [{"registration": mark, "taxStatus": "SORN", "taxDueOn": None}]
    again = [r["errors"][0] for r in results if not r["data"]]
    assert [e["extensions"]["code"] for e in again] == ["BAD_USER_INPUT"] * 2
    assert "already declared off the road" in again[0]["message"]
    after = {v["registration"]: v for v in (await _citizen(graph, owner["nin"]))["vehicles"]}
    assert after[mark] == {**vehicle, "taxStatus": "SORN", "taxDueOn": None}
    others = {v["registration"]: v for v in (await _citizen(graph, other["nin"]))["vehicles"]}
    assert others == {v["registration"]: v for v in other["vehicles"]}
