"""The service as deployed: it composes with the departments, checks grants, has a CLI hook."""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from graphql import ObjectTypeDefinitionNode, parse

from federation.compose import SubgraphSource, compose
from joinedup import grants
from joinedup.grants import load_or_create_private_key
from subgraphs.consent import commands
from subgraphs.consent.receipts import key_id
from subgraphs.registry import DEPARTMENTS
from tests.consent_service.conftest import (
    Service,
    grant_token,
    new_nin,
    serving,
)

ROOTS = {"Query", "Mutation", "_Service"}


async def _sdl(consent: Service) -> str:
    payload = await consent.run("{ _service { sdl } }")
    sdl: str = payload["data"]["_service"]["sdl"]
    return sdl


async def test_the_service_composes_with_every_department(consent: Service) -> None:
    sources = [
        SubgraphSource(d.name, f"http://{d.name}.example/graphql", d.schema.as_str())
        for d in DEPARTMENTS
    ]
    sources.append(SubgraphSource("consent", f"{consent.url}/graphql", await _sdl(consent)))
    supergraph = compose(sources)
    assert "consentHistory: [ConsentHistoryEntry!]! @join__field(graph: CONSENT)" in supergraph
    assert "giveConsent(" in supergraph


async def test_every_field_carries_a_data_category(consent: Service) -> None:
    for definition in parse(await _sdl(consent)).definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        if definition.name.value in ROOTS:
            continue
        for field in definition.fields or ():
            directives = {d.name.value: d for d in field.directives or ()}
            assert "dataCategory" in directives, f"{definition.name.value}.{field.name.value}"
            args = {
                a.name.value: getattr(a.value, "value", None)
                for a in directives["dataCategory"].arguments or ()
            }
            if args["name"] == "public.purpose_register":
                assert args["sensitivity"] == "PUBLIC"
            else:
                assert args["sensitivity"] == "PERSONAL"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    path = tmp_path_factory.mktemp("guarded") / "consent.db"
    with serving("sqlite", f"sqlite:///{path}", gateway=True) as running:
        yield running


@pytest.fixture
async def guarded_consent(guarded: Service) -> AsyncIterator[Service]:
    async with aiohttp.ClientSession() as session:
        guarded.session = session
        yield guarded
        guarded.session = None


VERSION = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Citizen { consentVersion } } }"""
GIVE = """mutation($n: ID!) { giveConsent(nin: $n, purpose: "gp-home-readings") { state } }"""


async def test_with_a_gateway_key_a_request_without_a_grant_is_refused(
    guarded_consent: Service,
) -> None:
    nin = new_nin()
    status, payload = await guarded_consent.post(
        VERSION, {"r": [{"__typename": "Citizen", "nin": nin}]}
    )
    assert status == 401
    assert payload["errors"][0]["extensions"]["code"] == "GRANT_REFUSED"
    status, payload = await guarded_consent.post(GIVE, {"n": nin})
    assert status == 401
    # A grant signed by another key is no grant.
    forged = grants.sign(
        grants.Grant("citizen-portal", "citizen-access", "d", "consent", {nin: frozenset()}, nin),
        Ed25519PrivateKey.generate(),
    )
    status, _ = await guarded_consent.post(GIVE, {"n": nin}, token=forged)
    assert status == 401
    # Schema introspection for composition needs no grant.
    status, payload = await guarded_consent.post("{ _service { sdl } }")
    assert status == 200 and "Citizen" in payload["data"]["_service"]["sdl"]


async def test_with_a_gateway_key_a_granted_citizen_may_change_their_consent(
    guarded_consent: Service,
) -> None:
    nin = new_nin()
    token = grant_token(citizen=nin, allow={nin: {"Consent.state"}})
    status, payload = await guarded_consent.post(GIVE, {"n": nin}, token=token)
    assert status == 200, payload
    assert payload["data"]["giveConsent"] == {"state": "GIVEN"}
    # Asking beyond the grant is refused before anything is written.
    status, _ = await guarded_consent.post(
        """mutation($n: ID!) { withdrawConsent(nin: $n, purpose: "gp-home-readings") {
          state version } }""",
        {"n": nin},
        token=token,
    )
    assert status == 403
    token = grant_token(allow={nin: {"Citizen.consentVersion"}})
    status, payload = await guarded_consent.post(
        VERSION, {"r": [{"__typename": "Citizen", "nin": nin}]}, token=token
    )
    assert status == 200 and payload["data"]["_entities"] == [{"consentVersion": 1}]


def test_the_cli_hook_adds_consent_service(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["consent-service", "--data-dir", str(tmp_path)])
    assert (args.port, args.data_dir, args.handler) == (
        4007,
        tmp_path,
        commands.run_consent_service,
    )
    args = parser.parse_args(["consent-service", "--port", "5007"])
    assert args.port == 5007
    assert commands.store_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/consent.db"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


RUN = """import argparse, sys
from subgraphs.consent.commands import register
parser = argparse.ArgumentParser()
register(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


async def test_the_command_serves_receipts_signed_by_its_key_file(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            RUN,
            "consent-service",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        keys = None
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                if process.poll() is not None:
                    raise AssertionError(process.stderr.read() if process.stderr else b"")
                try:
                    async with session.get(f"http://127.0.0.1:{port}/.well-known/jwks.json") as r:
                        keys = await r.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        assert keys is not None, "the consent service did not start"
        key = load_or_create_private_key(tmp_path / "keys" / "consent-receipts.pem")
        assert keys["keys"][0]["kid"] == key_id(key.public_key())
        assert (tmp_path / "consent.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
