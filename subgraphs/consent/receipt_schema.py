"""The GraphQL face of a consent receipt: the signed JWS and the fields it carries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from subgraphs.consent.service import Receipt
from subgraphs.directives import data

CONSENT = "user.privacy_preferences.consent"


@strawberry.type(description="A department accountable for a consent, as a receipt names it.")
class ReceiptController:
    name: str = data(CONSENT)
    department: str = data(CONSENT)
    accountable: bool = data(CONSENT, description="The controller that answers for it.")


@strawberry.type(description="One purpose covered by a receipt (Kantara Consent Receipt v1.1).")
class ReceiptPurpose:
    purpose: str = data(CONSENT)
    purpose_id: str = data(CONSENT)
    purpose_category: list[str] = data(CONSENT)
    consent_type: str = data(CONSENT)
    pii_category: list[str] = data(CONSENT)
    primary_purpose: bool = data(CONSENT)
    termination: str = data(CONSENT)
    third_party_disclosure: bool = data(CONSENT)
    third_party_name: list[str] = data(CONSENT)


@strawberry.type(description="A service named in a receipt, with the purposes it uses.")
class ReceiptService:
    service: str = data(CONSENT)
    organisation: str = data(CONSENT)
    purposes: list[ReceiptPurpose] = data(CONSENT)


@strawberry.type(
    description="Signed proof of one change to a citizen's consent: a compact JWS (EdDSA)"
    " verifiable with `/.well-known/jwks.json`, and its decoded fields."
)
class ConsentReceipt:
    jws: str = data(CONSENT)
    consent_receipt_id: str = data(CONSENT)
    version: str = data(CONSENT, description="The receipt specification version.")
    jurisdiction: str = data(CONSENT)
    consent_timestamp: datetime = data(CONSENT)
    collection_method: str = data(CONSENT)
    kid: str = data(CONSENT, description="The key that signed the receipt.")
    language: str = data(CONSENT)
    pii_principal_id: str = data(CONSENT, description="The citizen's NI number.")
    pii_controllers: list[ReceiptController] = data(CONSENT)
    policy_url: str = data(CONSENT)
    services: list[ReceiptService] = data(CONSENT)
    sensitive: bool = data(CONSENT)
    state: str = data(CONSENT)
    record_version: int = data(CONSENT)
    event_hash: str = data(CONSENT)
    prev_hash: str = data(CONSENT)
    expires_at: datetime | None = data(CONSENT)


def _receipt_purpose(entry: Mapping[str, Any]) -> ReceiptPurpose:
    return ReceiptPurpose(
        purpose=entry["purpose"],
        purpose_id=entry["purposeId"],
        purpose_category=list(entry["purposeCategory"]),
        consent_type=entry["consentType"],
        pii_category=list(entry["piiCategory"]),
        primary_purpose=entry["primaryPurpose"],
        termination=entry["termination"],
        third_party_disclosure=entry["thirdPartyDisclosure"],
        third_party_name=list(entry["thirdPartyName"]),
    )


def receipt_from(receipt: Receipt) -> ConsentReceipt:
    claims = receipt.claims
    expires = claims.get("expiresAt")
    return ConsentReceipt(
        jws=receipt.jws,
        consent_receipt_id=claims["consentReceiptID"],
        version=claims["version"],
        jurisdiction=claims["jurisdiction"],
        consent_timestamp=datetime.fromisoformat(claims["consentTime"]),
        collection_method=claims["collectionMethod"],
        kid=claims["kid"],
        language=claims["language"],
        pii_principal_id=claims["piiPrincipalId"],
        pii_controllers=[
            ReceiptController(
                name=c["piiController"], department=c["department"], accountable=c["accountable"]
            )
            for c in claims["piiControllers"]
        ],
        policy_url=claims["policyUrl"],
        services=[
            ReceiptService(
                service=s["service"],
                organisation=s["organisation"],
                purposes=[_receipt_purpose(p) for p in s["purposes"]],
            )
            for s in claims["services"]
        ],
        sensitive=claims["sensitive"],
        state=claims["state"],
        record_version=claims["recordVersion"],
        event_hash=claims["eventHash"],
        prev_hash=claims["prevHash"],
        expires_at=None if expires is None else datetime.fromisoformat(expires),
    )
