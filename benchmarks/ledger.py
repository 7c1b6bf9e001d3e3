"""Access ledger throughput with durability on: 1, 16 and 128 concurrent writers.

Each writer stands for one gateway request at a time: it records that request's
entries (three by default: one per department asked) and waits for the commit,
as the gateway does before it answers. SQLite (a temporary file, WAL,
`synchronous=FULL`) and PostgreSQL (a scratch schema, dropped afterwards) run
side by side; the figures are entries appended per second, requests per second,
commits (disk syncs) per second, the p50/p99 latency of one `record` call, and
this process's CPU time per entry (every thread: building the entries, checking
and encoding them, chaining and the SQLite work; not the PostgreSQL server's).

    .venv/bin/python benchmarks/ledger.py [--seconds 3] [--entries 3]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import LedgerEntry, open_ledger, verify

WRITERS = (1, 16, 128)
DEPARTMENTS = ("hmrc", "dwp", "dvla", "nhs", "council")


@dataclass(frozen=True)
class Result:
    engine: str
    writers: int
    entries_per_second: float
    requests_per_second: float
    commits_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_entry: float


def request_entries(request: int, count: int) -> list[LedgerEntry]:
    at = datetime.now(UTC)
    return [
        LedgerEntry(
            at=at,
            request_id=f"req-{request}",
            client_id="blue-badge-service",
            organisation="council",
            purpose="blue-badge-eligibility",
            subject=f"AB{request % 1_000_000:06d}C",
            department=DEPARTMENTS[i % len(DEPARTMENTS)],
            released=("Citizen.drivingLicence", "Citizen.disabilityBenefits"),
            refused=(("Citizen.bloodPressure", "consent_withdrawn"),),
            decision_id=f"decision-{request}-{i}",
            policy_revision="rev-42",
            consent_version=7,
        )
        for i in range(count)
    ]


async def measure(engine: str, url: str, writers: int, seconds: float, per_request: int) -> Result:
    key = Ed25519PrivateKey.generate()
    ledger = await open_ledger(url, key)
    latencies: list[float] = []
    counter = iter(range(10**12))
    deadline = time.perf_counter() + seconds

    async def writer() -> None:
        while time.perf_counter() < deadline:
            entries = request_entries(next(counter), per_request)
            started = time.perf_counter()
            await ledger.record(entries)
            latencies.append(time.perf_counter() - started)

    await ledger.record(request_entries(-1, 1))  # connect and warm up outside the clock
    commits_before = ledger.commits
    started = time.perf_counter()
    cpu_started = time.process_time()
    await asyncio.gather(*(writer() for _ in range(writers)))
    cpu = time.process_time() - cpu_started
    elapsed = time.perf_counter() - started
    commits = ledger.commits - commits_before
    await ledger.close()
    report = await verify(url, key.public_key())
    if not report.ok:
        raise SystemExit(f"{engine}: the ledger did not verify: {report.problem}")
    latencies.sort()
    return Result(
        engine,
        writers,
        len(latencies) * per_request / elapsed,
        len(latencies) / elapsed,
        commits / elapsed,
        statistics.median(latencies) * 1000,
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        cpu * 1e6 / (len(latencies) * per_request),
    )


@contextlib.asynccontextmanager
async def scratch_schema(url: str) -> AsyncIterator[str]:
    schema = f"ledger_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in url else "?"
        try:
            yield f"{url}{separator}search_path={schema}"
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


async def run(seconds: float, per_request: int, postgres: str | None) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as directory:
        for writers in WRITERS:
            url = f"sqlite:///{Path(directory) / f'ledger-{writers}.db'}"
            results.append(await measure("sqlite", url, writers, seconds, per_request))
    if postgres:
        for writers in WRITERS:
            async with scratch_schema(postgres) as url:
                results.append(await measure("postgresql", url, writers, seconds, per_request))
    return results


def table(results: list[Result], per_request: int) -> str:
    lines = [
        f"{per_request} entries per request; every record() waits for its durable commit",
        f"{'engine':<11}{'writers':>8}{'entries/s':>11}{'requests/s':>12}"
        f"{'commits/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs/entry':>14}",
    ]
    for r in results:
        lines.append(
            f"{r.engine:<11}{r.writers:>8}{r.entries_per_second:>11,.0f}"
            f"{r.requests_per_second:>12,.0f}{r.commits_per_second:>11,.0f}"
            f"{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.cpu_us_per_entry:>14.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--entries", type=int, default=3, help="entries per request")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="server to measure on (a scratch schema is used); '' to skip",
    )
    args = parser.parse_args()
    results = asyncio.run(run(args.seconds, args.entries, args.postgres or None))
    print(table(results, args.entries))


if __name__ == "__main__":
    main()
