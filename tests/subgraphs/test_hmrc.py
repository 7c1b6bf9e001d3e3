"""HMRC over real HTTP: tax codes, PAYE, Self Assessment, income history, rights."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from subgraphs.hmrc.store import (
    CURRENT_YEAR,
    is_valid_utr,
    tax_year_label,
    tax_year_start,
    utr,
)
from subgraphs.people import REFERENCE_DATE, Person, people
from tests.subgraphs.conftest import CITIZENS, SEED, Subgraph
from tests.subgraphs.rights_operations import rights_operations

# Citizens from this index on are changed by the mutation tests; the rest stay as seeded.
UNTOUCHED = 250
EMPLOYMENT = (
    "payeEmployments { taxYear kind employerName payeReference taxCode startedOn endedOn"
    " payToDate taxToDate }"
)
INCOME = "incomeByTaxYear { taxYear employment selfEmployment pension property total }"
SA_FIELDS = "{ status utr registeredOn returnTaxYear returnStatus returnDueOn returnFiledOn }"
SELF_ASSESSMENT = f"selfAssessment {SA_FIELDS}"
EVERYTHING = f"nin taxCode hmrcNotificationEmail {SELF_ASSESSMENT} {EMPLOYMENT} {INCOME}"
CITIZEN = f"query($nin: ID!) {{ hmrcCitizen(nin: $nin) {{ {EVERYTHING} }} }}"
TAX_CODE = re.compile(r"^[SC]?(\d{1,4}[LMNT]|K\d{1,4}|BR|D0|0T)( [MW]1)?$")
REQUEST = "id field status answer"
CORRECT, ERASE, RESOLVE, REQUESTS = rights_operations("hmrc", REQUEST)
REGISTER = f"""mutation($nin: ID!) {{
  hmrcRegisterForSelfAssessment(nin: $nin) {SA_FIELDS}
}}"""


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


def pence(value: str | None) -> int | None:
    return None if value is None else int(Decimal(value) * 100)


def region(person: Person) -> str:
    area = person.postcode.split(" ")[0].rstrip("0123456789")
    return "S" if area in {"EH", "G", "AB", "DD"} else "C" if area in {"CF", "SA"} else ""


@pytest.fixture(scope="module")
def seeded() -> list[Person]:
    return list(people(UNTOUCHED, SEED))


@pytest.fixture
async def served(subgraph: Callable[[str], Subgraph], seeded: list[Person]) -> list[dict[str, Any]]:
    return await entities(subgraph("hmrc"), [p.nin for p in seeded], EVERYTHING)


def test_utr_check_digit() -> None:
    assert is_valid_utr("2234567890")  # HMRC's own worked example
    assert not is_valid_utr("1234567890")
    assert not is_valid_utr("223456789")
    assert all(is_valid_utr(utr(n)) for n in range(0, 1_000_000_000, 7_777_777))


def test_tax_years() -> None:
    assert tax_year_start(date(2026, 4, 5)) == date(2025, 4, 6)
    assert tax_year_start(date(2026, 4, 6)) == date(2026, 4, 6)
    assert tax_year_label(CURRENT_YEAR) == "2026-27"
    assert tax_year_label(date(1999, 4, 6)) == "1999-00"


async def test_served_values_are_the_stored_ones(
    served: list[dict[str, Any]], seeded: list[Person], data_dir: Path
) -> None:
    db = sqlite3.connect(f"file:{data_dir / 'hmrc.db'}?mode=ro", uri=True)
    codes = dict(db.execute("SELECT nin, code FROM tax_codes").fetchall())
    employments = db.execute(
        "SELECT nin, payer, tax_code, pay_to_date, tax_to_date FROM paye_incomes ORDER BY nin, seq"
    ).fetchall()
    incomes = db.execute("SELECT nin, tax_year, pension FROM incomes").fetchall()
    db.close()
    for person, citizen in zip(seeded, served, strict=True):
        assert citizen["nin"] == person.nin
        assert citizen["taxCode"] == codes.get(person.nin)
        mine = [row[1:] for row in employments if row[0] == person.nin]
        assert [
            (e["employerName"], e["taxCode"], pence(e["payToDate"]), pence(e["taxToDate"]))
            for e in citizen["payeEmployments"]
        ] == mine
        stored = {(row[1], row[2]) for row in incomes if row[0] == person.nin}
        assert {(i["taxYear"], pence(i["pension"])) for i in citizen["incomeByTaxYear"]} == stored
    assert sum(len(c["payeEmployments"]) for c in served) > len(served) // 2


async def test_tax_codes_and_paye_are_plausible(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    kinds = set()
    for person, citizen in zip(seeded, served, strict=True):
        code = citizen["taxCode"]
        if code is not None:
            assert TAX_CODE.match(code), code
            assert (code[0] if code[0] in "SC" else "") == region(person)
        for job in citizen["payeEmployments"]:
            kinds.add(job["kind"])
            assert job["taxYear"] == "2026-27"
            assert TAX_CODE.match(job["taxCode"]), job
            assert re.match(r"^\d{3}/[A-Z]{2}\d{5}$", job["payeReference"])
            started = date.fromisoformat(job["startedOn"])
            assert started <= REFERENCE_DATE
            assert started.year - person.date_of_birth.year >= 16
            if job["endedOn"] is not None:
                ended = date.fromisoformat(job["endedOn"])
                assert started <= ended <= REFERENCE_DATE and ended >= CURRENT_YEAR
            pay, tax = Decimal(job["payToDate"]), Decimal(job["taxToDate"])
            assert 0 <= tax <= pay / 2  # the PAYE overriding limit is half of pay
            assert pay < 200_000
        if person.age < 18:
            assert all(j["kind"] == "EMPLOYMENT" for j in citizen["payeEmployments"])
        if code is not None:
            main = citizen["payeEmployments"][0]["taxCode"].split(" ")[0]
            assert main == code
        else:
            assert citizen["payeEmployments"] == []
    assert kinds == {"EMPLOYMENT", "PENSION"}


async def test_pensioners_have_pension_income(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    pensioners = [(p, c) for p, c in zip(seeded, served, strict=True) if p.age >= 67]
    assert pensioners
    for person, citizen in pensioners:
        latest = citizen["incomeByTaxYear"][0]
        assert latest["taxYear"] == "2025-26", person
        assert Decimal(latest["pension"]) > 9_000


async def test_income_history_covers_recent_completed_years(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    years = [tax_year_label(date(CURRENT_YEAR.year - back, 4, 6)) for back in range(1, 6)]
    with_history = 0
    for person, citizen in zip(seeded, served, strict=True):
        history = citizen["incomeByTaxYear"]
        labels = [row["taxYear"] for row in history]
        assert labels == sorted(labels, reverse=True) and len(set(labels)) == len(labels)
        assert set(labels) <= set(years)
        with_history += bool(history)
        for row in history:
            parts = [
                Decimal(row[k]) for k in ("employment", "selfEmployment", "pension", "property")
            ]
            assert all(part >= 0 for part in parts) and sum(parts) == Decimal(row["total"]) > 0
            assert int(row["taxYear"][:4]) + 1 - person.date_of_birth.year >= 16
            if Decimal(row["selfEmployment"]) or Decimal(row["property"]):
                assert citizen["selfAssessment"]["status"] == "REGISTERED"
    assert with_history > len(seeded) // 2


async def test_self_assessment_registrations(
    served: list[dict[str, Any]], seeded: list[Person]
) -> None:
    registered = [c["selfAssessment"] for c in served if c["selfAssessment"]["utr"]]
    assert registered
    assert len({sa["utr"] for sa in registered}) == len(registered)
    for citizen in served:
        sa = citizen["selfAssessment"]
        if sa["status"] == "NOT_REGISTERED":
            assert set(sa.values()) == {"NOT_REGISTERED", None}
            continue
        assert is_valid_utr(sa["utr"])
        year = date(int(sa["returnTaxYear"][:4]), 4, 6)
        assert sa["returnDueOn"] == date(year.year + 2, 1, 31).isoformat()
        assert date.fromisoformat(sa["registeredOn"]) <= REFERENCE_DATE
        if sa["returnStatus"] == "FILED":
            assert CURRENT_YEAR <= date.fromisoformat(sa["returnFiledOn"]) <= REFERENCE_DATE
        else:
            assert sa["returnFiledOn"] is None
        if sa["returnStatus"] == "OVERDUE":
            assert date.fromisoformat(sa["returnDueOn"]) < REFERENCE_DATE


async def test_a_batch_costs_one_query_per_list_field(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("hmrc")
    nins = [p.nin for p in people(100, SEED)]
    before = graph.store_queries
    found = await entities(graph, nins, f"nin taxCode {EMPLOYMENT} {INCOME}")
    assert graph.store_queries - before == 3
    assert [c["nin"] for c in found] == nins
    before = graph.store_queries
    await entities(graph, nins, "nin payeEmployments { taxCode }")
    assert graph.store_queries - before == 2


async def test_unknown_citizen_is_null_and_malformed_is_an_error(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("hmrc")
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    assert await graph.query(CITIZEN, {"nin": unknown}) == {"data": {"hmrcCitizen": None}}
    result = await graph.query(CITIZEN, {"nin": "AB12345"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _person(index: int) -> Person:
    assert index >= UNTOUCHED
    return list(people(index + 1, SEED))[index]


async def _citizen(graph: Subgraph, nin: str) -> dict[str, Any]:
    found: dict[str, Any] = (await graph.query(CITIZEN, {"nin": nin}))["data"]["hmrcCitizen"]
    return found


async def test_tax_code_correction_is_served_once_done(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("hmrc")
    nin = _person(260).nin
    before = (await _citizen(graph, nin))["taxCode"]
    made = await graph.query(CORRECT, {"nin": nin, "field": "Citizen.taxCode", "value": "1100L"})
    request = made["data"]["hmrcRequestCorrection"]
    assert request["status"] == "RECEIVED"
    assert (await _citizen(graph, nin))["taxCode"] == before
    done = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Done"})
    assert done["data"]["hmrcResolveRightsRequest"]["status"] == "DONE"
    assert (await _citizen(graph, nin))["taxCode"] == "1100L"
    listed = (await graph.query(REQUESTS, {"nin": nin}))["data"]["hmrcRightsRequests"]
    assert [(r["field"], r["status"]) for r in listed] == [("Citizen.taxCode", "DONE")]
    # A finished request cannot be reopened.
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "IN_REVIEW", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await _citizen(graph, nin))["taxCode"] == "1100L"


@pytest.mark.parametrize(
    "field", ["Citizen.payeEmployments", "Citizen.incomeByTaxYear", "Citizen.selfAssessment"]
)
async def test_erasing_tax_records_is_refused_with_the_law(
    subgraph: Callable[[str], Subgraph], field: str
) -> None:
    graph = subgraph("hmrc")
    nin = _person(261).nin
    before = await _citizen(graph, nin)
    made = await graph.query(ERASE, {"nin": nin, "field": field})
    request = made["data"]["hmrcRequestErasure"]
    assert request["status"] == "REFUSED"
    assert "Taxes Management Act 1970" in request["answer"]
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await _citizen(graph, nin) == before


async def test_erasing_the_paperless_email_removes_it(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("hmrc")
    found = await entities(
        graph, [_person(i).nin for i in range(262, 270)], "nin hmrcNotificationEmail"
    )
    nin = next(c["nin"] for c in found if c["hmrcNotificationEmail"])
    made = await graph.query(ERASE, {"nin": nin, "field": "Citizen.hmrcNotificationEmail"})
    request = made["data"]["hmrcRequestErasure"]
    assert request["status"] == "RECEIVED"
    assert (await _citizen(graph, nin))["hmrcNotificationEmail"]
    await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Erased"})
    assert (await _citizen(graph, nin))["hmrcNotificationEmail"] is None


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (CORRECT, {"nin": "bad", "field": "Citizen.taxCode", "value": "BR"}, "National Insurance"),
        (CORRECT, {"field": "Citizen.shoeSize", "value": "9"}, "it holds: Citizen."),
        (CORRECT, {"field": "Citizen.payeEmployments", "value": "x"}, "cannot be corrected"),
        (ERASE, {"field": "Citizen.givenName"}, "hmrc holds no field"),
        (ERASE, {"nin": "QQ123456C", "field": "Citizen.taxCode"}, "National Insurance"),
        (RESOLVE, {"id": "nope", "status": "DONE", "answer": "x"}, "no rights request"),
    ],
)
async def test_bad_requests_are_clear_errors_that_change_nothing(
    subgraph: Callable[[str], Subgraph], query: str, variables: dict[str, str], message: str
) -> None:
    graph = subgraph("hmrc")
    nin = _person(251).nin
    before = await _citizen(graph, nin)
    result = await graph.query(query, {"nin": nin, **variables})
    assert result["data"] is None
    assert message in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND"}
    assert (await graph.query(REQUESTS, {"nin": nin}))["data"]["hmrcRightsRequests"] == []
    assert await _citizen(graph, nin) == before


async def test_registering_for_self_assessment(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("hmrc")
    found = await entities(
        graph, [_person(i).nin for i in range(270, 290)], "nin selfAssessment { status utr }"
    )
    nin = next(c["nin"] for c in found if c["selfAssessment"]["status"] == "NOT_REGISTERED")
    made = (await graph.query(REGISTER, {"nin": nin}))["data"]["hmrcRegisterForSelfAssessment"]
    today = date.today()
    year = tax_year_start(today)
    assert made["status"] == "REGISTERED" and is_valid_utr(made["utr"])
    assert made["registeredOn"] == today.isoformat()
    assert made["returnTaxYear"] == tax_year_label(year)
    assert made["returnStatus"] == "OUTSTANDING"
    assert made["returnDueOn"] == date(year.year + 2, 1, 31).isoformat()
    assert (await _citizen(graph, nin))["selfAssessment"] == made
    again = await graph.query(REGISTER, {"nin": nin})
    assert again["data"] is None
    assert again["errors"][0]["extensions"]["code"] == "ALREADY_REGISTERED"
    assert (await _citizen(graph, nin))["selfAssessment"] == made


async def test_registration_refusals_change_nothing(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("hmrc")
    found = await entities(
        graph, [_person(i).nin for i in range(UNTOUCHED, 300)], "nin selfAssessment { status utr }"
    )
    registered = next(c for c in found if c["selfAssessment"]["status"] == "REGISTERED")
    result = await graph.query(REGISTER, {"nin": registered["nin"]})
    assert result["errors"][0]["extensions"]["code"] == "ALREADY_REGISTERED"
    assert (await _citizen(graph, registered["nin"]))["selfAssessment"]["utr"] == registered[
        "selfAssessment"
    ]["utr"]
    result = await graph.query(REGISTER, {"nin": "12345"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = next(people(CITIZENS + 2, SEED, start=CITIZENS + 1)).nin
    result = await graph.query(REGISTER, {"nin": unknown})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await graph.query(CITIZEN, {"nin": unknown}) == {"data": {"hmrcCitizen": None}}


async def test_registrations_at_once_allot_one_utr(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("hmrc")
    found = await entities(
        graph, [_person(i).nin for i in range(290, 300)], "nin selfAssessment { status }"
    )
    nin = next(c["nin"] for c in found if c["selfAssessment"]["status"] == "NOT_REGISTERED")
    results = await asyncio.gather(*(graph.query(REGISTER, {"nin": nin}) for _ in range(4)))
    made = [r["data"]["hmrcRegisterForSelfAssessment"] for r in results if r["data"]]
    refused = [r["errors"][0]["extensions"]["code"] for r in results if not r["data"]]
    assert len(made) == 1 and refused == ["ALREADY_REGISTERED"] * 3
    assert (await _citizen(graph, nin))["selfAssessment"] == made[0]
