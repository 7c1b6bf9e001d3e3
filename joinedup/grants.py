"""Grants: what the gateway tells a department it may release, signed so it can check.

Every subgraph request carries a short-lived Ed25519-signed JWT in the
`Joinedup-Grant` header naming the client, the purpose, the decision id and
the field coordinates the policy allowed for each subject (citizen NIN; "" for
data about no citizen), as groups of subjects allowed the same coordinates:
`"allow": [{"fields": [...], "subjects": [...]}, ...]`. A department verifies
the signature and refuses a request that asks for more than its grant allows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from joinedup import jws

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
        "allow": _grouped(grant.subjects),
    }
    if grant.citizen is not None:
        claims["citizen"] = grant.citizen
    return jws.sign(orjson.dumps(claims), key)


def _grouped(subjects: Mapping[str, frozenset[str]]) -> list[dict[str, list[str]]]:
    """Subjects allowed the same fields share one group: a step's grant usually names one set
    for every citizen, so this keeps a fifty-citizen grant near one kilobyte, not ten."""
    groups: dict[frozenset[str], list[str]] = {}
    for subject, coordinates in subjects.items():
        key = coordinates if type(coordinates) is frozenset else frozenset(coordinates)
        groups.setdefault(key, []).append(subject)
    return [{"fields": sorted(fields), "subjects": named} for fields, named in groups.items()]


def _subjects(allow: Any) -> dict[str, frozenset[str]]:
    """The grant's `allow` claim read back: subject → allowed coordinates."""
    if not isinstance(allow, list):
        raise GrantError(401, "the grant names no allowed fields")
    subjects: dict[str, frozenset[str]] = {}
    for group in allow:
        fields = group.get("fields") if isinstance(group, dict) else None
        named = group.get("subjects") if isinstance(group, dict) else None
        if not isinstance(fields, list) or not isinstance(named, list):
            raise GrantError(401, "the grant's allowed fields are malformed")
        allowed = frozenset(map(str, fields))
        for subject in map(str, named):
            known = subjects.get(subject)
            subjects[subject] = allowed if known is None else known | allowed
    return subjects


def verify(
    token: str | None, key: Ed25519PublicKey, department: str, now: float | None = None
) -> Grant:
    """The grant in `token`, once its signature, issuer, audience and lifetime check out."""
    if not token:
        raise GrantError(401, "this department only answers requests granted by the gateway")
    try:
        claims = orjson.loads(jws.verified_payload(token, key))
    except (jws.InvalidToken, orjson.JSONDecodeError) as error:
        raise GrantError(401, f"the grant is not valid: {error}") from None
    if not isinstance(claims, dict):
        raise GrantError(401, "the grant is not valid: its claims are not a JSON object")
    _check_claims(claims, department, time.time() if now is None else now)
    return Grant(
        client=str(claims.get("client", "")),
        purpose=str(claims.get("purpose", "")),
        decision_id=str(claims.get("decision", "")),
        department=department,
        subjects=_subjects(claims.get("allow")),
        citizen=str(claims["citizen"]) if claims.get("citizen") else None,
    )


def _check_claims(claims: Mapping[str, Any], department: str, now: float) -> None:
    """The registered claims, checked as `jwt.decode` checks them (no leeway)."""
    issued, expires = _time(claims.get("iat")), _time(claims.get("exp"))
    if issued is None or expires is None:
        raise GrantError(401, "the grant is not valid: `iat` and `exp` must be numeric dates")
    if expires <= now:
        raise GrantError(401, "the grant is not valid: it has expired")
    if issued > now:
        raise GrantError(401, "the grant is not valid: it was issued in the future")
    if claims.get("iss") != ISSUER:
        raise GrantError(401, "the grant is not valid: it was not issued by the gateway")
    audience = claims.get("aud")
    if audience != department and not (isinstance(audience, list) and department in audience):
        raise GrantError(401, f"the grant is not valid: it is not for {department}")


def _time(value: Any) -> float | None:
    """A NumericDate (RFC 7519: seconds, possibly with a fraction), or None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


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
