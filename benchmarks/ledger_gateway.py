"""What recording every release costs the gateway: the ledger on vs off, side by side.

Two `joinedup gateway` processes run at once over the same department
subprocesses, consent store and keys: one records to the embedded SQLite ledger
(`synchronous=FULL`), the other runs with `--ledger off`. Rounds alternate
between them (on, off, off, on, ...) so that drift in the machine's load falls
on both, and the costs are the medians of the on/off ratios within each round.
Each round sends the one-citizen joined-up Blue Badge query (identity, council,
DVLA, DWP and NHS fields for one citizen) from `--concurrency` clients for
`--seconds`. The figures are requests per second and the gateway
process's own CPU time per request (from /proc), which says more than RPS on a
small machine where departments and the load generator share the CPU.

    .venv/bin/python benchmarks/ledger_gateway.py [--citizens 2000] [--rounds 6]
        [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from federation.auth import issue
from joinedup.grants import load_or_create_private_key
from subgraphs.consent.records import load_purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.consent.store import open_consent_store
from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all

ROOT = Path(__file__).resolve().parents[1]
SEED = 3
PURPOSE = "blue-badge-eligibility"
QUERY = """query BlueBadge($nin: ID!) { citizen(nin: $nin) {
  givenName familyName dateOfBirth address { line1 town postcode }
  localAuthority blueBadge { status expiresOn } drivingLicence { status }
  personalIndependencePaymentClaims { status mobilityRate } longTermConditions { term }
} }"""
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Side:
    name: str
    url: str
    pid: int
    rps: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    refused: int = 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "joinedup.cli", *args]


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


@contextlib.contextmanager
def running(data_dir: Path, base_port: int) -> Iterator[tuple[Side, Side]]:
    processes: list[subprocess.Popen[bytes]] = []
    key = data_dir / "keys" / "gateway.pem"
    load_or_create_private_key(key)
    try:
        subgraphs = []
        for offset, d in enumerate(DEPARTMENTS):
            port = base_port + 10 + offset
            process = subprocess.Popen(
                _command(
                    "subgraph", d.name, "--port", str(port), "--data-dir", str(data_dir),
                    "--gateway-key", str(key.with_suffix(".pub")),
                ),
                cwd=ROOT,
            )  # fmt: skip
            processes.append(process)
            _wait(f"http://127.0.0.1:{port}/healthz", process)
            subgraphs += ["--subgraph", f"{d.name}=http://127.0.0.1:{port}/graphql"]
        sides = []
        for offset, (name, ledger) in enumerate((("ledger on", []), ("ledger off", ["off"]))):
            port = base_port + offset
            extra = ["--ledger", *ledger] if ledger else []
            process = subprocess.Popen(
                _command(
                    "gateway", "--port", str(port), "--data-dir", str(data_dir), *subgraphs,
                    *extra,
                ),
                cwd=ROOT,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            processes.append(process)
            url = f"http://127.0.0.1:{port}"
            _wait(url + "/readyz", process)
            sides.append(Side(name, url + "/graphql", process.pid))
        yield sides[0], sides[1]
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(30)


async def round_on(side: Side, nins: list[str], seconds: float, concurrency: int) -> None:
    headers = {
        "authorization": f"Bearer {issue(client_id='blue-badge-service')}",
        "joinedup-purpose": PURPOSE,
        "content-type": "application/json",
    }
    bodies = [orjson.dumps({"query": QUERY, "variables": {"nin": nin}}) for nin in nins]
    done = 0
    refused = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def client(start: int) -> None:
            nonlocal done, refused
            index = start
            while time.perf_counter() < deadline:
                body = bodies[index % len(bodies)]
                index += concurrency
                async with session.post(side.url, data=body, headers=headers) as response:
                    payload = orjson.loads(await response.read())
                if response.status != 200 or payload.get("data", {}).get("citizen") is None:
                    refused += 1
                done += 1

        cpu = cpu_seconds(side.pid)
        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(side.pid) - cpu
    side.rps.append(done / elapsed)
    side.cpu_ms.append(cpu / done * 1000)
    side.refused += refused


async def consent_to_blue_badge(data_dir: Path, nins: list[str]) -> None:
    """Every citizen consents, so each request releases their data (the full cost)."""
    store = await open_consent_store(f"sqlite:///{data_dir / 'consent.db'}", load_purposes())
    try:
        current = await store.read(nins)
        for nin in nins:
            if current[nin].opted_out:
                await store.set_opted_out(nin, False, actor=nin)
            await store.give(nin, PURPOSE, collection_method="web-portal", actor=nin)
    finally:
        await store.close()


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="joinedup-ledger-gateway-") as temporary:
        data_dir = Path(temporary)
        population = list(people(args.citizens, SEED))
        print(f"seeding {args.citizens} citizens ...", flush=True)
        seed_all(data_dir, args.citizens, SEED, DEPARTMENTS, progress=None)
        seed_consents(data_dir / "consent.db", population, SEED, load_purposes())
        nins = [p.nin for p in population]
        await consent_to_blue_badge(data_dir, nins)
        with running(data_dir, args.port) as (on, off):
            await round_on(on, nins[:50], 1.0, args.concurrency)  # warm both up
            await round_on(off, nins[:50], 1.0, args.concurrency)
            for side in (on, off):
                side.rps.clear()
                side.cpu_ms.clear()
                side.refused = 0
            for number in range(args.rounds):
                order = (on, off) if number % 2 == 0 else (off, on)
                for side in order:
                    await round_on(side, nins, args.seconds, args.concurrency)
                    print(
                        f"round {number + 1} {side.name:>10}: {side.rps[-1]:7.1f} req/s"
                        f"  {side.cpu_ms[-1]:6.2f} ms gateway CPU/request",
                        flush=True,
                    )
            print()
            print(f"{'':>10}  {'req/s (median)':>14}  {'gateway CPU ms/request (median)':>32}")
            for side in (on, off):
                print(
                    f"{side.name:>10}  {statistics.median(side.rps):14.1f}"
                    f"  {statistics.median(side.cpu_ms):32.2f}"
                )
            # Each round's two sides run seconds apart, so their ratio is what the machine's
            # drift disturbs least; the medians of each side over rounds are printed above.
            rates = [a / b for a, b in zip(on.rps, off.rps, strict=True) if b]
            cpus = [a / b for a, b in zip(on.cpu_ms, off.cpu_ms, strict=True) if b]
            print(
                f"\nthe ledger costs {1 - statistics.median(rates):.1%} of throughput"
                f" (per round: {1 - max(rates):.1%} to {1 - min(rates):.1%})"
                f" and adds {statistics.median(cpus) - 1:.1%} gateway CPU per request"
                " (target: at most 10% of throughput; medians of the ratios within rounds)"
            )
            if on.refused or off.refused:
                print(f"responses without data: on {on.refused}, off {off.refused}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=14000, help="first of the ports used")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
