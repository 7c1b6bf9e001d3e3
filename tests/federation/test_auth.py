"""Bearer tokens and declared purposes: every refusal is specific and comes first."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.auth import AUDIENCE, ISSUER, AuthError, Verifier, authenticate, issue
from federation.registry import load_clients

CLIENTS = load_clients()
SECRET = "a-test-secret-that-is-long-enough-for-hs256"
VERIFIER = Verifier(secret=SECRET)


def _auth(token: str | None, purpose: str | None, verifier: Verifier = VERIFIER) -> Any:
    header = None if token is None else f"Bearer {token}"
    return authenticate(header, purpose, verifier, CLIENTS)


def _refusal(token: str | None, purpose: str | None, header: str | None = None) -> AuthError:
    with pytest.raises(AuthError) as refused:
        if header is not None:
            authenticate(header, purpose, VERIFIER, CLIENTS)
        else:
            _auth(token, purpose)
    return refused.value


def test_a_client_with_a_permitted_purpose_is_let_in() -> None:
    token = issue(client_id="blue-badge-service", secret=SECRET)
    caller = _auth(token, "blue-badge-eligibility")
    assert caller.client_id == "blue-badge-service"
    assert caller.organisation == "Leeds City Council"
    assert caller.purpose == "blue-badge-eligibility"
    assert caller.citizen is None
    assert caller.explain is False
    assert _auth(
        issue(client_id="gp-dashboard", explain=True, secret=SECRET), "gp-home-readings"
    ).explain


def test_a_citizen_gets_citizen_access() -> None:
    token = issue(client_id="citizen-portal", citizen="AB123456C", secret=SECRET)
    caller = _auth(token, None)
    assert (caller.citizen, caller.purpose) == ("AB123456C", "citizen-access")


def _claims(aud: str = AUDIENCE, ttl: int = 60) -> dict[str, object]:
    """The registered claims of a valid client token, made by hand."""
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": aud,
        "sub": "x",
        "client_id": "blue-badge-service",
        "iat": now,
        "exp": now + ttl,
    }


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("", "UNAUTHENTICATED"),
        ("Basic dXNlcjpwYXNz", "UNAUTHENTICATED"),
        ("Bearer ", "UNAUTHENTICATED"),
        ("Bearer not.a.jwt", "INVALID_TOKEN"),
        ("Bearer abc", "INVALID_TOKEN"),
    ],
)
def test_missing_or_malformed_tokens_are_401(header: str, code: str) -> None:
    refused = _refusal(None, "blue-badge-eligibility", header=header)
    assert (refused.status, refused.code) == (401, code)


def test_expired_token_is_401_and_says_so() -> None:
    token = issue(client_id="blue-badge-service", secret=SECRET, ttl=10, now=time.time() - 60)
    refused = _refusal(token, "blue-badge-eligibility")
    assert (refused.status, refused.code) == (401, "TOKEN_EXPIRED")


def test_a_token_verified_before_is_refused_once_it_expires() -> None:
    verifier = Verifier(secret=SECRET, leeway=0)
    token = issue(client_id="blue-badge-service", secret=SECRET, ttl=3600, now=time.time() - 3598)
    assert _auth(token, "blue-badge-eligibility", verifier).client_id == "blue-badge-service"
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(AuthError) as refused:
        _auth(token, "blue-badge-eligibility", verifier)
    assert (refused.value.status, refused.value.code) == (401, "TOKEN_EXPIRED")
    with pytest.raises(AuthError) as again:
        _auth(token, "blue-badge-eligibility", verifier)
    assert again.value.code == "TOKEN_EXPIRED"


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_a_date_claim_that_is_not_a_number_is_401_every_time(claim: str) -> None:
    claims = _claims(ttl=600)
    claims[claim] = str(claims[claim])  # PyJWT itself accepts a numeric string
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    verifier = Verifier(secret=SECRET)
    for _ in range(2):  # the second time, a token verified before would be checked again
        with pytest.raises(AuthError) as refused:
            _auth(token, "blue-badge-eligibility", verifier)
        assert (refused.value.status, refused.value.code) == (401, "INVALID_TOKEN")
        assert claim in refused.value.message


def test_wrongly_signed_token_is_401() -> None:
    token = issue(
        client_id="blue-badge-service", secret="another-secret-that-is-long-enough-for-hs256"
    )
    refused = _refusal(token, "blue-badge-eligibility")
    assert (refused.status, refused.code) == (401, "INVALID_TOKEN")
    assert "signature" in refused.message


def test_token_for_another_audience_is_401() -> None:
    claims = _claims(aud="elsewhere")
    refused = _refusal(jwt.encode(claims, SECRET, algorithm="HS256"), "blue-badge-eligibility")
    assert refused.status == 401


def test_unsigned_token_is_refused() -> None:
    claims = _claims()
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    refused = _refusal(unsigned, "blue-badge-eligibility")
    assert refused.status == 401


def test_unknown_client_is_403() -> None:
    refused = _refusal(issue(client_id="nobody", secret=SECRET), "blue-badge-eligibility")
    assert (refused.status, refused.code) == (403, "UNKNOWN_CLIENT")


def test_undeclared_purpose_is_403() -> None:
    refused = _refusal(issue(client_id="blue-badge-service", secret=SECRET), None)
    assert (refused.status, refused.code) == (403, "PURPOSE_REQUIRED")
    assert "Joinedup-Purpose" in refused.message


def test_foreign_purpose_is_403() -> None:
    refused = _refusal(issue(client_id="blue-badge-service", secret=SECRET), "fraud-prevention")
    assert (refused.status, refused.code) == (403, "PURPOSE_NOT_PERMITTED_FOR_CLIENT")


def test_only_a_citizen_has_citizen_access() -> None:
    refused = _refusal(issue(client_id="citizen-portal", secret=SECRET), "citizen-access")
    assert refused.status == 403
    bad_nin = issue(client_id="citizen-portal", citizen="nope", secret=SECRET)
    assert _refusal(bad_nin, None).status == 401
    other_client = issue(client_id="blue-badge-service", citizen="AB123456C", secret=SECRET)
    assert _refusal(other_client, "blue-badge-eligibility").status == 401


def test_rs256_tokens_verify_against_a_jwks() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    verifier = Verifier(jwks={"keys": [{**public_jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "client_id": "gp-dashboard",
        "iat": now,
        "exp": now + 60,
    }
    good = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})
    assert _auth(good, "gp-home-readings", verifier).client_id == "gp-dashboard"
    unknown_kid = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k2"})
    with pytest.raises(AuthError):
        _auth(unknown_kid, "gp-home-readings", verifier)
    # An HS256 token signed with the public key must not pass as RS256.
    with pytest.raises(AuthError):
        _auth(
            issue(client_id="gp-dashboard", secret="k1-is-not-a-secret-of-this-verifier-x"),
            "gp-home-readings",
            verifier,
        )


def _token_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "joinedup.cli", "token", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_token_command_prints_only_a_token_that_verifies() -> None:
    run = _token_command("--client", "gp-dashboard", "--explain")
    assert run.returncode == 0
    assert run.stdout.count("\n") == 1 and run.stdout.count(".") == 2
    caller = authenticate(f"Bearer {run.stdout.strip()}", "gp-home-readings", Verifier(), CLIENTS)
    assert caller.explain
    citizen = _token_command("--citizen", "AB123456C")
    caller = authenticate(f"Bearer {citizen.stdout.strip()}", None, Verifier(), CLIENTS)
    assert caller.citizen == "AB123456C"


def test_token_command_refuses_unknown_clients_and_bad_nins() -> None:
    for args in (("--client", "nobody"), ("--citizen", "123")):
        run = _token_command(*args)
        assert run.returncode == 2 and run.stdout == "" and "error:" in run.stderr
