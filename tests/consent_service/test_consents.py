"""What a citizen sees: every purpose, its state and basis, and the purpose register."""

from __future__ import annotations

import pytest

from tests.consent_service.conftest import PURPOSES, Service, citizen, execute_raw, new_nin

GIVE = """mutation($n: ID!, $p: String!) { giveConsent(nin: $n, purpose: $p) { state } }"""
CONSENTS = "consents { purpose { id name } state lawfulBasis canWithdraw inForce version }"


async def test_a_citizen_never_asked_sees_every_purpose_of_the_register(consent: Service) -> None:
    nin = new_nin()
    found = await citizen(consent, nin, f"{CONSENTS} consentVersion optedOutOfAllSharing")
    assert found["consentVersion"] == 0
    assert found["optedOutOfAllSharing"] is False
    by_purpose = {c["purpose"]["id"]: c for c in found["consents"]}
    assert list(by_purpose) == list(PURPOSES)
    for purpose_id, facts in PURPOSES.items():
        entry = by_purpose[purpose_id]
        assert entry["purpose"]["name"] == facts["name"]
        assert entry["lawfulBasis"] == facts["lawful_basis"]
        assert entry["canWithdraw"] is False
        assert entry["version"] is None
        if facts["lawful_basis"] == "consent":
            assert (entry["state"], entry["inForce"]) == ("NOT_ASKED", False)
        else:
            # Shown so the citizen knows, but there is nothing to say no to.
            assert (entry["state"], entry["inForce"]) == ("NOT_CONSENT_BASED", True)


async def test_non_consent_purposes_are_listed_with_their_basis(consent: Service) -> None:
    found = await citizen(consent, new_nin(), CONSENTS)
    not_consent = {
        c["purpose"]["id"]: c["lawfulBasis"]
        for c in found["consents"]
        if c["state"] == "NOT_CONSENT_BASED"
    }
    assert not_consent == {
        "universal-credit-assessment": "public_task",
        "fraud-prevention": "legal_obligation",
        "citizen-access": "data_subject_access",
    }


async def test_a_given_consent_shows_as_given_and_withdrawable(consent: Service) -> None:
    nin = new_nin()
    answer = await consent.run(GIVE, {"n": nin, "p": "gp-home-readings"}, citizen=nin)
    assert answer["data"]["giveConsent"]["state"] == "GIVEN"
    found = await citizen(consent, nin, CONSENTS)
    entry = next(c for c in found["consents"] if c["purpose"]["id"] == "gp-home-readings")
    assert (entry["state"], entry["canWithdraw"], entry["inForce"]) == ("GIVEN", True, True)
    assert entry["version"] == 1
    others = [c for c in found["consents"] if c["purpose"]["id"] != "gp-home-readings"]
    assert all(not c["canWithdraw"] for c in others)


async def test_entities_of_many_citizens_read_the_store_once(consent: Service) -> None:
    nins = [new_nin() for _ in range(5)]
    for nin in nins[:2]:
        await consent.run(GIVE, {"n": nin, "p": "blue-badge-eligibility"}, citizen=nin)
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Citizen { nin consentVersion optedOutOfAllSharing consents { state } } } }"""
    before = consent.store_queries
    payload = await consent.run(query, {"r": [{"__typename": "Citizen", "nin": n} for n in nins]})
    assert consent.store_queries - before == 1
    entities = payload["data"]["_entities"]
    assert [e["nin"] for e in entities] == nins
    assert [e["consentVersion"] for e in entities] == [1, 1, 0, 0, 0]


@pytest.mark.parametrize(
    "representation",
    [{"__typename": "Citizen", "nin": "nope"}, {"__typename": "Citizen"}],
    ids=["malformed", "missing"],
)
async def test_a_malformed_nin_is_a_clear_error(
    consent: Service, representation: dict[str, str]
) -> None:
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Citizen { consentVersion } } }"""
    payload = await consent.run(query, {"r": [representation]})
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not a National Insurance number" in payload["errors"][0]["message"]


async def test_the_purpose_register_is_public_and_names_the_services(consent: Service) -> None:
    payload = await consent.run(
        """{ purposes { id name description benefit lawfulBasis consentBased controller
             departments dataCategories services { id name organisation } } }"""
    )
    purposes = {p["id"]: p for p in payload["data"]["purposes"]}
    assert list(purposes) == list(PURPOSES)
    badge = purposes["blue-badge-eligibility"]
    facts = PURPOSES["blue-badge-eligibility"]
    assert badge["description"] == facts["description"]
    assert badge["benefit"] == facts["benefit"]
    assert badge["departments"] == facts["departments"]
    assert badge["dataCategories"] == facts["categories"]
    assert badge["consentBased"] is True
    assert badge["services"] == [
        {
            "id": "blue-badge-service",
            "name": "Apply for a Blue Badge",
            "organisation": "Leeds City Council",
        }
    ]
    tax = purposes["council-tax-reduction"]["services"]
    assert [s["id"] for s in tax] == ["council-tax-service"]
    assert purposes["fraud-prevention"]["consentBased"] is False


EVERYTHING = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen {
  nin consentVersion optedOutOfAllSharing
  consents { state receipt { recordVersion } }
  consentHistory { version receipt { recordVersion } }
  pendingConsentRequests { id } consentProxies { proxyNin } } } }"""
ASK = """mutation($n: ID!) { requestConsent(nin: $n, purpose: "gp-home-readings",
  explanation: "See your home readings") { id } }"""


async def _queries_for(consent: Service, nins: list[str]) -> int:
    before = consent.all_queries
    payload = await consent.run(
        EVERYTHING, {"r": [{"__typename": "Citizen", "nin": n} for n in nins]}
    )
    assert "errors" not in payload, payload
    assert [e["nin"] for e in payload["data"]["_entities"]] == nins
    return consent.all_queries - before


async def test_the_number_of_queries_does_not_grow_with_the_citizens(consent: Service) -> None:
    nins = [new_nin() for _ in range(6)]
    for nin in nins:
        await consent.run(GIVE, {"n": nin, "p": "blue-badge-eligibility"}, citizen=nin)
        await consent.run(ASK, {"n": nin}, client="gp-dashboard")
    one = await _queries_for(consent, nins[:1])
    assert await _queries_for(consent, nins) == one


async def test_a_consent_past_its_expiry_shows_as_expired(consent: Service) -> None:
    nin = new_nin()
    await consent.run(GIVE, {"n": nin, "p": "gp-home-readings"}, citizen=nin)
    past = (
        "'2020-01-01T00:00:00.000000Z'"
        if consent.engine == "sqlite"
        else "now() - '1 day'::interval"
    )
    await execute_raw(consent, f"UPDATE consent_record SET expires_at = {past} WHERE nin = '{nin}'")
    found = await citizen(consent, nin, CONSENTS)
    entry = next(c for c in found["consents"] if c["purpose"]["id"] == "gp-home-readings")
    assert (entry["state"], entry["inForce"], entry["canWithdraw"]) == ("EXPIRED", False, False)
