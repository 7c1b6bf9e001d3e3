"""Compact JWS signed with Ed25519 (`"alg": "EdDSA"`, RFC 8037): sign, and verify.

Grants are signed once per subgraph request and verified by every department
for every request, so this is the system's hottest cryptography. PyJWT spends
almost half of a verification outside the signature check, mostly on a
character-by-character base64 check in Python and preparing the key again.
The signature itself is libsodium's (PyNaCl), which verifies in half the time
OpenSSL takes here; keys stay `cryptography` objects, as stored and loaded
everywhere else. The tokens are standard JWTs all the same: `jwt.decode(token,
public_key, algorithms=["EdDSA"])` reads them, and `verified_payload` reads PyJWT's.
"""

from __future__ import annotations

import base64
import binascii
import functools

import nacl.exceptions
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.signing import SigningKey, VerifyKey

ALGORITHM = "EdDSA"
_HEADER = base64.urlsafe_b64encode(orjson.dumps({"alg": ALGORITHM, "typ": "JWT"})).rstrip(b"=")
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


class InvalidToken(ValueError):
    """Not a compact JWS, not EdDSA, or not signed by the key."""


def sign(payload: bytes, key: Ed25519PrivateKey) -> str:
    signing_input = _HEADER + b"." + _encode(payload)
    signature = _signing_key(key).sign(signing_input).signature
    return (signing_input + b"." + _encode(signature)).decode("ascii")


@functools.lru_cache(maxsize=8)
def _signing_key(key: Ed25519PrivateKey) -> SigningKey:
    # Made once per key: libsodium derives the expanded key from the seed (~20 µs).
    return SigningKey(key.private_bytes_raw())


def verified_payload(token: str, key: Ed25519PublicKey) -> bytes:
    """The payload of `token` once its header and Ed25519 signature check out."""
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken("the token is not ASCII") from None
    signing_input, _, signature = raw.rpartition(b".")
    header, dot, payload = signing_input.partition(b".")
    if not dot or b"." in payload:
        raise InvalidToken("the token does not have three segments")
    try:
        fields = orjson.loads(_decode(header))
    except orjson.JSONDecodeError:
        fields = None
    if not isinstance(fields, dict):
        raise InvalidToken("the token's header is not a JSON object")
    if fields.get("alg") != ALGORITHM:
        raise InvalidToken(f"the token is not signed with {ALGORITHM}")
    if "crit" in fields:  # RFC 7515: extensions the reader does not know must be refused
        raise InvalidToken("the token's header names critical extensions")
    try:
        VerifyKey(key.public_bytes_raw()).verify(signing_input, _decode(signature))
    except nacl.exceptions.CryptoError:  # a bad signature, or one not 64 bytes long
        raise InvalidToken("the token's signature does not verify") from None
    return _decode(payload)


def _encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _decode(segment: bytes) -> bytes:
    """Base64url without padding, refusing any character outside the alphabet."""
    if segment.endswith(b"=") or b"+" in segment or b"/" in segment:
        raise InvalidToken("the token is not unpadded base64url")
    try:
        standard = segment.translate(_TO_STANDARD) + b"=" * (-len(segment) % 4)
        return binascii.a2b_base64(standard, strict_mode=True)
    except binascii.Error:
        raise InvalidToken("the token is not base64url") from None
