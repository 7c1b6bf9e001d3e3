"""Grants: what the gateway tells a department it may release, signed so it can check.

Every subgraph request carries a short-lived Ed25519-signed JWT in the
`Joinedup-Grant` header naming the client, the purpose, the decision id and,
per subject (citizen NIN; "" for data about no citizen), the field coordinates
the policy allowed. A department verifies the signature and refuses a request
that asks for more than its grant allows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "joinedup-grant"
ISSUER = "joinedup-gateway"
LIFETIME = 60  # seconds: long enough for one fetch, short enough to be useless if leaked


@dataclass(frozen=True)
class Grant:
    client: str
    purpose: str
    decision_id: str
    department: str
    subjects: Mapping[str, frozenset[str]]  # subject → allowed coordinates
    citizen: str | None = None  # the NIN of a citizen acting for themselves, if one is


class GrantError(Exception):
    """A missing, invalid or insufficient grant; `status` is 401 or 403."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def sign(grant: Grant, key: Ed25519PrivateKey, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER,
        "aud": grant.department,
        "iat": issued,
        "exp": issued + LIFETIME,
        "client": grant.client,
        "purpose": grant.purpose,
        "decision": grant.decision_id,
        "allow": _sorted_per_subject(grant.subjects),
    }
    if grant.citizen is not None:
        claims["citizen"] = grant.citizen
    # Signing the claims as bytes lets orjson serialise them: a grant names up to a few
    # hundred coordinates, and `jwt.encode`'s standard-library JSON doubles its cost.
    return jwt.api_jws.encode(orjson.dumps(claims), key, algorithm="EdDSA")


def _sorted_per_subject(subjects: Mapping[str, frozenset[str]]) -> dict[str, list[str]]:
    # Subjects allowed the same fields usually share one set: sort each set once.
    ordered: dict[frozenset[str], list[str]] = {}
    allow = {}
    for subject, coordinates in subjects.items():
        key = coordinates if type(coordinates) is frozenset else frozenset(coordinates)
        listed = ordered.get(key)
        if listed is None:
            listed = ordered[key] = sorted(key)
        allow[subject] = listed
    return allow


def verify(token: str | None, key: Ed25519PublicKey, department: str) -> Grant:
    if not token:
        raise GrantError(401, "this department only answers requests granted by the gateway")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience=department,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "aud", "iss"]},
        )
    except jwt.PyJWTError as error:
        raise GrantError(401, f"the grant is not valid: {error}") from None
    allow = claims.get("allow")
    if not isinstance(allow, dict):
        raise GrantError(401, "the grant names no allowed fields")
    return Grant(
        client=str(claims.get("client", "")),
        purpose=str(claims.get("purpose", "")),
        decision_id=str(claims.get("decision", "")),
        department=department,
        subjects={str(s): frozenset(map(str, c)) for s, c in allow.items()},
        citizen=str(claims["citizen"]) if claims.get("citizen") else None,
    )


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The gateway's signing key, created (mode 0600) on first use."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = path.with_suffix(".pub")
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key
