"""Who is calling and why: bearer JWTs for clients and citizens, and the declared purpose.

A request carries `Authorization: Bearer <jwt>` and `Joinedup-Purpose: <purpose>`.
Demo tokens are HS256 with a shared secret; production verifies RS256 against
the identity provider's JWKS. Every refusal happens before any subgraph is called.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from joinedup.identifiers import is_valid_nin

ISSUER = "joinedup"
AUDIENCE = "joinedup-gateway"
CITIZEN_CLIENT = "citizen-portal"
CITIZEN_PURPOSE = "citizen-access"
DEMO_SECRET = "joinedup-demo-secret-not-for-production"
PURPOSE_HEADER = "joinedup-purpose"
VERIFIED_TOKENS = 4096  # tokens whose signature was checked, kept to skip checking it again


@dataclass(frozen=True)
class Caller:
    """An authenticated request's client, purpose and, for a citizen, their NIN."""

    client_id: str
    organisation: str
    purpose: str
    citizen: str | None = None
    explain: bool = False


class AuthError(Exception):
    """A refused request: HTTP status, GraphQL error code and a message a developer can act on."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Verifier:
    """How tokens are checked: an HS256 secret, or RS256 keys from a JWKS."""

    secret: str | None = None
    jwks: Mapping[str, Any] | None = None
    leeway: float = 5.0
    _keys: dict[str, Any] = field(default_factory=dict, compare=False)
    _verified: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict, compare=False)

    def __post_init__(self) -> None:
        if self.jwks is not None:
            for key in jwt.PyJWKSet.from_dict(dict(self.jwks)).keys:
                self._keys[key.key_id or ""] = key.key

    def decode(self, token: str) -> dict[str, Any]:
        """The token's claims, or a `jwt.PyJWTError` saying why it is not valid.

        A client sends the same token with every request until it expires, and a
        token's signature, issuer and audience verify the same way each time: a
        token verified before is only checked for expiry again (as `jwt.decode` does).
        """
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            self._verified[token] = claims
            if len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        elif claims["exp"] <= time.time() - self.leeway:
            del self._verified[token]
            raise jwt.ExpiredSignatureError("Signature has expired")
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        if self.jwks is not None:
            kid = jwt.get_unverified_header(token).get("kid", "")
            key = self._keys.get(kid)
            if key is None:
                raise jwt.InvalidKeyError(f"no key {kid!r} in the JWKS")
            algorithms = ["RS256"]
        else:
            key, algorithms = self.secret or DEMO_SECRET, ["HS256"]
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=self.leeway,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        for name in ("exp", "iat"):
            # RFC 7519 dates are JSON numbers; PyJWT also takes numeric strings, which the
            # expiry check of a token verified before could not compare.
            value = claims[name]
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise jwt.InvalidTokenError(f"the token's `{name}` is not a number")
        return claims


def demo_verifier() -> Verifier:
    return Verifier(secret=os.environ.get("JOINEDUP_TOKEN_SECRET", DEMO_SECRET))


def issue(
    *,
    client_id: str,
    citizen: str | None = None,
    explain: bool = False,
    ttl: int = 3600,
    secret: str | None = None,
    now: float | None = None,
) -> str:
    """A demo HS256 token for a client (or a citizen acting through the portal)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": citizen or client_id,
        "client_id": client_id,
        "iat": issued,
        "exp": issued + ttl,
    }
    if citizen is not None:
        claims["citizen"] = citizen
    if explain:
        claims["scope"] = "explain"
    key = secret or os.environ.get("JOINEDUP_TOKEN_SECRET", DEMO_SECRET)
    return jwt.encode(claims, key, algorithm="HS256")


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError(401, "UNAUTHENTICATED", "send `Authorization: Bearer <token>`")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(401, "UNAUTHENTICATED", "the Authorization header must be `Bearer <token>`")
    return token.strip()


def _claims(verifier: Verifier, token: str) -> dict[str, Any]:
    try:
        return verifier.decode(token)
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "TOKEN_EXPIRED", "the token has expired: get a new one") from None
    except jwt.InvalidSignatureError:
        raise AuthError(401, "INVALID_TOKEN", "the token's signature does not verify") from None
    except jwt.InvalidAudienceError:
        raise AuthError(401, "INVALID_TOKEN", f"the token is not for {AUDIENCE}") from None
    except jwt.PyJWTError as error:
        raise AuthError(401, "INVALID_TOKEN", f"the token is not valid: {error}") from None


def authenticate(
    authorization: str | None,
    purpose: str | None,
    verifier: Verifier,
    clients: Mapping[str, Any],
) -> Caller:
    """The caller of a request, or an AuthError saying exactly why not."""
    claims = _claims(verifier, _bearer(authorization))
    client_id = claims.get("client_id")
    client = clients.get(client_id) if isinstance(client_id, str) else None
    if client is None or not isinstance(client_id, str):
        raise AuthError(403, "UNKNOWN_CLIENT", f"client {client_id!r} is not registered")
    citizen = claims.get("citizen")
    if citizen is not None:
        if client_id != CITIZEN_CLIENT or not isinstance(citizen, str) or not is_valid_nin(citizen):
            raise AuthError(401, "INVALID_TOKEN", "the token's citizen claim is not valid")
        purpose = purpose or CITIZEN_PURPOSE
    if not purpose:
        raise AuthError(
            403,
            "PURPOSE_REQUIRED",
            "declare the purpose of this request in the `Joinedup-Purpose` header",
        )
    if purpose not in client.get("purposes", ()):
        raise AuthError(
            403,
            "PURPOSE_NOT_PERMITTED_FOR_CLIENT",
            f"client {client_id!r} may not declare purpose {purpose!r}",
        )
    if citizen is None and purpose == CITIZEN_PURPOSE:
        raise AuthError(
            403, "PURPOSE_NOT_PERMITTED_FOR_CLIENT", "only a citizen has citizen access"
        )
    return Caller(
        client_id=client_id,
        organisation=str(client.get("organisation", "")),
        purpose=purpose,
        citizen=citizen,
        explain="explain" in str(claims.get("scope", "")).split(),
    )
