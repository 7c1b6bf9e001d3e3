"""The citizen's own changes, and every refusal of someone else's (which changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.consent_service.conftest import (
    Service,
    citizen,
    error_code,
    new_nin,
    version_and_history,
)

CONSENT = """state canWithdraw inForce collectionMethod expiresAt version purpose { id }
  receipt { jws state recordVersion piiPrincipalId collectionMethod eventHash prevHash }"""
GIVE = f"""mutation($n: ID!, $p: String!, $e: DateTime) {{
  giveConsent(nin: $n, purpose: $p, expiresAt: $e) {{ {CONSENT} }} }}"""
WITHDRAW = f"""mutation($n: ID!, $p: String!) {{
  withdrawConsent(nin: $n, purpose: $p) {{ {CONSENT} }} }}"""
REFUSE = f"""mutation($n: ID!, $p: String!) {{
  refuseConsent(nin: $n, purpose: $p) {{ {CONSENT} }} }}"""
OPT_OUT = """mutation($n: ID!, $o: Boolean!) { setOptOutOfAllSharing(nin: $n, optedOut: $o) {
  optedOutOfAllSharing consentVersion consents { purpose { id } state inForce }
  receipt { jws state recordVersion services { purposes { purposeId } } } } }"""
GP = "gp-home-readings"


async def _give(consent: Service, nin: str, purpose: str = GP, **extra: Any) -> dict[str, Any]:
    payload = await consent.run(GIVE, {"n": nin, "p": purpose, **extra}, citizen=nin)
    assert "errors" not in payload, payload
    answer: dict[str, Any] = payload["data"]["giveConsent"]
    return answer


async def test_give_answers_the_consent_with_its_receipt(consent: Service) -> None:
    nin = new_nin()
    given = await _give(consent, nin)
    assert given["state"] == "GIVEN"
    assert given["purpose"]["id"] == GP
    assert given["collectionMethod"] == "self-service"
    assert given["version"] == 1
    receipt = given["receipt"]
    assert receipt["jws"].count(".") == 2
    assert (receipt["state"], receipt["recordVersion"]) == ("given", 1)
    assert receipt["piiPrincipalId"] == nin
    assert receipt["prevHash"] == "0" * 64
    history = await citizen(consent, nin, "consentHistory { hash }")
    assert receipt["eventHash"] == history["consentHistory"][0]["hash"]


async def test_give_with_an_expiry_records_it(consent: Service) -> None:
    nin = new_nin()
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    given = await _give(consent, nin, e=expires.isoformat())
    assert datetime.fromisoformat(given["expiresAt"]) == expires


async def test_withdraw_and_refuse(consent: Service) -> None:
    nin = new_nin()
    await _give(consent, nin)
    payload = await consent.run(WITHDRAW, {"n": nin, "p": GP}, citizen=nin)
    withdrawn = payload["data"]["withdrawConsent"]
    assert (withdrawn["state"], withdrawn["canWithdraw"], withdrawn["inForce"]) == (
        "WITHDRAWN",
        False,
        False,
    )
    assert (withdrawn["version"], withdrawn["receipt"]["state"]) == (2, "withdrawn")
    payload = await consent.run(REFUSE, {"n": nin, "p": "blue-badge-eligibility"}, citizen=nin)
    refused = payload["data"]["refuseConsent"]
    assert (refused["state"], refused["version"], refused["receipt"]["recordVersion"]) == (
        "REFUSED",
        3,
        3,
    )


async def test_the_one_switch_turns_every_consent_off_and_back_on(consent: Service) -> None:
    nin = new_nin()
    await _give(consent, nin)
    payload = await consent.run(OPT_OUT, {"n": nin, "o": True}, citizen=nin)
    switched = payload["data"]["setOptOutOfAllSharing"]
    assert (switched["optedOutOfAllSharing"], switched["consentVersion"]) == (True, 2)
    gp = next(c for c in switched["consents"] if c["purpose"]["id"] == GP)
    assert (gp["state"], gp["inForce"]) == ("GIVEN", False)
    receipt = switched["receipt"]
    assert (receipt["state"], receipt["recordVersion"]) == ("opted_out", 2)
    covered = {p["purposeId"] for s in receipt["services"] for p in s["purposes"]}
    assert GP in covered and "fraud-prevention" not in covered
    payload = await consent.run(OPT_OUT, {"n": nin, "o": False}, citizen=nin)
    back = payload["data"]["setOptOutOfAllSharing"]
    assert (back["optedOutOfAllSharing"], back["receipt"]["state"]) == (False, "opted_in")
    assert next(c for c in back["consents"] if c["purpose"]["id"] == GP)["inForce"] is True


REFUSALS = [
    pytest.param(GIVE, {"p": GP}, id="give"),
    pytest.param(WITHDRAW, {"p": GP}, id="withdraw"),
    pytest.param(REFUSE, {"p": GP}, id="refuse"),
    pytest.param(OPT_OUT, {"o": True}, id="opt-out"),
]


@pytest.mark.parametrize(("mutation", "arguments"), REFUSALS)
async def test_nobody_else_may_change_a_citizens_consent(
    consent: Service, mutation: str, arguments: dict[str, Any]
) -> None:
    nin, stranger = new_nin(), new_nin()
    await _give(consent, nin)
    before = await version_and_history(consent, nin)
    variables = {"n": nin, **arguments}
    for who in (
        {},  # no grant at all
        {"client": "citizen-portal"},  # a grant naming no citizen
        {"citizen": stranger},  # another citizen
        {"client": "gp-dashboard"},  # a service client
    ):
        payload = await consent.run(mutation, variables, **who)
        assert error_code(payload) == "FORBIDDEN", who
        assert payload["data"] is None
    assert await version_and_history(consent, nin) == before


async def test_a_purpose_not_resting_on_consent_cannot_be_withdrawn(consent: Service) -> None:
    nin = new_nin()
    await _give(consent, nin)
    before = await version_and_history(consent, nin)
    for mutation in (WITHDRAW, GIVE, REFUSE):
        payload = await consent.run(
            mutation, {"n": nin, "p": "universal-credit-assessment"}, citizen=nin
        )
        assert error_code(payload) == "NOT_CONSENT_BASED"
        assert "public task" in payload["errors"][0]["message"]
    assert await version_and_history(consent, nin) == before


@pytest.mark.parametrize(
    ("mutation", "purpose", "code"),
    [
        (GIVE, "no-such-purpose", "UNKNOWN_PURPOSE"),
        (WITHDRAW, "blue-badge-eligibility", "NOT_GIVEN"),
    ],
)
async def test_store_refusals_carry_the_stores_code(
    consent: Service, mutation: str, purpose: str, code: str
) -> None:
    nin = new_nin()
    await _give(consent, nin)
    before = await version_and_history(consent, nin)
    payload = await consent.run(mutation, {"n": nin, "p": purpose}, citizen=nin)
    assert error_code(payload) == code
    assert await version_and_history(consent, nin) == before


@pytest.mark.parametrize(
    "expires",
    [
        (datetime.now(UTC) - timedelta(days=1)).isoformat(),  # in the past
        (datetime.now() + timedelta(days=1)).isoformat(),  # no time zone
    ],
)
async def test_a_bad_expiry_is_refused(consent: Service, expires: str) -> None:
    nin = new_nin()
    await _give(consent, nin)
    before = await version_and_history(consent, nin)
    payload = await consent.run(GIVE, {"n": nin, "p": GP, "e": expires}, citizen=nin)
    assert error_code(payload) == "INVALID_EXPIRY"
    assert await version_and_history(consent, nin) == before


async def test_a_malformed_nin_is_refused_before_anything_is_written(consent: Service) -> None:
    payload = await consent.run(GIVE, {"n": "AB12", "p": GP}, citizen="AB12")
    assert error_code(payload) == "INVALID_NIN"
