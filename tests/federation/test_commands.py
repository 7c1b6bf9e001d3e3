"""`joinedup compose`, `plan` and `gateway` run as real subprocesses against tiny subgraphs."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from federation.commands import subgraph_argument
from federation.supergraph import parse_supergraph
from tests.federation.test_app import (
    LETTERS_SCHEMA,
    subgraph_app,
    supergraph_for,
    tiny_subgraphs,
)
from tests.servers import serve

JOINEDUP = str(Path(sys.executable).parent / "joinedup")
QUERY = "{ person(id: 2) { name letters { subject } } }"


def joinedup(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JOINEDUP, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def subgraph_args(urls: dict[str, str], order: list[str] | None = None) -> list[str]:
    names = order or sorted(urls)
    return [arg for name in names for arg in ("--subgraph", f"{name}={urls[name]}/graphql")]


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    with tiny_subgraphs() as running:
        yield running


@pytest.fixture(scope="module")
def composed(urls: dict[str, str]) -> str:
    result = joinedup("compose", *subgraph_args(urls))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def supergraph_file(urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("supergraph") / "supergraph.graphql"
    path.write_text(supergraph_for(urls))
    return path


def test_compose_prints_the_supergraph(urls: dict[str, str], composed: str) -> None:
    assert '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)' in composed
    assert f'PEOPLE @join__graph(name: "people", url: "{urls["people"]}/graphql")' in composed
    supergraph = parse_supergraph(composed)
    assert supergraph.subgraph_urls == {
        "letters": f"{urls['letters']}/graphql",
        "people": f"{urls['people']}/graphql",
    }


def test_compose_writes_to_a_file_whatever_the_order(
    urls: dict[str, str], composed: str, tmp_path: Path
) -> None:
    target = tmp_path / "supergraph.graphql"
    # Bare base URLs, in another order: the same supergraph.
    bare = [a for name in ["people", "letters"] for a in ("--subgraph", f"{name}={urls[name]}")]
    result = joinedup("compose", *bare, "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text() == composed


def test_compose_reports_an_unreachable_subgraph(urls: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens here once the socket closes
    result = joinedup(
        "compose", *subgraph_args(urls), "--subgraph", f"missing=http://127.0.0.1:{closed}/graphql"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("joinedup: could not fetch the subgraphs' SDL")
    assert "Traceback" not in result.stderr


def test_subgraph_arguments_are_checked() -> None:
    result = joinedup("compose", "--subgraph", "people")
    assert result.returncode == 2
    assert "expected NAME=URL" in result.stderr


@pytest.mark.parametrize("bad", ["people", "=http://x/graphql", "people=ftp://x", "people=x"])
def test_subgraph_argument_needs_a_name_and_an_http_url(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected NAME=URL"):
        subgraph_argument(bad)


def test_subgraph_argument_points_at_the_graphql_endpoint() -> None:
    assert subgraph_argument("hmrc=http://h:1") == ("hmrc", "http://h:1/graphql")
    assert subgraph_argument(" hmrc = http://h:1/ ") == ("hmrc", "http://h:1/graphql")
    assert subgraph_argument("hmrc=http://h:1/api") == ("hmrc", "http://h:1/api")


def test_plan_prints_the_query_plan(urls: dict[str, str], supergraph_file: Path) -> None:
    result = joinedup("plan", QUERY, "--supergraph", str(supergraph_file))
    assert result.returncode == 0, result.stderr
    plan = result.stdout
    assert plan.startswith("QueryPlan {")
    assert plan.index('Fetch(service: "people")') < plan.index('Flatten(path: "person")')
    assert plan.index('Flatten(path: "person")') < plan.index('Fetch(service: "letters")')
    composed = joinedup("plan", QUERY, *subgraph_args(urls))
    assert composed.returncode == 0, composed.stderr
    assert composed.stdout == plan


def test_plan_reports_invalid_queries(supergraph_file: Path) -> None:
    result = joinedup("plan", "{ person(id: 1) { nmae } }", "--supergraph", str(supergraph_file))
    assert result.returncode == 1
    assert "the query is not valid" in result.stderr
    assert "nmae" in result.stderr
    result = joinedup("plan", "{ person(", "--supergraph", str(supergraph_file))
    assert result.returncode == 1
    assert "the query does not parse" in result.stderr


def test_plan_reports_a_missing_or_broken_supergraph_file(tmp_path: Path) -> None:
    result = joinedup("plan", QUERY, "--supergraph", str(tmp_path / "absent.graphql"))
    assert result.returncode == 1
    assert result.stderr.startswith("joinedup: cannot read")
    broken = tmp_path / "broken.graphql"
    broken.write_text("type Query { a: Int }")
    result = joinedup("plan", "{ a }", "--supergraph", str(broken))
    assert result.returncode == 1
    assert result.stderr.startswith("joinedup: the supergraph cannot be read")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_gateway(*args: str) -> tuple[subprocess.Popen[str], int]:
    """A gateway over the test graph, which holds no personal data: no policy stage."""
    port = free_port()
    process = subprocess.Popen(
        [JOINEDUP, "gateway", *args, "--port", str(port), "--authorization", "off"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


def stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output


async def wait_ready(process: subprocess.Popen[str], port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            assert process.poll() is None, stop(process)
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the gateway did not become ready")


async def query(port: int) -> object:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}) as resp,
    ):
        return await resp.json()


EXPECTED = {
    "data": {
        "person": {
            "name": "Grace Hopper",
            "letters": [{"subject": "Pension forecast"}, {"subject": "Tax code notice"}],
        }
    }
}


async def test_gateway_serves_a_supergraph_file(supergraph_file: Path) -> None:
    process, port = start_gateway("--supergraph", str(supergraph_file))
    try:
        await wait_ready(process, port)
        assert await query(port) == EXPECTED
    finally:
        output = stop(process)
    assert f"gateway on http://127.0.0.1:{port}/graphql" in output
    assert "--authorization off" in output  # turning the policy stage off is never silent


async def test_gateway_waits_for_subgraphs_that_are_starting(urls: dict[str, str]) -> None:
    letters_port = free_port()
    late = {"people": urls["people"], "letters": f"http://127.0.0.1:{letters_port}"}
    process, port = start_gateway(*subgraph_args(late))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        while "retrying" not in line:
            assert line, "the gateway exited instead of retrying"
            line = process.stdout.readline()
        with serve(subgraph_app(LETTERS_SCHEMA), port=letters_port):
            await wait_ready(process, port)
            assert await query(port) == EXPECTED
    finally:
        stop(process)


def test_gateway_gives_up_on_subgraphs_that_never_start(urls: dict[str, str]) -> None:
    dead = {"people": urls["people"], "letters": f"http://127.0.0.1:{free_port()}"}
    process, _ = start_gateway(*subgraph_args(dead), "--compose-attempts", "2")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert output.count("retrying") == 1
    assert "joinedup: could not fetch the subgraphs' SDL after 2 attempt(s)" in output
