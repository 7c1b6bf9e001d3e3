"""Many changes to one citizen at once, over HTTP: none lost, versions without gaps."""

from __future__ import annotations

import asyncio

from subgraphs.consent.store import ConsentStore
from tests.consent_service.conftest import Service, citizen, new_nin

CHANGE = """mutation($n: ID!) { %s(nin: $n, purpose: "pension-credit-outreach") {
  version receipt { recordVersion eventHash } } }"""
CONCURRENT = 100


async def test_concurrent_gives_and_withdrawals_end_consistent(
    consent: Service, store: ConsentStore
) -> None:
    nin = new_nin()
    first = await consent.run(CHANGE % "giveConsent", {"n": nin}, citizen=nin)
    start = first["data"]["giveConsent"]["version"]
    mutations = ["giveConsent" if i % 2 else "withdrawConsent" for i in range(CONCURRENT)]
    answers = await asyncio.gather(
        *(consent.run(CHANGE % m, {"n": nin}, citizen=nin) for m in mutations)
    )
    versions = set()
    for mutation, answer in zip(mutations, answers, strict=True):
        assert "errors" not in answer, answer
        changed = answer["data"][mutation]
        assert changed["receipt"]["recordVersion"] == changed["version"]
        versions.add(changed["version"])
    assert versions == set(range(start + 1, start + CONCURRENT + 1))
    found = await citizen(consent, nin, "consentVersion consentHistory { version hash prevHash }")
    assert found["consentVersion"] == start + CONCURRENT
    history = found["consentHistory"]
    assert [e["version"] for e in history] == list(range(start + CONCURRENT, 0, -1))
    assert await store.verify_history(nin) is None
    by_version = {e["version"]: e["hash"] for e in history}
    for mutation, answer in zip(mutations, answers, strict=True):
        changed = answer["data"][mutation]
        assert changed["receipt"]["eventHash"] == by_version[changed["version"]]
