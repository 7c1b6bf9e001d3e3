"""Correction and erasure requests at the source, through identity's operations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from subgraphs.people import people
from subgraphs.rights import one_calendar_month_after
from tests.subgraphs.conftest import SEED, Subgraph

FIELDS = "id department nin kind field correction status answer receivedAt dueOn"
CORRECT = f"""mutation($nin: ID!, $field: String!, $value: String!) {{
  identityRequestCorrection(nin: $nin, field: $field, correction: $value, reason: "typo") {{
    {FIELDS}
  }}
}}"""
ERASE = f"""mutation($nin: ID!, $field: String!) {{
  identityRequestErasure(nin: $nin, field: $field) {{ {FIELDS} }}
}}"""
RESOLVE = f"""mutation($id: ID!, $status: RightsRequestStatus!, $answer: String!) {{
  identityResolveRightsRequest(id: $id, status: $status, answer: $answer) {{ {FIELDS} }}
}}"""
LIST = f"""query($nin: ID!) {{ identityRightsRequests(nin: $nin) {{ {FIELDS} }} }}"""
CITIZEN = "query($nin: ID!) { citizen(nin: $nin) { familyName email } }"


def test_due_date_is_one_calendar_month_later() -> None:
    assert one_calendar_month_after(date(2026, 3, 14)) == date(2026, 4, 14)
    assert one_calendar_month_after(date(2026, 1, 31)) == date(2026, 2, 28)
    assert one_calendar_month_after(date(2028, 1, 31)) == date(2028, 2, 29)
    assert one_calendar_month_after(date(2026, 12, 15)) == date(2027, 1, 15)


async def test_correction_is_received_reviewed_and_applied(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("identity")
    nin = list(people(20, SEED))[11].nin
    made = await graph.query(CORRECT, {"nin": nin, "field": "Citizen.familyName", "value": "Smyth"})
    request = made["data"]["identityRequestCorrection"]
    assert request["status"] == "RECEIVED"
    assert request["department"] == "identity"
    assert request["dueOn"] == one_calendar_month_after(datetime.now(UTC).date()).isoformat()
    reviewing = await graph.query(
        RESOLVE, {"id": request["id"], "status": "IN_REVIEW", "answer": "Checking records"}
    )
    assert reviewing["data"]["identityResolveRightsRequest"]["status"] == "IN_REVIEW"
    before = (await graph.query(CITIZEN, {"nin": nin}))["data"]["citizen"]["familyName"]
    assert before != "Smyth"
    done = await graph.query(
        RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Corrected"}
    )
    assert done["data"]["identityResolveRightsRequest"]["answer"] == "Corrected"
    after = (await graph.query(CITIZEN, {"nin": nin}))["data"]["citizen"]["familyName"]
    assert after == "Smyth"
    listed = (await graph.query(LIST, {"nin": nin}))["data"]["identityRightsRequests"]
    assert [(r["id"], r["status"]) for r in listed] == [(request["id"], "DONE")]


async def test_erasure_the_law_forbids_is_refused_with_the_law(
    subgraph: Callable[[str], Subgraph],
) -> None:
    graph = subgraph("identity")
    nin = list(people(20, SEED))[12].nin
    made = await graph.query(ERASE, {"nin": nin, "field": "Citizen.familyName"})
    request = made["data"]["identityRequestErasure"]
    assert request["status"] == "REFUSED"
    assert "Data Protection Act 2018" in request["answer"]
    still = await graph.query(CITIZEN, {"nin": nin})
    assert still["data"]["citizen"]["familyName"] == list(people(20, SEED))[12].family_name
    # A refused request is final.
    again = await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "x"})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_allowed_erasure_removes_the_data(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("identity")
    nin = list(people(20, SEED))[13].nin
    made = await graph.query(ERASE, {"nin": nin, "field": "Citizen.email"})
    request = made["data"]["identityRequestErasure"]
    assert request["status"] == "RECEIVED"
    assert (await graph.query(CITIZEN, {"nin": nin}))["data"]["citizen"]["email"]
    await graph.query(RESOLVE, {"id": request["id"], "status": "DONE", "answer": "Erased"})
    assert (await graph.query(CITIZEN, {"nin": nin}))["data"]["citizen"]["email"] is None


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (CORRECT, {"nin": "bad", "field": "Citizen.email", "value": "a@b"}, "National Insurance"),
        (CORRECT, {"nin": "AB123456C", "field": "Citizen.shoeSize", "value": "9"}, "no field"),
        (CORRECT, {"nin": "AB123456C", "field": "Citizen.email", "value": "  "}, "corrected value"),
        (ERASE, {"nin": "AB123456C", "field": "Citizen.taxCode"}, "no field"),
        (CORRECT, {"nin": "AB123456C", "field": "Citizen.email", "value": "nope"}, "not an email"),
        (
            CORRECT,
            {"nin": "AB123456C", "field": "Citizen.dateOfBirth", "value": "1990-13-01"},
            "not a date",
        ),
        (
            RESOLVE,
            {"id": "00000000-0000-0000-0000-000000000000", "status": "DONE", "answer": "x"},
            "no rights request",
        ),
        (LIST, {"nin": "AB12"}, "National Insurance"),
    ],
)
async def test_bad_requests_are_clear_errors_that_change_nothing(
    subgraph: Callable[[str], Subgraph], query: str, variables: dict[str, str], message: str
) -> None:
    graph = subgraph("identity")
    count = "SELECT COUNT(*) AS n FROM rights_requests"
    before = (await graph.app.state.store.fetch(count))[0]["n"]
    result = await graph.query(query, variables)
    assert result["data"] is None
    assert message in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND"}
    assert (await graph.app.state.store.fetch(count))[0]["n"] == before


async def test_a_refusal_needs_a_reason(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("identity")
    nin = list(people(20, SEED))[14].nin
    made = await graph.query(
        CORRECT, {"nin": nin, "field": "Citizen.phone", "value": "07700 900456"}
    )
    request_id = made["data"]["identityRequestCorrection"]["id"]
    refused = await graph.query(RESOLVE, {"id": request_id, "status": "REFUSED", "answer": " "})
    assert "reason" in refused["errors"][0]["message"]
    listed = (await graph.query(LIST, {"nin": nin}))["data"]["identityRightsRequests"]
    assert [r["status"] for r in listed] == ["RECEIVED"]


async def test_concurrent_resolutions_apply_once(subgraph: Callable[[str], Subgraph]) -> None:
    import asyncio

    graph = subgraph("identity")
    nin = list(people(20, SEED))[15].nin
    made = await graph.query(
        CORRECT, {"nin": nin, "field": "Citizen.phone", "value": "07700 900123"}
    )
    request_id = made["data"]["identityRequestCorrection"]["id"]
    attempts = [
        graph.query(RESOLVE, {"id": request_id, "status": status, "answer": "decided"})
        for status in ("DONE", "REFUSED") * 5
    ]
    results = await asyncio.gather(*attempts)
    succeeded = [r for r in results if r.get("data")]
    assert len(succeeded) == 1
    final = succeeded[0]["data"]["identityResolveRightsRequest"]["status"]
    listed = (await graph.query(LIST, {"nin": nin}))["data"]["identityRightsRequests"]
    assert [r["status"] for r in listed] == [final]


@pytest.mark.parametrize("value", ["x" * 2001, "Smith\x00"], ids=["too-long", "nul"])
async def test_a_correction_too_long_or_holding_nul_is_refused(
    subgraph: Callable[[str], Subgraph], value: str
) -> None:
    graph = subgraph("identity")
    nin = list(people(20, SEED))[17].nin
    made = await graph.query(CORRECT, {"nin": nin, "field": "Citizen.familyName", "value": value})
    assert made["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    listed = await graph.query(LIST, {"nin": nin})
    assert listed["data"]["identityRightsRequests"] == []
