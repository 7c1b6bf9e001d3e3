"""A gateway killed mid-load loses no record of anything it answered, and its chain holds.

The departments are served in this process over real HTTP; the gateway is a
real `joinedup gateway` process with authorization on and the embedded SQLite
ledger. A load client sends the one-citizen joined-up query from several
workers; the gateway is sent SIGKILL while requests are in flight, then
started again on the same ledger. Afterwards `joinedup ledger verify` passes,
and every response the client received with data is matched, one to one, to a
distinct request in the ledger about the same citizen, recorded while that
request was open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from federation.auth import issue
from federation.ledger import LedgerEntry, latest_entries
from joinedup import grants
from subgraphs.app import create_app as department_app
from subgraphs.consent.records import load_purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all
from tests.servers import serve

CITIZENS = 60
SEED = 7
WORKERS = 6
BEFORE_KILL = 40  # answered requests before the gateway is killed
AFTER_RESTART = 15
ROOT = Path(__file__).resolve().parents[2]
QUERY = """query BlueBadge($nin: ID!) { citizen(nin: $nin) {
  givenName familyName dateOfBirth address { line1 town postcode }
  localAuthority blueBadge { status expiresOn } drivingLicence { status }
  personalIndependencePaymentClaims { status mobilityRate } longTermConditions { term }
} }"""


@dataclass(frozen=True)
class Answered:
    nin: str
    sent: float
    received: float


@dataclass
class Load:
    answered: list[Answered]
    failures: int = 0
    stop: bool = False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _joinedup(*args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "joinedup.cli", *args],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@contextlib.contextmanager
def departments(data_dir: Path) -> Iterator[list[str]]:
    key = grants.load_or_create_private_key(data_dir / "keys" / "gateway.pem")
    with contextlib.ExitStack() as stack:
        yield [
            f"{d.name}={stack.enter_context(serve(department_app(d, data_dir, key.public_key())))}"
            "/graphql"
            for d in DEPARTMENTS
        ]


async def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the gateway exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url + "/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    pytest.fail("the gateway did not become ready")


async def _worker(url: str, nins: list[str], offset: int, load: Load) -> None:
    token = issue(client_id="blue-badge-service")
    headers = {
        "authorization": f"Bearer {token}",
        "joinedup-purpose": "blue-badge-eligibility",
        "content-type": "application/json",
    }
    timeout = aiohttp.ClientTimeout(total=20)
    index = offset
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while not load.stop:
            nin = nins[index % len(nins)]
            index += WORKERS
            body = orjson.dumps({"query": QUERY, "variables": {"nin": nin}})
            sent = time.time()
            try:
                async with session.post(url + "/graphql", data=body, headers=headers) as response:
                    status = response.status
                    payload = orjson.loads(await response.read())
            except (aiohttp.ClientError, orjson.JSONDecodeError, TimeoutError):
                load.failures += 1
                await asyncio.sleep(0.05)
                continue
            received = time.time()
            if status == 200 and (payload.get("data") or {}).get("citizen") is not None:
                load.answered.append(Answered(nin, sent, received))


async def _until(condition: Any, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the load did not make progress")
        await asyncio.sleep(0.02)


def _verify(data_dir: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "joinedup.cli",
            "ledger",
            "verify",
            "--ledger",
            f"sqlite:///{data_dir / 'ledger.db'}",
            "--public-key",
            str(data_dir / "keys" / "gateway.pub"),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )


async def _all_entries(ledger_url: str) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    after = None
    while True:
        page = await latest_entries(ledger_url, first=1000, after=after)
        entries += page
        if len(page) < 1000:
            return entries
        after = page[-1].sequence


def _unmatched(answered: list[Answered], entries: list[LedgerEntry]) -> list[Answered]:
    """Responses with no distinct ledger request about their citizen inside their window."""
    requests: dict[str, tuple[str, float]] = {}
    for entry in entries:
        if entry.client_id == "blue-badge-service" and entry.subject:
            requests.setdefault(entry.request_id, (entry.subject, entry.at.timestamp()))
    free: dict[str, list[float]] = {}
    for subject, at in requests.values():
        free.setdefault(subject, []).append(at)
    missing = []
    for response in sorted(answered, key=lambda a: a.received):
        times = free.get(response.nin, [])
        match = next((t for t in sorted(times) if response.sent <= t <= response.received), None)
        if match is None:
            missing.append(response)
        else:
            times.remove(match)
    return missing


async def test_a_killed_gateway_lost_no_record_of_what_it_answered(tmp_path: Path) -> None:
    data_dir = tmp_path
    population = list(people(CITIZENS, SEED))
    seed_all(data_dir, CITIZENS, SEED, DEPARTMENTS, progress=None)
    seed_consents(data_dir / "consent.db", population, SEED, load_purposes())
    nins = [p.nin for p in population]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "gateway.log"
    with departments(data_dir) as subgraphs:
        arguments = ["gateway", "--port", str(port), "--data-dir", str(data_dir)]
        arguments += [part for sub in subgraphs for part in ("--subgraph", sub)]
        arguments += ["--authorization", "on"]
        gateway = _joinedup(*arguments, log=log)
        try:
            await _wait_ready(url, gateway, log)
            load = Load(answered=[])
            workers = [
                asyncio.create_task(_worker(url, nins, offset, load)) for offset in range(WORKERS)
            ]
            await _until(lambda: len(load.answered) >= BEFORE_KILL)
            os.kill(gateway.pid, signal.SIGKILL)
            await asyncio.to_thread(gateway.wait, 30)
            before_restart = len(load.answered)
            failures = load.failures
            await _until(lambda: load.failures > failures)  # requests in flight were lost

            killed = await asyncio.to_thread(_verify, data_dir)
            assert killed.returncode == 0, killed.stdout + killed.stderr

            gateway = _joinedup(*arguments, log=log)
            await _wait_ready(url, gateway, log)
            await _until(lambda: len(load.answered) >= before_restart + AFTER_RESTART)
            load.stop = True
            await asyncio.gather(*workers)
        finally:
            if gateway.poll() is None:
                gateway.send_signal(signal.SIGTERM)
                await asyncio.to_thread(gateway.wait, 30)

    verified = await asyncio.to_thread(_verify, data_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert b"intact" in verified.stdout, verified.stdout
    entries = await _all_entries(f"sqlite:///{data_dir / 'ledger.db'}")
    assert _unmatched(load.answered, entries) == []
    assert len(load.answered) >= BEFORE_KILL + AFTER_RESTART
