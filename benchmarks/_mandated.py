"""The work enforcement cannot skip, measured in this process.

Whatever the implementation, the design asks this of every gateway request:
- each subgraph request carries a grant the gateway signs and the department
  verifies (Ed25519);
- the citizens' consent is read as it stands;
- the request's ledger entries are committed durably before the response leaves.

The policy decision itself is left out, so the sum is below the true minimum.
It is measured here with nothing else running, while under load on shared
cores each piece costs more: a floor under what authorization can add.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import LedgerEntry, open_ledger
from joinedup import grants
from subgraphs.consent.records import load_purposes
from subgraphs.consent.store import open_consent_store

# About what one department is asked about one citizen in the benchmark's selections.
COORDINATES = frozenset(f"Citizen.field{n}" for n in range(8))


@dataclass(frozen=True)
class Floor:
    """Microseconds of CPU per gateway request, by piece, and their sum in ms."""

    grants_us: float  # every grant of the request, signed and verified
    consent_read_us: float
    ledger_us: float
    total_ms: float


def _cpu_us(call: Callable[[], object], times: int) -> float:
    """CPU per call (every thread of this process), the best of three runs."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(times):
            call()
        best = min(best, time.process_time() - started)
    return best * 1e6 / times


def grant_us(subjects: int) -> float:
    """One grant about `subjects` citizens: signed, then verified."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    grant = grants.Grant(
        client="benchmark",
        purpose="universal-credit-assessment",
        decision_id="decision",
        department="hmrc",
        subjects={f"AB{n:06d}C": COORDINATES for n in range(subjects)},
    )

    def both() -> None:
        grants.verify(grants.sign(grant, key), public, "hmrc")

    return _cpu_us(both, 300)


async def consent_read_us(consent_db: Path, nins: Sequence[str], purpose: str) -> float:
    """One read of the consent of `nins` to `purpose`, from the run's consent store."""
    store = await open_consent_store(f"sqlite:///{consent_db}", load_purposes())
    try:
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for _ in range(200):
                await store.read(nins, purpose)
            best = min(best, time.process_time() - started)
    finally:
        await store.close()
    return best * 1e6 / 200


def _entries(request: int, count: int) -> list[LedgerEntry]:
    at = datetime.now(UTC)
    return [
        LedgerEntry(
            at=at,
            request_id=f"request-{request}",
            client_id="universal-credit-service",
            organisation="Department for Work and Pensions",
            purpose="universal-credit-assessment",
            subject=f"AB{n:06d}C",
            department="hmrc",
            released=tuple(sorted(COORDINATES)),
            refused=(),
            decision_id=f"decision-{request}",
            policy_revision="revision",
            consent_version=3,
        )
        for n in range(count)
    ]


async def commit_us(ledger_db: Path, entries: int) -> float:
    """One durable commit of `entries` ledger entries (SQLite, as the gateway's)."""
    ledger = await open_ledger(f"sqlite:///{ledger_db}", Ed25519PrivateKey.generate())
    try:
        await ledger.record(_entries(-1, entries))  # create and warm up outside the clock
        best = float("inf")
        for round_ in range(3):
            started = time.process_time()
            for n in range(50):
                await ledger.record(_entries(round_ * 50 + n, entries))
            best = min(best, time.process_time() - started)
    finally:
        await ledger.close()
    return best * 1e6 / 50


async def floor(
    data_dir: Path,
    *,
    grants_per_request: float,
    nins: Sequence[str],
    purpose: str,
    entries_per_request: float,
    commits_per_request: float,
) -> Floor:
    """The floor for requests about `nins`, with the ledger grouping its commits as the
    measured run did (`entries_per_request` and `commits_per_request`, from the gateway)."""
    grant = grants_per_request * grant_us(len(nins))
    consent = await consent_read_us(data_dir / "consent.db", nins, purpose)
    ledger = 0.0
    if commits_per_request > 0:
        per_commit = max(1, round(entries_per_request / commits_per_request))
        path = data_dir / "floor" / f"ledger-{per_commit}.db"
        path.parent.mkdir(exist_ok=True)
        ledger = commits_per_request * await commit_us(path, per_commit)
    return Floor(grant, consent, ledger, (grant + consent + ledger) / 1000)
