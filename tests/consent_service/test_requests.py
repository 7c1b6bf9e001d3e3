"""Services ask; the citizen sees the request and answers it once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.consent_service.conftest import (
    Service,
    citizen,
    error_code,
    new_nin,
    version_and_history,
)

ASK = """mutation($n: ID!, $p: String!, $e: String!) {
  requestConsent(nin: $n, purpose: $p, explanation: $e) {
    id purpose { id name } explanation client clientName organisation status requestedAt } }"""
ANSWER = """mutation($id: ID!, $a: Boolean!) { respondToConsentRequest(requestId: $id, accept: $a) {
  purpose { id } state collectionMethod version receipt { collectionMethod state } } }"""
PENDING = """pendingConsentRequests { id purpose { id } explanation client clientName
  organisation status }"""
BADGE = "blue-badge-eligibility"
WHY = "We can decide your Blue Badge without asking you for copies of letters."


async def _ask(
    consent: Service, nin: str, purpose: str = BADGE, client: str = "blue-badge-service"
) -> dict[str, Any]:
    payload = await consent.run(ASK, {"n": nin, "p": purpose, "e": WHY}, client=client)
    assert "errors" not in payload, payload
    request: dict[str, Any] = payload["data"]["requestConsent"]
    return request


async def test_a_service_request_waits_for_the_citizen(consent: Service) -> None:
    nin = new_nin()
    request = await _ask(consent, nin)
    assert request["status"] == "PENDING"
    assert (request["clientName"], request["organisation"]) == (
        "Apply for a Blue Badge",
        "Leeds City Council",
    )
    pending = (await citizen(consent, nin, PENDING))["pendingConsentRequests"]
    assert pending == [
        {
            "id": request["id"],
            "purpose": {"id": BADGE},
            "explanation": WHY,
            "client": "blue-badge-service",
            "clientName": "Apply for a Blue Badge",
            "organisation": "Leeds City Council",
            "status": "PENDING",
        }
    ]
    # Asking does not change the citizen's consent.
    assert await version_and_history(consent, nin) == (0, [])


async def test_accepting_gives_consent_collected_by_service_request(consent: Service) -> None:
    nin = new_nin()
    request = await _ask(consent, nin)
    payload = await consent.run(ANSWER, {"id": request["id"], "a": True}, citizen=nin)
    answer = payload["data"]["respondToConsentRequest"]
    assert (answer["purpose"]["id"], answer["state"], answer["version"]) == (BADGE, "GIVEN", 1)
    assert answer["collectionMethod"] == "service-request"
    assert answer["receipt"] == {"collectionMethod": "service-request", "state": "given"}
    assert (await citizen(consent, nin, PENDING))["pendingConsentRequests"] == []


async def test_refusing_records_a_refusal(consent: Service) -> None:
    nin = new_nin()
    request = await _ask(consent, nin)
    payload = await consent.run(ANSWER, {"id": request["id"], "a": False}, citizen=nin)
    answer = payload["data"]["respondToConsentRequest"]
    assert (answer["state"], answer["version"], answer["receipt"]["state"]) == (
        "REFUSED",
        1,
        "refused",
    )


@pytest.mark.parametrize("first", [True, False])
async def test_a_request_answered_once_cannot_be_answered_again(
    consent: Service, first: bool
) -> None:
    nin = new_nin()
    request = await _ask(consent, nin)
    payload = await consent.run(ANSWER, {"id": request["id"], "a": first}, citizen=nin)
    assert "errors" not in payload
    before = await version_and_history(consent, nin)
    for again in (True, False):
        payload = await consent.run(ANSWER, {"id": request["id"], "a": again}, citizen=nin)
        assert error_code(payload) == "ALREADY_ANSWERED"
    assert await version_and_history(consent, nin) == before


async def test_only_the_citizen_may_answer(consent: Service) -> None:
    nin = new_nin()
    request = await _ask(consent, nin)
    for who in ({}, {"citizen": new_nin()}, {"client": "blue-badge-service"}):
        payload = await consent.run(ANSWER, {"id": request["id"], "a": True}, **who)
        assert error_code(payload) == "FORBIDDEN"
    assert await version_and_history(consent, nin) == (0, [])
    pending = (await citizen(consent, nin, PENDING))["pendingConsentRequests"]
    assert [p["id"] for p in pending] == [request["id"]]


async def test_an_unknown_request_is_not_found(consent: Service) -> None:
    nin = new_nin()
    for request_id in ("00000000-0000-4000-8000-000000000000", "not-an-id"):
        payload = await consent.run(ANSWER, {"id": request_id, "a": True}, citizen=nin)
        assert error_code(payload) == "NOT_FOUND"


@pytest.mark.parametrize(
    ("purpose", "client", "code"),
    [
        (BADGE, "gp-dashboard", "FORBIDDEN"),  # not registered for that purpose
        (BADGE, "no-such-client", "FORBIDDEN"),
        ("universal-credit-assessment", "universal-credit-service", "NOT_CONSENT_BASED"),
        ("no-such-purpose", "blue-badge-service", "UNKNOWN_PURPOSE"),
    ],
)
async def test_a_service_may_ask_only_for_its_own_consent_purposes(
    consent: Service, purpose: str, client: str, code: str
) -> None:
    nin = new_nin()
    payload = await consent.run(ASK, {"n": nin, "p": purpose, "e": WHY}, client=client)
    assert error_code(payload) == code
    assert (await citizen(consent, nin, PENDING))["pendingConsentRequests"] == []


async def test_a_citizen_is_not_a_service(consent: Service) -> None:
    nin = new_nin()
    payload = await consent.run(ASK, {"n": nin, "p": BADGE, "e": WHY}, citizen=nin)
    assert error_code(payload) == "FORBIDDEN"
    payload = await consent.run(ASK, {"n": nin, "p": BADGE, "e": WHY})
    assert error_code(payload) == "FORBIDDEN"


@pytest.mark.parametrize("explanation", ["", "   ", "x" * 2001, "why\x00not"])
async def test_an_explanation_is_required_and_bounded(consent: Service, explanation: str) -> None:
    nin = new_nin()
    payload = await consent.run(
        ASK, {"n": nin, "p": BADGE, "e": explanation}, client="blue-badge-service"
    )
    assert error_code(payload) == "BAD_USER_INPUT"
    assert (await citizen(consent, nin, PENDING))["pendingConsentRequests"] == []


async def test_one_pending_request_per_service_and_purpose(consent: Service) -> None:
    nin = new_nin()
    first = await _ask(consent, nin)
    payload = await consent.run(ASK, {"n": nin, "p": BADGE, "e": WHY}, client="blue-badge-service")
    assert error_code(payload) == "ALREADY_PENDING"
    assert first["id"] in payload["errors"][0]["message"]
    other = await _ask(consent, nin, "free-school-meals", "council-tax-service")
    pending = (await citizen(consent, nin, PENDING))["pendingConsentRequests"]
    assert [p["id"] for p in pending] == [first["id"], other["id"]]
    # Once answered, the service may ask again.
    await consent.run(ANSWER, {"id": first["id"], "a": False}, citizen=nin)
    again = await _ask(consent, nin)
    assert again["id"] != first["id"]


async def test_racing_answers_to_one_request_have_one_winner(consent: Service) -> None:
    nin = new_nin()
    request = await _ask(consent, nin)
    answers = await asyncio.gather(
        *(
            consent.run(ANSWER, {"id": request["id"], "a": i % 2 == 0}, citizen=nin)
            for i in range(8)
        )
    )
    won = [a for a in answers if not a.get("errors")]
    assert len(won) == 1
    assert {error_code(a) for a in answers if a.get("errors")} == {"ALREADY_ANSWERED"}
    version, history = await version_and_history(consent, nin)
    assert (version, len(history)) == (1, 1)
