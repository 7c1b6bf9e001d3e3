"""Compact JWS with Ed25519: standard JWTs both ways, and every malformed token refused."""

from __future__ import annotations

import base64

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from joinedup import jws

# A fixed key, so that the signature below holds both a "-" and a "_" on every run.
KEY = Ed25519PrivateKey.from_private_bytes(bytes([2]) * 32)
CLAIMS = {"iss": "joinedup-gateway", "aud": "hmrc", "allow": [{"fields": ["Citizen.taxCode"]}]}


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_its_tokens_are_jwts_that_pyjwt_verifies() -> None:
    token = jws.sign(orjson.dumps(CLAIMS), KEY)
    assert jwt.decode(token, KEY.public_key(), algorithms=["EdDSA"], audience="hmrc") == CLAIMS
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "typ": "JWT"}


def test_it_verifies_pyjwts_tokens() -> None:
    token = jwt.encode(CLAIMS, KEY, algorithm="EdDSA")
    assert orjson.loads(jws.verified_payload(token, KEY.public_key())) == CLAIMS


def _refused() -> list[tuple[str, str]]:
    """(token, why it is refused) pairs."""
    good = jws.sign(orjson.dumps(CLAIMS), KEY)
    header, payload, signature = good.split(".")
    other = _segment(orjson.dumps({**CLAIMS, "aud": "dwp"}))
    unclosed, listed = _segment(b'{"alg": "EdDSA"'), _segment(b"[1, 2]")
    critical = jwt.encode(CLAIMS, KEY, algorithm="EdDSA", headers={"crit": ["exp"]})
    assert "-" in signature and "_" in signature
    hs256 = jwt.encode(CLAIMS, "a-shared-secret-of-at-least-32-bytes", algorithm="HS256")
    unsigned = jwt.encode(CLAIMS, None, algorithm="none")  # type: ignore[arg-type]
    return [
        (jws.sign(orjson.dumps(CLAIMS), Ed25519PrivateKey.generate()), "does not verify"),
        (f"{header}.{other}.{signature}", "does not verify"),
        (hs256, "not signed with EdDSA"),
        (unsigned, "not signed with EdDSA"),
        (f"{unclosed}.{payload}.{signature}", "header is not a JSON object"),
        (f"{listed}.{payload}.{signature}", "header is not a JSON object"),
        (critical, "critical extensions"),
        (f"{header}.{payload}", "three segments"),
        (f"{header}.{payload}.{signature}.{signature}", "three segments"),
        (f"{header}.{payload}.{signature[:-1]}", "not base64url"),
        (f"{header}.{payload}.{_segment(bytes(63))}", "does not verify"),
        (f"{header}.{payload}.{_segment(bytes(65))}", "does not verify"),
        (f"{header}.{payload}.{signature}é", "not ASCII"),
        ("", "three segments"),
        ("not-a-token", "three segments"),
        # Each of these still holds the right signature to a lax base64 decoder.
        (f"{header}.{payload}.{signature}=", "not unpadded base64url"),
        (f"{header}.{payload}.{signature}!", "not base64url"),
        (f"{header}.{payload}.{signature} ", "not base64url"),
        (f"{header}.{payload}.{signature[:8]}\n{signature[8:]}", "not base64url"),
        (f"{header}.{payload}.{signature.replace('-', '+').replace('_', '/')}", "base64url"),
    ]


REFUSED = _refused()
IDS = [
    "other-key",
    "payload-swapped",
    "hs256",
    "alg-none",
    "header-not-json",
    "header-not-object",
    "critical-extension",
    "two-segments",
    "four-segments",
    "truncated",
    "signature-63-bytes",
    "signature-65-bytes",
    "not-ascii",
    "empty",
    "garbage",
    "padded",
    "outside-alphabet",
    "trailing-space",
    "line-break",
    "standard-base64",
]


@pytest.mark.parametrize(("token", "why"), REFUSED, ids=IDS)
def test_anything_else_is_refused_saying_why(token: str, why: str) -> None:
    with pytest.raises(jws.InvalidToken, match=why):
        jws.verified_payload(token, KEY.public_key())
