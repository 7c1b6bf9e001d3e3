"""`joinedup access-service` as a real process: it serves, checks grants and reads the ledger."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from joinedup import grants
from subgraphs.access.commands import register

ROOT = Path(__file__).resolve().parents[2]
# The subcommand as `joinedup` would run it once registered there.
RUN = (
    "import argparse, sys; from subgraphs.access.commands import register; "
    "p = argparse.ArgumentParser(); register(p.add_subparsers()); "
    "a = p.parse_args(sys.argv[1:]); sys.exit(a.handler(a))"
)


def test_the_subcommand_has_its_documented_options() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["access-service"])
    assert args.port == 4008 and args.ledger is None and args.gateway_key is None
    args = parser.parse_args(
        ["access-service", "--port", "5000", "--ledger", "postgresql://db/x", "--data-dir", "d"]
    )
    assert (args.port, args.ledger, args.data_dir) == (5000, "postgresql://db/x", Path("d"))


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_service_runs_and_refuses_requests_without_a_grant(tmp_path: Path) -> None:
    grants.load_or_create_private_key(tmp_path / "keys" / "gateway.pem")  # writes gateway.pub
    port = _port()
    process = subprocess.Popen(
        [
            sys.executable, "-c", RUN, "access-service", "--port", str(port),
            "--data-dir", str(tmp_path), "--gateway-key", str(tmp_path / "keys" / "gateway.pub"),
        ],
        cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the access service exited"
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                    assert orjson.loads(response.read())["department"] == "access"
                    break
            except OSError:
                assert time.monotonic() < deadline, "the access service did not start"
                time.sleep(0.2)
        query = orjson.dumps({"query": "{ _service { sdl } }"})
        request = urllib.request.Request(
            base + "/graphql", data=query, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            sdl = orjson.loads(response.read())["data"]["_service"]["sdl"]
        assert "accessLog" in sdl and "recordOutcome" in sdl
        log = orjson.dumps(
            {
                "query": '{ _entities(representations: [{__typename: "Citizen", nin: '
                '"AB123456C"}]) { ... on Citizen { accessLog { hasNextPage } } } }'
            }
        )
        request = urllib.request.Request(
            base + "/graphql", data=log, headers={"content-type": "application/json"}
        )
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("a request without a grant was answered")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
    finally:
        process.terminate()
        process.wait(30)
