"""Receipts verify against the JWKS the service publishes, and no byte can change unnoticed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subgraphs.consent.receipts import (
    ReceiptError,
    jwks,
    key_id,
    receipt_claims,
    sign_receipt,
    verify_receipt,
)
from subgraphs.consent.records import GENESIS_HASH, ConsentState, Purpose, sealed_event
from tests.consent_service.conftest import PURPOSES, RECEIPT_KEY, Service, new_nin

GIVE = """mutation($n: ID!) { giveConsent(nin: $n, purpose: "blue-badge-eligibility") {
  receipt { jws kid consentReceiptId version jurisdiction language piiPrincipalId policyUrl
            collectionMethod state recordVersion eventHash prevHash sensitive
            piiControllers { name department accountable }
            services { service organisation purposes { purpose purposeId consentType
              piiCategory primaryPurpose termination thirdPartyDisclosure } } } } }"""
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


async def _published_keys(consent: Service) -> Any:
    url = f"{consent.url}/.well-known/jwks.json"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        return orjson.loads(await response.read())


async def _receipt(consent: Service) -> dict[str, Any]:
    nin = new_nin()
    payload = await consent.run(GIVE, {"n": nin}, citizen=nin)
    receipt: dict[str, Any] = payload["data"]["giveConsent"]["receipt"]
    assert receipt["piiPrincipalId"] == nin
    return receipt


async def test_the_jwks_publishes_the_receipt_key(consent: Service) -> None:
    keys = await _published_keys(consent)
    (jwk,) = keys["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert jwk["kid"] == key_id(RECEIPT_KEY.public_key())
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    assert len(raw) == 32


async def test_a_receipt_verifies_and_carries_the_consent_receipt_fields(
    consent: Service,
) -> None:
    receipt = await _receipt(consent)
    claims = verify_receipt(receipt["jws"], await _published_keys(consent))
    header = orjson.loads(base64.urlsafe_b64decode(receipt["jws"].split(".")[0] + "=="))
    assert header["alg"] == "EdDSA"
    assert header["kid"] == receipt["kid"] == claims["kid"]
    assert claims["version"] == receipt["version"] == "KI-CR-v1.1.0"
    assert (claims["jurisdiction"], claims["language"]) == ("GB", "en")
    assert claims["piiPrincipalId"] == receipt["piiPrincipalId"]
    assert claims["consentReceiptID"] == receipt["consentReceiptId"]
    assert claims["collectionMethod"] == "self-service"
    assert isinstance(claims["consentTimestamp"], int)
    assert claims["publicKey"]["kid"] == claims["kid"]
    assert claims["policyUrl"].endswith("/blue-badge-eligibility")
    assert (claims["state"], claims["recordVersion"]) == ("given", 1)
    assert claims["eventHash"] == receipt["eventHash"]
    assert claims["prevHash"] == receipt["prevHash"] == "0" * 64
    controllers = {c["department"]: c for c in claims["piiControllers"]}
    assert set(controllers) == set(PURPOSES["blue-badge-eligibility"]["departments"])
    assert controllers["council"]["accountable"] is True
    assert controllers["dwp"]["piiController"] == "Department for Work and Pensions"
    (service,) = claims["services"]
    assert (service["service"], service["organisation"]) == (
        "Apply for a Blue Badge",
        "Leeds City Council",
    )
    (purpose,) = service["purposes"]
    assert purpose["purposeCategory"] == ["blue-badge-eligibility"]
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["piiCategory"] == PURPOSES["blue-badge-eligibility"]["categories"]
    assert purpose["primaryPurpose"] is True
    assert purpose["thirdPartyDisclosure"] is True
    assert "withdraw" in purpose["termination"]
    assert claims["sensitive"] is True and claims["spiCat"]
    # The decoded fields the schema shows are the signed ones.
    assert receipt["services"][0]["purposes"][0]["piiCategory"] == purpose["piiCategory"]
    assert receipt["piiControllers"][0]["department"] == "council"


def _tampered(part: str, position: int) -> list[str]:
    """Every other base64url character at `position`, so the changed JWS stays well-formed."""
    return [part[:position] + c + part[position + 1 :] for c in ALPHABET if c != part[position]]


async def test_changing_any_byte_of_payload_or_signature_fails(consent: Service) -> None:
    receipt = await _receipt(consent)
    keys = await _published_keys(consent)
    header, payload, signature = receipt["jws"].split(".")
    verify_receipt(receipt["jws"], keys)
    for position in range(len(payload)):
        changed = payload[:position] + ("A" if payload[position] != "A" else "B")
        changed += payload[position + 1 :]
        with pytest.raises(ReceiptError):
            verify_receipt(f"{header}.{changed}.{signature}", keys)
    for position in range(len(signature)):
        # Every replacement, including those that differ only in the unused low bits.
        for changed in _tampered(signature, position):
            with pytest.raises(ReceiptError):
                verify_receipt(f"{header}.{payload}.{changed}", keys)
    for position in range(len(header)):
        changed = header[:position] + ("A" if header[position] != "A" else "B")
        changed += header[position + 1 :]
        with pytest.raises(ReceiptError):
            verify_receipt(f"{changed}.{payload}.{signature}", keys)


async def test_any_byte_of_the_whole_jws_changed_fails(consent: Service) -> None:
    receipt = await _receipt(consent)
    keys = await _published_keys(consent)
    jws: str = receipt["jws"]
    for position in range(len(jws)):
        for replacement in ("A", ".", "=", " ", "\u00e9"):
            if jws[position] == replacement:
                continue
            with pytest.raises(ReceiptError):
                verify_receipt(jws[:position] + replacement + jws[position + 1 :], keys)


def test_a_receipt_signed_by_another_key_fails() -> None:
    other = Ed25519PrivateKey.generate()
    forged = sign_receipt({"state": "given"}, other)
    with pytest.raises(ReceiptError, match="no published key"):
        verify_receipt(forged, jwks(RECEIPT_KEY.public_key()))
    # Another key published under the right kid still fails the signature.
    published = jwks(other.public_key())
    published["keys"][0]["kid"] = key_id(RECEIPT_KEY.public_key())
    genuine = sign_receipt({"state": "given"}, RECEIPT_KEY)
    with pytest.raises(ReceiptError, match="does not verify"):
        verify_receipt(genuine, published)


@pytest.mark.parametrize("bad", ["", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.", 42, "e30.W10.AAAA"])
def test_malformed_receipts_fail_with_a_receipt_error(bad: Any) -> None:
    with pytest.raises(ReceiptError):
        verify_receipt(bad, jwks(RECEIPT_KEY.public_key()))


def test_a_purpose_no_service_uses_is_named_with_its_controller() -> None:
    purpose = Purpose("tidy-up", "Tidying up", "consent", "hmrc", ("hmrc",), ("user.name",))
    event = sealed_event(
        "e-1",
        "AB123456C",
        1,
        purpose="tidy-up",
        state=ConsentState.GIVEN,
        opted_out=None,
        expires_at=None,
        at=datetime.now(UTC),
        actor="citizen:AB123456C",
        prev_hash=GENESIS_HASH,
    )
    claims = receipt_claims(
        event, [purpose], {}, collection_method="self-service", key=RECEIPT_KEY.public_key()
    )
    (service,) = claims["services"]
    assert (service["service"], service["organisation"]) == ("Tidying up", "HM Revenue and Customs")
    assert service["purposes"][0]["thirdPartyDisclosure"] is False
    assert claims["piiControllers"] == [
        {"piiController": "HM Revenue and Customs", "department": "hmrc", "accountable": True}
    ]
    assert claims["sensitive"] is False
    assert verify_receipt(sign_receipt(claims, RECEIPT_KEY), jwks(RECEIPT_KEY.public_key())) == (
        claims
    )
