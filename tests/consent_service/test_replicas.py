"""Several consent services on one database, as replicas or across a change of register or key."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subgraphs.consent.store import ConsentStore
from tests.consent_service.conftest import (
    PURPOSES,
    Service,
    citizen,
    error_code,
    new_nin,
    serving,
)

ASK = """mutation($n: ID!) { requestConsent(nin: $n, purpose: "gp-home-readings",
  explanation: "See your home readings") { id } }"""
ANSWER = """mutation($id: ID!) { respondToConsentRequest(requestId: $id, accept: true) {
  state } }"""
GIVE = """mutation($n: ID!, $p: String!) { giveConsent(nin: $n, purpose: $p) { version } }"""


@contextlib.asynccontextmanager
async def _another(consent: Service, **options: Any) -> AsyncIterator[Service]:
    with serving(consent.engine, consent.store_url, **options) as other:
        async with aiohttp.ClientSession() as session:
            other.session = session
            yield other


def _without(purpose: str) -> dict[str, Any]:
    return {k: v for k, v in PURPOSES.items() if k != purpose}


async def test_replicas_share_one_consistent_history(consent: Service, store: ConsentStore) -> None:
    nin = new_nin()
    async with _another(consent) as replica:
        answers = await asyncio.gather(
            *(
                (consent, replica)[i % 2].run(
                    GIVE, {"n": nin, "p": "council-tax-reduction"}, citizen=nin
                )
                for i in range(20)
            )
        )
    assert sorted(a["data"]["giveConsent"]["version"] for a in answers) == list(range(1, 21))
    assert await store.verify_history(nin) is None


async def test_answering_a_request_for_a_purpose_since_unregistered_changes_nothing(
    consent: Service,
) -> None:
    nin = new_nin()
    payload = await consent.run(ASK, {"n": nin}, client="gp-dashboard")
    request_id = payload["data"]["requestConsent"]["id"]
    async with _another(consent, purposes=_without("gp-home-readings")) as newer:
        refused = await newer.run(ANSWER, {"id": request_id}, citizen=nin)
        assert error_code(refused) == "UNKNOWN_PURPOSE"
        hidden = await citizen(newer, nin, "pendingConsentRequests { id }")
        assert hidden["pendingConsentRequests"] == []
    still = await citizen(consent, nin, "consentVersion pendingConsentRequests { id }")
    assert still == {"consentVersion": 0, "pendingConsentRequests": [{"id": request_id}]}
    accepted = await consent.run(ANSWER, {"id": request_id}, citizen=nin)
    assert accepted["data"]["respondToConsentRequest"] == {"state": "GIVEN"}


async def test_a_receipt_the_current_key_cannot_verify_is_reported_not_shown(
    consent: Service,
) -> None:
    nin = new_nin()
    await consent.run(GIVE, {"n": nin, "p": "gp-home-readings"}, citizen=nin)
    async with _another(consent, receipt_key=Ed25519PrivateKey.generate()) as rotated:
        payload = await rotated.run(
            """query($r: [_Any!]!) { _entities(representations: $r) {
              ... on Citizen { consentHistory { version receipt { jws } } } } }""",
            {"r": [{"__typename": "Citizen", "nin": nin}]},
        )
    assert error_code(payload) == "RECEIPT_UNVERIFIABLE"
    assert payload["data"]["_entities"][0]["consentHistory"][0]["receipt"] is None
