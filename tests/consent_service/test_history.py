"""Every change in the citizen's history: newest first, hash-chained, each with its receipt."""

from __future__ import annotations

import itertools
from datetime import datetime

from subgraphs.consent.records import GENESIS_HASH, ConsentState, event_digest
from subgraphs.consent.store import ConsentStore
from tests.consent_service.conftest import Service, citizen, new_nin

HISTORY = """consentHistory { eventId version at purpose { id } state optedOut expiresAt actor
  hash prevHash receipt { eventHash recordVersion consentReceiptId } }"""


async def _changes(consent: Service, nin: str) -> None:
    steps = [
        ("giveConsent", "gp-home-readings"),
        ("refuseConsent", "blue-badge-eligibility"),
        ("withdrawConsent", "gp-home-readings"),
    ]
    for mutation, purpose in steps:
        payload = await consent.run(
            f'mutation {{ {mutation}(nin: "{nin}", purpose: "{purpose}") {{ state }} }}',
            citizen=nin,
        )
        assert "errors" not in payload, payload
    payload = await consent.run(
        f'mutation {{ setOptOutOfAllSharing(nin: "{nin}", optedOut: true) {{ consentVersion }} }}',
        citizen=nin,
    )
    assert "errors" not in payload, payload


async def test_history_is_newest_first_and_chained(consent: Service, store: ConsentStore) -> None:
    nin = new_nin()
    await _changes(consent, nin)
    history = (await citizen(consent, nin, HISTORY))["consentHistory"]
    assert [e["version"] for e in history] == [4, 3, 2, 1]
    assert [(e["purpose"] or {}).get("id") for e in history] == [
        None,
        "gp-home-readings",
        "blue-badge-eligibility",
        "gp-home-readings",
    ]
    assert [e["state"] for e in history] == [None, "WITHDRAWN", "REFUSED", "GIVEN"]
    assert history[0]["optedOut"] is True
    assert {e["actor"] for e in history} == {f"citizen:{nin}"}
    assert history[-1]["prevHash"] == GENESIS_HASH
    for newer, older in itertools.pairwise(history):
        assert newer["prevHash"] == older["hash"]
    assert await store.verify_history(nin) is None


async def test_each_entrys_hash_is_recomputable_from_what_is_shown(consent: Service) -> None:
    nin = new_nin()
    await _changes(consent, nin)
    for entry in (await citizen(consent, nin, HISTORY))["consentHistory"]:
        state = entry["state"]
        expected = event_digest(
            entry["eventId"],
            nin,
            entry["version"],
            (entry["purpose"] or {}).get("id"),
            None if state is None else ConsentState(state.lower()),
            entry["optedOut"],
            None if entry["expiresAt"] is None else datetime.fromisoformat(entry["expiresAt"]),
            datetime.fromisoformat(entry["at"]),
            entry["actor"],
            entry["prevHash"],
        )
        assert entry["hash"] == expected


async def test_every_entry_has_the_receipt_issued_for_it(consent: Service) -> None:
    nin = new_nin()
    await _changes(consent, nin)
    for entry in (await citizen(consent, nin, HISTORY))["consentHistory"]:
        receipt = entry["receipt"]
        assert receipt["eventHash"] == entry["hash"]
        assert receipt["recordVersion"] == entry["version"]
        assert receipt["consentReceiptId"] == entry["eventId"]


async def test_consents_show_the_receipt_of_their_last_change(consent: Service) -> None:
    nin = new_nin()
    await _changes(consent, nin)
    found = await citizen(
        consent, nin, "consents { purpose { id } version receipt { recordVersion state } }"
    )
    by_purpose = {c["purpose"]["id"]: c for c in found["consents"]}
    assert by_purpose["gp-home-readings"]["receipt"] == {"recordVersion": 3, "state": "withdrawn"}
    assert by_purpose["blue-badge-eligibility"]["receipt"] == {
        "recordVersion": 2,
        "state": "refused",
    }
    assert by_purpose["council-tax-reduction"]["receipt"] is None
    assert by_purpose["fraud-prevention"]["receipt"] is None
