"""Consent receipts: a signed proof, for the citizen, of each change to their consent.

A receipt is a compact JWS (EdDSA over Ed25519, `kid` in its header) whose
payload carries the fields of the Kantara Consent Receipt v1.1, which
ISO/IEC TS 27560 builds on, plus the state, record version and the hashes
that place the change in the citizen's hash-chained consent history. Anyone
can check one against the service's published JWKS with `verify_receipt`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from subgraphs.consent.records import ConsentEvent, Purpose

RECEIPT_VERSION = "KI-CR-v1.1.0"
JURISDICTION = "GB"
LANGUAGE = "en"
POLICY_URL = "https://www.joinedup.gov.uk/privacy/purposes/"
RECEIPT_TYPE = "consent-receipt+jwt"

DEPARTMENT_NAMES: Mapping[str, str] = {
    "identity": "GOV.UK identity service",
    "hmrc": "HM Revenue and Customs",
    "dwp": "Department for Work and Pensions",
    "nhs": "NHS England",
    "dvla": "Driver and Vehicle Licensing Agency",
    "council": "Your local council",
}

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class ReceiptError(ValueError):
    """A receipt that is malformed, signed by an unknown key, or altered after signing."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict base64url without padding: one spelling per byte string, so no byte goes unchecked."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ReceiptError("a receipt segment is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ReceiptError("a receipt segment is not base64url") from None
    if _b64encode(data) != text:
        # Unused low bits in the last character would otherwise be ignored.
        raise ReceiptError("a receipt segment is not canonical base64url")
    return data


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of `key`: stable, and derived from the key alone."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64encode(_raw_public(key))}
    canonical = orjson.dumps(members, option=orjson.OPT_SORT_KEYS)
    return _b64encode(hashlib.sha256(canonical).digest())


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The OKP JWK (RFC 8037) that verifies receipts signed with `key`'s private half."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64encode(_raw_public(key)),
        "kid": key_id(key),
        "use": "sig",
        "alg": "EdDSA",
    }


def jwks(key: Ed25519PublicKey) -> dict[str, list[dict[str, str]]]:
    """The document served at `/.well-known/jwks.json`."""
    return {"keys": [public_jwk(key)]}


@dataclass(frozen=True, slots=True)
class Service:
    """A service (registered client) that may use a purpose, as a receipt names it."""

    name: str
    organisation: str


def _controllers(purpose: Purpose) -> list[dict[str, Any]]:
    return [
        {
            "piiController": DEPARTMENT_NAMES.get(department, department),
            "department": department,
            "accountable": department == purpose.controller,
        }
        for department in purpose.controllers
    ]


def _termination(purpose: Purpose) -> str:
    if purpose.consent_based:
        return (
            "Until you withdraw it, which you can do at any time in your consent settings"
            " or by switching off all optional sharing."
        )
    return (
        f"This purpose rests on {purpose.lawful_basis.replace('_', ' ')}, not on consent,"
        " and lasts as long as that basis does."
    )


def _purpose_entry(purpose: Purpose, primary: bool) -> dict[str, Any]:
    others = [d for d in purpose.departments if d != purpose.controller]
    return {
        "purpose": purpose.name,
        "purposeId": purpose.purpose_id,
        "purposeCategory": [purpose.purpose_id],
        "consentType": "EXPLICIT",
        "piiCategory": list(purpose.categories),
        "primaryPurpose": primary,
        "termination": _termination(purpose),
        "thirdPartyDisclosure": bool(others),
        "thirdPartyName": [DEPARTMENT_NAMES.get(d, d) for d in others],
    }


def _services(
    purposes: Sequence[Purpose], services: Mapping[str, Sequence[Service]]
) -> list[dict[str, Any]]:
    """Kantara `services`: each service that may use the purposes, with the purposes it uses."""
    by_service: dict[Service, list[dict[str, Any]]] = {}
    for index, purpose in enumerate(purposes):
        # A purpose no registered service uses is still named, run by its controller.
        controller = DEPARTMENT_NAMES.get(purpose.controller, purpose.controller)
        users = services.get(purpose.purpose_id) or (Service(purpose.name, controller),)
        for service in users:
            by_service.setdefault(service, []).append(_purpose_entry(purpose, index == 0))
    return [
        {"service": s.name, "organisation": s.organisation, "purposes": entries}
        for s, entries in by_service.items()
    ]


def receipt_claims(
    event: ConsentEvent,
    purposes: Sequence[Purpose],
    services: Mapping[str, Sequence[Service]],
    *,
    collection_method: str,
    key: Ed25519PublicKey,
) -> dict[str, Any]:
    """The payload of the receipt for one history `event` about `purposes`.

    A purpose change names one purpose; the opt-out switch names every
    purpose it covers. `services` maps a purpose id to the services that may use it.
    """
    if not purposes:
        raise ValueError("a receipt covers at least one purpose")
    controllers: dict[str, dict[str, Any]] = {}
    for purpose in purposes:
        for entry in _controllers(purpose):
            controllers.setdefault(entry["department"], entry)
    sensitive = sorted(
        {c for p in purposes for c in p.categories if c.startswith("user.health_and_medical")}
    )
    if event.purpose is not None and event.state is not None:
        state = event.state.value
    else:
        state = "opted_out" if event.opted_out else "opted_in"
    claims: dict[str, Any] = {
        "version": RECEIPT_VERSION,
        "jurisdiction": JURISDICTION,
        "consentTimestamp": int(event.at.timestamp()),
        "consentTime": event.at.isoformat(),
        "collectionMethod": collection_method,
        "consentReceiptID": event.event_id,
        "publicKey": public_jwk(key),
        "kid": key_id(key),
        "language": LANGUAGE,
        "piiPrincipalId": event.nin,
        "piiControllers": list(controllers.values()),
        "policyUrl": POLICY_URL + purposes[0].purpose_id if len(purposes) == 1 else POLICY_URL,
        "services": _services(purposes, services),
        "sensitive": bool(sensitive),
        "spiCat": sensitive,
        "state": state,
        "recordVersion": event.version,
        "eventHash": event.hash,
        "prevHash": event.prev_hash,
    }
    if event.expires_at is not None:
        claims["expiresAt"] = event.expires_at.isoformat()
    return claims


def sign_receipt(claims: Mapping[str, Any], key: Ed25519PrivateKey) -> str:
    """`claims` as a compact JWS signed with `key` (EdDSA)."""
    header = {"alg": "EdDSA", "kid": key_id(key.public_key()), "typ": RECEIPT_TYPE}
    signing_input = (
        _b64encode(orjson.dumps(header, option=orjson.OPT_SORT_KEYS))
        + "."
        + _b64encode(orjson.dumps(claims, option=orjson.OPT_SORT_KEYS))
    )
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{_b64encode(signature)}"


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ReceiptError(f"the receipt's {what} is not JSON") from None
    if not isinstance(value, dict):
        raise ReceiptError(f"the receipt's {what} is not a JSON object")
    return value


def _verifying_key(jwks_document: Mapping[str, Any], kid: str) -> Ed25519PublicKey:
    for jwk in jwks_document.get("keys") or ():
        if not isinstance(jwk, Mapping) or jwk.get("kid") != kid:
            continue
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise ReceiptError(f"key {kid!r} is not an Ed25519 key")
        raw = _b64decode(str(jwk.get("x", "")))
        if len(raw) != 32:
            raise ReceiptError(f"key {kid!r} is not an Ed25519 key")
        return Ed25519PublicKey.from_public_bytes(raw)
    raise ReceiptError(f"no published key has kid {kid!r}")


def verify_receipt(jws: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of `jws` once its signature checks against a key of the JWKS `jwks`.

    Raises `ReceiptError` for anything else, including a change to any byte.
    """
    if not isinstance(jws, str) or not jws.isascii():
        raise ReceiptError("a receipt is an ASCII compact JWS")
    parts = jws.split(".")
    if len(parts) != 3:
        raise ReceiptError("a receipt is a compact JWS of three parts")
    header = _json_object(_b64decode(parts[0]), "header")
    payload = _b64decode(parts[1])
    signature = _b64decode(parts[2])
    if header.get("alg") != "EdDSA":
        raise ReceiptError("receipts are signed with EdDSA only")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise ReceiptError("the receipt's header names no key")
    key = _verifying_key(jwks, kid)
    try:
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        raise ReceiptError("the receipt's signature does not verify") from None
    return _json_object(payload, "payload")
