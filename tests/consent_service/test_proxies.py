"""Proxies: someone a citizen authorises (a parent for a young child) may change their consent."""

from __future__ import annotations

from tests.consent_service.conftest import (
    Service,
    citizen,
    error_code,
    new_nin,
    version_and_history,
)

ADD = """mutation($n: ID!, $p: ID!, $r: String!) { addProxy(nin: $n, proxyNin: $p, reason: $r) {
  principalNin proxyNin reason addedAt } }"""
REMOVE = """mutation($n: ID!, $p: ID!) { removeProxy(nin: $n, proxyNin: $p) { proxyNin } }"""
GIVE = """mutation($n: ID!) { giveConsent(nin: $n, purpose: "free-school-meals") {
  state collectionMethod } }"""
REASON = "parent of a child under 13"


async def _add(consent: Service, child: str, parent: str) -> None:
    payload = await consent.run(ADD, {"n": child, "p": parent, "r": REASON}, citizen=child)
    assert payload["data"]["addProxy"]["proxyNin"] == parent, payload


async def test_a_proxy_may_change_the_principals_consent(consent: Service) -> None:
    child, parent = new_nin(), new_nin()
    await _add(consent, child, parent)
    proxies = await citizen(consent, child, "consentProxies { proxyNin reason }")
    assert proxies["consentProxies"] == [{"proxyNin": parent, "reason": REASON}]
    payload = await consent.run(GIVE, {"n": child}, citizen=parent)
    assert payload["data"]["giveConsent"] == {"state": "GIVEN", "collectionMethod": "proxy"}
    history = await citizen(consent, child, "consentHistory { actor }")
    assert history["consentHistory"] == [{"actor": f"proxy:{parent}"}]


async def test_a_proxy_acts_only_for_their_principal(consent: Service) -> None:
    child, parent, other = new_nin(), new_nin(), new_nin()
    await _add(consent, child, parent)
    payload = await consent.run(GIVE, {"n": other}, citizen=parent)
    assert error_code(payload) == "FORBIDDEN"
    assert await version_and_history(consent, other) == (0, [])


async def test_only_the_principal_chooses_proxies(consent: Service) -> None:
    child, parent, stranger = new_nin(), new_nin(), new_nin()
    await _add(consent, child, parent)
    # Neither a stranger nor the proxy may add anyone, or remove anyone.
    for who in (stranger, parent):
        payload = await consent.run(ADD, {"n": child, "p": stranger, "r": REASON}, citizen=who)
        assert error_code(payload) == "FORBIDDEN"
        payload = await consent.run(REMOVE, {"n": child, "p": parent}, citizen=who)
        assert error_code(payload) == "FORBIDDEN"
    payload = await consent.run(ADD, {"n": child, "p": stranger, "r": REASON})
    assert error_code(payload) == "FORBIDDEN"
    proxies = await citizen(consent, child, "consentProxies { proxyNin }")
    assert proxies["consentProxies"] == [{"proxyNin": parent}]


async def test_a_removed_proxy_is_refused(consent: Service) -> None:
    child, parent = new_nin(), new_nin()
    await _add(consent, child, parent)
    payload = await consent.run(REMOVE, {"n": child, "p": parent}, citizen=child)
    assert payload["data"]["removeProxy"] == {"proxyNin": parent}
    payload = await consent.run(GIVE, {"n": child}, citizen=parent)
    assert error_code(payload) == "FORBIDDEN"
    assert await version_and_history(consent, child) == (0, [])
    payload = await consent.run(REMOVE, {"n": child, "p": parent}, citizen=child)
    assert error_code(payload) == "NOT_FOUND"


async def test_bad_proxy_input_is_refused(consent: Service) -> None:
    child = new_nin()
    for proxy, reason, code in (
        (child, REASON, "BAD_USER_INPUT"),  # oneself
        ("nobody", REASON, "INVALID_NIN"),
        (new_nin(), " ", "BAD_USER_INPUT"),
    ):
        payload = await consent.run(ADD, {"n": child, "p": proxy, "r": reason}, citizen=child)
        assert error_code(payload) == code
    assert (await citizen(consent, child, "consentProxies { proxyNin }"))["consentProxies"] == []
