"""The gateway with and without authorization, side by side, against a direct subgraph call.

Six department subgraphs and three gateways run as their own processes over
loopback: `off` (`--authorization off`, departments without grants), `on`
(embedded Rego, SQLite consent store and ledger, departments checking grants)
and `on, ledger off`. Variants run interleaved in rounds (a different order each
round); each figure is the median over rounds, and each ratio is taken within a
round, so the noise of a shared machine hits both sides of it alike. Gateway CPU
is the gateway process's own user+system time (`/proc/<pid>/stat`) over its
slice, divided by the requests it served. Every department counts the GraphQL
requests it receives, so the table shows how many each operation caused.

    .venv/bin/python benchmarks/gateway.py [--citizens 2000] [--rounds 5] [--seconds 3]
        [--concurrency 8] [--workloads one,fifty] [--variant NAME ...] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import itertools
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from _harness import (
    Slice,
    cpu_seconds,
    drive,
    get_json,
    harness_args,
    hot_spots,
    machine_load,
    median,
    processes,
    quantile,
    sampling,
    spawn,
    table,
    wait_for,
    write_json,
)
from _mandated import Floor, floor

from federation.auth import issue
from federation.compose import SubgraphSource, compose
from joinedup.grants import load_or_create_private_key
from subgraphs.consent.records import ConsentState, load_purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.consent.store import open_consent_store
from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all

SEED = 1
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
PUBLIC_TASK = ("universal-credit-service", "universal-credit-assessment")
CONSENT = ("blue-badge-service", "blue-badge-eligibility")

# Each selection is about thirty fields. FULL spans all six departments; the others keep
# to what their purpose may release, so that every field asked for is released.
SELECTIONS = {
    "full": """
        nin givenName familyName dateOfBirth email phone nhsNumber
        address { line1 town postcode }
        taxCode selfAssessment { status utr returnTaxYear }
        universalCreditClaims { status claimedOn monthlyAward }
        statePension { status weeklyAmount }
        gpPractice { name town } bloodPressureReadings(last: 3) { systolic diastolic takenAt }
        drivingLicence { number status entitlements { category } }
        localAuthority councilTax { band status annualCharge }
    """,
    "uc": """
        nin givenName familyName dateOfBirth address { line1 town postcode }
        taxCode selfAssessment { status returnTaxYear registeredOn }
        payeEmployments { employerName taxYear payToDate }
        universalCreditClaims { status claimedOn monthlyAward }
        statePension { status weeklyAmount }
        councilTax { band status annualCharge } tenure
    """,
    "bb": """
        nin givenName familyName dateOfBirth address { line1 town postcode }
        personalIndependencePaymentClaims { status claimedOn mobilityRate dailyLivingRate }
        longTermConditions { snomedCode term diagnosedOn }
        drivingLicence { number status photocardExpiresOn entitlements { category } }
        localAuthority blueBadge { status number }
    """,
    "identity": "nin givenName familyName dateOfBirth email phone nhsNumber "
    "address { line1 town postcode }",
}


def operation(workload: str, selection: str) -> str:
    fields = " ".join(SELECTIONS[selection].split())
    if workload == "one":
        return f"query One($nin: ID!) {{ citizen(nin: $nin) {{ {fields} }} }}"
    return (
        "query Fifty($after: String) { citizens(first: 50, after: $after) "
        f"{{ endCursor citizens {{ {fields} }} }} }}"
    )


@dataclass(frozen=True)
class Variant:
    name: str
    target: str  # "direct", "off", "on" or "on-noledger": which process answers
    selection: str
    client: tuple[str, str] | None = None  # (client id, purpose) for a token
    as_citizen: bool = False  # a citizen reading their own record through the portal
    citizens: str = "all"  # "all", or "consented": only those who gave the purpose consent
    refusals: bool = False  # refusals are expected (consent as seeded), not a failure


CITIZEN = ("citizen-portal", "citizen-access")
VARIANTS = {
    "one": (
        Variant("direct identity", "direct", "identity"),
        Variant("off, six departments", "off", "full"),
        Variant("on: citizen's own record", "on", "full", CITIZEN, as_citizen=True),
        Variant("off, UC fields", "off", "uc"),
        Variant("on: public task (UC)", "on", "uc", PUBLIC_TASK),
        Variant("on: public task, ledger off", "on-noledger", "uc", PUBLIC_TASK),
        Variant("off, Blue Badge fields", "off", "bb"),
        Variant("on: consent given (Blue Badge)", "on", "bb", CONSENT, citizens="consented"),
        Variant("on: consent as seeded (Blue Badge)", "on", "bb", CONSENT, refusals=True),
    ),
    "fifty": (
        Variant("direct identity", "direct", "identity"),
        Variant("off, six departments", "off", "full"),
        Variant("off, UC fields", "off", "uc"),
        Variant("on: public task (UC)", "on", "uc", PUBLIC_TASK),
        Variant("on: public task, ledger off", "on-noledger", "uc", PUBLIC_TASK),
    ),
}


UVLOOP = Variant("off, six departments, uvloop", "off-uvloop", "full")
PROFILED = ("off, six departments", "on: public task (UC)")
BEFORE = " [before]"  # the same variant answered by the --before checkout's gateway


def variants_of(workload: str, system: System) -> tuple[Variant, ...]:
    """The workload's variants, the gateway on uvloop and the `--before` gateways when they run."""
    extra: tuple[Variant, ...] = (UVLOOP,) if "off-uvloop" in system.urls else ()
    if "off-before" in system.urls:
        extra += tuple(
            dataclasses.replace(v, name=v.name + BEFORE, target=v.target + "-before")
            for v in VARIANTS[workload]
            if v.name in PROFILED
        )
    return VARIANTS[workload] + extra


def chosen(variants: Sequence[Variant], names: Sequence[str]) -> tuple[Variant, ...]:
    """The variants whose name holds one of `names` (all when none is given), and the
    baselines their ratios need. Fewer variants a round keep each pair compared closer
    together in time, which the noise of a shared machine rewards."""
    if not names:
        return tuple(variants)
    picked = {v.name for v in variants if any(n in v.name for n in names)}
    picked |= {b for v in variants if v.name in picked and (b := baseline_of(v)) is not None}
    return tuple(v for v in variants if v.name in picked)


def baseline_of(variant: Variant) -> str | None:
    """The `off` variant with the same selection (and checkout) that a ratio compares against."""
    if variant.target in ("direct", "off", "off-before"):
        return None
    off = {"full": "off, six departments", "uc": "off, UC fields", "bb": "off, Blue Badge fields"}
    name = off[variant.selection]
    return name + BEFORE if variant.target.endswith("-before") else name


@dataclass(frozen=True)
class System:
    """The running processes: GraphQL URLs, pids, and the department sets each gateway calls."""

    urls: Mapping[str, str]  # target → GraphQL URL
    pids: Mapping[str, int]  # target → pid
    department_set: Mapping[str, str]  # target → the label of the departments it calls
    counters: Mapping[str, Mapping[str, str]]  # label → department → counter URL
    departments: Mapping[str, Sequence[int]]  # label → the departments' pids


def _department_set(
    started: list[Any],
    data_dir: Path,
    base_port: int,
    key: Path | None,
    logs: Path,
    checkout: Path | None = None,
) -> tuple[dict[str, str], dict[str, str], dict[str, int]]:
    urls, counters, pids = {}, {}, {}
    for n, d in enumerate(DEPARTMENTS):
        port = base_port + n
        extra = ["--gateway-key", str(key)] if key else []
        process = spawn(
            harness_args(
                "department",
                d.name,
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                *extra,
                checkout=checkout,
            ),
            logs / f"{d.name}-{port}.log",
            env={"PYTHONPATH": str(checkout)} if checkout else None,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        urls[d.name], counters[d.name], pids[d.name] = (
            base + "/graphql",
            base + "/_bench/requests",
            process.pid,
        )
    return urls, counters, pids


def start_system(
    started: list[Any],
    data_dir: Path,
    base_port: int,
    *,
    uvloop: bool = False,
    before: Path | None = None,
) -> System:
    """Departments without grants ("open") and checking grants ("grants"), then the gateways.

    With `before`, that checkout runs a system of its own beside this one: its own two
    department sets ("open-before", "grants-before") and its `off` and `on` gateways.
    """
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    key = data_dir / "keys" / "gateway.pem"
    load_or_create_private_key(key)
    public = key.with_suffix(".pub")
    sets: dict[str, tuple[Path | None, Path | None]] = {
        "open": (None, None),
        "grants": (public, None),
    }
    if before is not None:
        sets |= {"open-before": (None, before), "grants-before": (public, before)}
    department_urls: dict[str, dict[str, str]] = {}
    department_pids: dict[str, dict[str, int]] = {}
    counters: dict[str, dict[str, str]] = {}
    supergraphs: dict[str, Path] = {}
    for n, (label, (gateway_key, checkout)) in enumerate(sets.items()):
        urls, counters[label], department_pids[label] = _department_set(
            started, data_dir, base_port + 10 * n, gateway_key, logs, checkout
        )
        department_urls[label] = urls
        path = data_dir / f"supergraph-{label}.graphql"
        path.write_text(
            compose([SubgraphSource(d.name, urls[d.name], d.schema.as_str()) for d in DEPARTMENTS])
        )
        supergraphs[label] = path
    gateways = {
        "off": (["--authorization", "off"], "open"),
        "on": (["--authorization", "on"], "grants"),
        "on-noledger": (["--authorization", "on", "--ledger", "off"], "grants"),
    }
    if uvloop:
        gateways["off-uvloop"] = (["--authorization", "off", "--loop", "uvloop"], "open")
    if before is not None:
        gateways["off-before"] = (["--authorization", "off"], "open-before")
        gateways["on-before"] = (["--authorization", "on"], "grants-before")
    urls = {"direct": department_urls["open"]["identity"]}
    pids = {"direct": department_pids["open"]["identity"]}
    department_set = {"direct": "open"}
    for n, (target, (options, label)) in enumerate(gateways.items()):
        port = base_port + 10 * len(sets) + n
        checkout = before if target.endswith("-before") else None
        process = spawn(
            harness_args(
                "gateway",
                "--port",
                str(port),
                "--supergraph",
                str(supergraphs[label]),
                "--data-dir",
                str(data_dir),
                *options,
                checkout=checkout,
            ),
            logs / f"gateway-{target}.log",
            env={"PYTHONPATH": str(checkout)} if checkout else None,
        )
        started.append(process)
        urls[target], pids[target] = f"http://127.0.0.1:{port}/graphql", process.pid
        department_set[target] = label
    everything = [*urls.values(), *(u for s in department_urls.values() for u in s.values())]
    for url in everything:
        wait_for(url.replace("/graphql", "/healthz"))
    for process in started:
        if process.poll() is not None:  # another program answered on its port
            raise SystemExit(f"{process.args} exited: see {logs}; try another --base-port")
    departments = {label: list(p.values()) for label, p in department_pids.items()}
    return System(urls, pids, department_set, counters, departments)


def _counts(system: System, target: str) -> dict[str, int]:
    counters = system.counters[system.department_set[target]]
    return {name: int(get_json(url)["graphql"]) for name, url in counters.items()}


def _ledger_counts(system: System, target: str) -> Counter[str]:
    """Entries and commits the gateway's ledger has made so far (none without a ledger, or
    from a `--before` checkout whose harness does not report them)."""
    if target == "direct":
        return Counter()
    stats = get_json(system.urls[target].replace("/graphql", "/_bench/stats"))
    return Counter(entries=stats.get("ledger_entries", 0), commits=stats.get("ledger_commits", 0))


def _departments_cpu(system: System, target: str) -> float:
    """CPU seconds used so far by the departments that `target` calls, all six together."""
    return sum(cpu_seconds(pid) for pid in system.departments[system.department_set[target]])


class Requests:
    """The bodies and headers of a variant's requests: a different citizen or page each time."""

    def __init__(self, workload: str, variant: Variant, nins: Sequence[str]) -> None:
        query = operation(workload, variant.selection)
        if workload == "one":
            self.bodies = [orjson.dumps({"query": query, "variables": {"nin": n}}) for n in nins]
        else:
            ordered = sorted(nins)
            cursors = [
                base64.urlsafe_b64encode(ordered[i].encode()).decode()
                for i in range(0, len(ordered) - 50, 50)
            ]
            self.bodies = [
                orjson.dumps({"query": query, "variables": {"after": c}}) for c in cursors
            ]
        self.headers: list[dict[str, str]] = [JSON_HEADERS]
        if variant.client is not None:
            client, purpose = variant.client
            citizens = nins if variant.as_citizen else [None]
            self.headers = [
                {
                    **JSON_HEADERS,
                    "authorization": f"Bearer {_token(client, citizen)}",
                    "joinedup-purpose": purpose,
                }
                for citizen in citizens
            ]

    def __call__(self, i: int) -> tuple[bytes, Mapping[str, str]]:
        n = i % len(self.bodies)
        return self.bodies[n], self.headers[n % len(self.headers)]


def _token(client: str, citizen: str | None = None) -> str:
    return issue(client_id=client, citizen=citizen, ttl=24 * 3600)


def checker(workload: str, variant: Variant) -> Callable[[dict[str, Any]], str | None]:
    """What every response of the variant must be: all released, or refusals as expected."""

    def check(response: dict[str, Any]) -> str | None:
        data = response.get("data")
        if not isinstance(data, dict):
            return f"no data: {str(response.get('errors'))[:300]}"
        if variant.refusals:
            codes = {(e.get("extensions") or {}).get("code") for e in response.get("errors", ())}
            unexpected = codes - REFUSAL_CODES
            return f"unexpected errors {sorted(map(str, unexpected))}" if unexpected else None
        if response.get("errors"):
            return f"errors: {str(response['errors'])[:300]}"
        if workload == "one":
            return None if data.get("citizen") else "no citizen"
        page = data.get("citizens")
        if not page or len(page.get("citizens") or ()) != 50:
            return "not 50 citizens"
        return None

    return check


REFUSAL_CODES = {"CONSENT_REQUIRED", "CONSENT_WITHDRAWN", "CONSENT_REFUSED", "CONSENT_EXPIRED"}
REFUSAL_CODES |= {"OPTED_OUT"}


async def consented(data_dir: Path, nins: Sequence[str], purpose: str) -> list[str]:
    """The citizens whose current consent to `purpose` is given, read from the consent store."""
    store = await open_consent_store(f"sqlite:///{data_dir / 'consent.db'}", load_purposes())
    try:
        current = await store.read(list(nins))
    finally:
        await store.close()
    return [
        n
        for n, c in current.items()
        if not c.opted_out
        and (r := c.records.get(purpose)) is not None
        and r.state_at(datetime.now(UTC)) is ConsentState.GIVEN
    ]


@dataclass
class Result:
    workload: str
    variant: Variant
    slices: list[Slice]
    requests_per_operation: dict[str, float]
    departments_cpu_ms: list[float]  # per round: the departments' CPU per request
    ledger: Mapping[str, float]  # per request: entries and commits of the gateway's ledger


async def measure(
    system: System,
    workloads: Sequence[str],
    nins: Sequence[str],
    consenting: Sequence[str],
    *,
    names: Sequence[str],
    rounds: int,
    seconds: float,
    warmup: float,
    concurrency: int,
) -> list[Result]:
    results: list[Result] = []
    for workload in workloads:
        variants = chosen(variants_of(workload, system), names)
        if not variants:
            continue
        makers = {
            v.name: Requests(workload, v, consenting if v.citizens == "consented" else nins)
            for v in variants
        }
        checks = {v.name: checker(workload, v) for v in variants}
        for v in variants:
            await drive(
                system.urls[v.target],
                makers[v.name],
                concurrency=concurrency,
                seconds=warmup,
                pid=None,
                check=checks[v.name],
            )
        slices: dict[str, list[Slice]] = {v.name: [] for v in variants}
        asked: dict[str, dict[str, int]] = {v.name: {} for v in variants}
        departments: dict[str, list[float]] = {v.name: [] for v in variants}
        ledger: dict[str, Counter[str]] = {v.name: Counter() for v in variants}
        for r in range(rounds):
            order = list(variants[r % len(variants) :]) + list(variants[: r % len(variants)])
            for v in order:
                before = _counts(system, v.target)
                cpu_before = _departments_cpu(system, v.target)
                ledger_before = _ledger_counts(system, v.target)
                done = await drive(
                    system.urls[v.target],
                    makers[v.name],
                    concurrency=concurrency,
                    seconds=seconds,
                    pid=system.pids[v.target],
                    check=checks[v.name],
                )
                spent = _departments_cpu(system, v.target) - cpu_before
                after = _counts(system, v.target)
                ledger[v.name] += _ledger_counts(system, v.target) - ledger_before
                departments[v.name].append(spent * 1000 / done.requests if done.requests else 0)
                if done.failures:
                    raise SystemExit(f"{workload} / {v.name}: {done.first_error}")
                slices[v.name].append(done)
                for name in after:
                    asked[v.name][name] = asked[v.name].get(name, 0) + after[name] - before[name]
            print(f"{workload}: round {r + 1} of {rounds} done", file=sys.stderr, flush=True)
        for v in variants:
            operations = sum(s.requests for s in slices[v.name])
            per_op = {d: n / operations for d, n in asked[v.name].items()}
            written = {k: ledger[v.name][k] / operations for k in ("entries", "commits")}
            results.append(
                Result(workload, v, slices[v.name], per_op, departments[v.name], written)
            )
    return results


async def profile(
    system: System,
    workloads: Sequence[str],
    nins: Sequence[str],
    *,
    py_spy: str,
    out_dir: Path,
    seconds: float,
    concurrency: int,
) -> dict[str, Any]:
    """Hot spots of the gateway process under each workload's off and public-task variants."""
    out_dir.mkdir(parents=True, exist_ok=True)
    found: dict[str, Any] = {}
    for workload in workloads:
        for v in variants_of(workload, system):
            if v.name not in PROFILED:
                continue
            out = out_dir / f"{workload}-{v.target}.txt"
            with sampling(py_spy, system.pids[v.target], out):
                await drive(
                    system.urls[v.target],
                    Requests(workload, v, nins),
                    concurrency=concurrency,
                    seconds=seconds,
                    pid=None,
                    check=checker(workload, v),
                )
            found[f"{workload} / {v.name}"] = hot_spots(out)
    return found


def summarise(results: Sequence[Result]) -> list[dict[str, Any]]:
    rows = []
    by_name = {(r.workload, r.variant.name): r for r in results}
    for result in results:
        ratios: list[float] = []
        cpu_ratios: list[float] = []
        base = by_name.get((result.workload, baseline_of(result.variant) or ""))
        if base is not None:
            pairs = list(zip(result.slices, base.slices, strict=True))
            ratios = [s.rate / b.rate for s, b in pairs if b.rate]
            cpu_ratios = [s.cpu_ms / b.cpu_ms for s, b in pairs if b.cpu_ms]
        latencies = list(itertools.chain.from_iterable(s.latencies for s in result.slices))
        cpu = median([s.cpu_ms for s in result.slices])
        rows.append(
            {
                "workload": result.workload,
                "variant": result.variant.name,
                "req/s": median([s.rate for s in result.slices]),
                "p50 ms": quantile(latencies, 0.50) * 1000,
                "p99 ms": quantile(latencies, 0.99) * 1000,
                "gateway CPU ms/req": cpu if result.variant.target != "direct" else float("nan"),
                "identity CPU ms/req": cpu if result.variant.target == "direct" else float("nan"),
                "departments CPU ms/req": median(result.departments_cpu_ms),
                "throughput vs off": median(ratios) if ratios else float("nan"),
                "range over rounds": f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "",
                "CPU/req vs off": median(cpu_ratios) if cpu_ratios else float("nan"),
                "subgraph requests/op": " ".join(
                    f"{d[:3]}:{n:.2f}" for d, n in result.requests_per_operation.items() if n
                ),
                "rounds": len(result.slices),
                "per round": [
                    {
                        "req/s": s.rate,
                        "gateway CPU ms/req": s.cpu_ms,
                        "departments CPU ms/req": d,
                        "requests": s.requests,
                    }
                    for s, d in zip(result.slices, result.departments_cpu_ms, strict=True)
                ],
                "requests": sum(s.requests for s in result.slices),
            }
        )
    return rows


def against_before(results: Sequence[Result]) -> list[dict[str, Any]]:
    """Each variant run by both checkouts: this one's figures over the `--before` one's."""
    by_name = {(r.workload, r.variant.name): r for r in results}
    rows = []
    for result in results:
        before = by_name.get((result.workload, result.variant.name + BEFORE))
        if before is None:
            continue
        pairs = list(zip(result.slices, before.slices, strict=True))
        cpu = [s.cpu_ms / b.cpu_ms for s, b in pairs if b.cpu_ms]
        rate = [s.rate / b.rate for s, b in pairs if b.rate]
        rows.append(
            {
                "workload": result.workload,
                "variant": result.variant.name,
                "gateway CPU ms/req": median([s.cpu_ms for s in result.slices]),
                "before": median([b.cpu_ms for b in before.slices]),
                "CPU/req vs before": median(cpu) if cpu else float("nan"),
                "CPU range over rounds": f"{min(cpu):.2f}-{max(cpu):.2f}" if cpu else "",
                "throughput vs before": median(rate) if rate else float("nan"),
            }
        )
    return rows


def enforcement_costs(
    results: Sequence[Result], floors: Mapping[tuple[str, str], Floor] | None = None
) -> list[dict[str, Any]]:
    """What each `on` variant adds to its `off` baseline's CPU per request, gateway and
    departments, as medians of the differences within rounds.

    On two shared cores throughput follows the whole system's CPU per request, so
    `off/on system CPU` is the throughput ratio that CPU alone allows; milliseconds
    added move less with the machine's speed than a ratio of throughputs does.
    With `floors` (see `_mandated.py`), `mandated ms` is the work no implementation
    could skip, and `best off/on` the ratio if authorization added nothing else.
    """
    by_name = {(r.workload, r.variant.name): r for r in results}
    rows = []
    for result in results:
        base = by_name.get((result.workload, baseline_of(result.variant) or ""))
        if base is None or result.variant.target == "direct":
            continue
        rounds = list(
            zip(
                result.slices,
                result.departments_cpu_ms,
                base.slices,
                base.departments_cpu_ms,
                strict=True,
            )
        )
        on = [s.cpu_ms + d for s, d, _, _ in rounds]
        off = [b.cpu_ms + bd for _, _, b, bd in rounds]
        mandated = (floors or {}).get((result.workload, result.variant.name))
        rows.append(
            {
                "workload": result.workload,
                "variant": result.variant.name,
                "gateway +ms": median([s.cpu_ms - b.cpu_ms for s, _, b, _ in rounds]),
                "departments +ms": median([d - bd for _, d, _, bd in rounds]),
                "system CPU ms/req": median(on),
                "off": median(off),
                "off/on system CPU": median([f / n for f, n in zip(off, on, strict=True) if n]),
                "mandated ms": mandated.total_ms if mandated else float("nan"),
                "best off/on": (
                    median(off) / (median(off) + mandated.total_ms) if mandated else float("nan")
                ),
                "mandated, µs per request": dataclasses.asdict(mandated) if mandated else None,
            }
        )
    return rows


async def mandated_floors(
    results: Sequence[Result], data_dir: Path, nins: Sequence[str], consenting: Sequence[str]
) -> dict[tuple[str, str], Floor]:
    """The floor of each `on` variant that wrote a ledger, shaped like its requests: as
    many grants as subgraph requests, its citizens' consent, its ledger grouping."""
    floors = {}
    for result in results:
        variant = result.variant
        if variant.client is None or not result.ledger.get("commits"):
            continue
        citizens = consenting if variant.citizens == "consented" else nins
        floors[(result.workload, variant.name)] = await floor(
            data_dir,
            grants_per_request=sum(result.requests_per_operation.values()),
            nins=citizens[: 1 if result.workload == "one" else 50],
            purpose=variant.client[1],
            entries_per_request=result.ledger["entries"],
            commits_per_request=result.ledger["commits"],
        )
    return floors


ENFORCEMENT_COLUMNS = (
    ("workload", ""),
    ("variant", ""),
    ("gateway +ms", ".2f"),
    ("departments +ms", ".2f"),
    ("system CPU ms/req", ".2f"),
    ("off", ".2f"),
    ("off/on system CPU", ".3f"),
    ("mandated ms", ".2f"),
    ("best off/on", ".3f"),
)


BEFORE_COLUMNS = (
    ("workload", ""),
    ("variant", ""),
    ("gateway CPU ms/req", ".2f"),
    ("before", ".2f"),
    ("CPU/req vs before", ".2f"),
    ("CPU range over rounds", ""),
    ("throughput vs before", ".3f"),
)


COLUMNS = (
    ("workload", ""),
    ("variant", ""),
    ("req/s", ",.0f"),
    ("p50 ms", ".1f"),
    ("p99 ms", ".1f"),
    ("gateway CPU ms/req", ".2f"),
    ("identity CPU ms/req", ".2f"),
    ("departments CPU ms/req", ".2f"),
    ("throughput vs off", ".3f"),
    ("range over rounds", ""),
    ("CPU/req vs off", ".2f"),
    ("subgraph requests/op", ""),
)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="per variant per round")
    parser.add_argument("--warmup", type=float, default=1.0, help="per variant, before round 1")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workloads", default="one,fifty")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME",
        help="only the variants whose name holds NAME (repeatable), and their `off` "
        'baselines, such as --variant "public task (UC)"',
    )
    parser.add_argument("--base-port", type=int, default=4300)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after measuring, sample the gateway with py-spy under the off and public-task "
        "variants and write collapsed stacks here",
    )
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="also run a gateway with authorization off on uvloop (uvloop must be importable)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="CHECKOUT",
        help="also run another checkout of the project (such as `git worktree add /tmp/before "
        "<commit>`): its own departments and its off and on gateways, as variants marked "
        "[before]",
    )
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="the py-spy executable")
    args = parser.parse_args(argv)
    if args.profile is not None and not args.py_spy:
        parser.error("--profile needs py-spy (pip install py-spy, or pass --py-spy PATH)")
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in workloads if w not in VARIANTS]
    if unknown or not workloads:
        parser.error(f"--workloads: choose from {', '.join(VARIANTS)}")
    if args.citizens < 101:
        parser.error("--citizens must be at least 101 (two pages of fifty)")
    load_before = machine_load()
    with tempfile.TemporaryDirectory() as tmp, processes() as started:
        data_dir = Path(tmp)
        print(f"seeding {args.citizens} citizens …", file=sys.stderr, flush=True)
        population = list(people(args.citizens, SEED))
        seed_all(data_dir, args.citizens, SEED, DEPARTMENTS, progress=None)
        seed_consents(data_dir / "consent.db", population, SEED, load_purposes())
        system = start_system(
            started, data_dir, args.base_port, uvloop=args.uvloop, before=args.before
        )
        consenting = asyncio.run(consented(data_dir, [p.nin for p in population], CONSENT[1]))
        if not consenting:
            parser.error("no seeded citizen gave consent to Blue Badge checks: seed more")
        print("measuring …", file=sys.stderr, flush=True)
        began = time.perf_counter()
        results = asyncio.run(
            measure(
                system,
                workloads,
                [p.nin for p in population],
                consenting,
                names=args.variant,
                rounds=args.rounds,
                seconds=args.seconds,
                warmup=args.warmup,
                concurrency=args.concurrency,
            )
        )
        caches = {
            target: get_json(url.replace("/graphql", "/_bench/stats"))
            for target, url in system.urls.items()
            if target != "direct"
        }
        took = time.perf_counter() - began
        print("measuring the mandated floor …", file=sys.stderr, flush=True)
        floors = asyncio.run(
            mandated_floors(results, data_dir, [p.nin for p in population], consenting)
        )
        profiles = {}
        if args.profile is not None:
            print("profiling …", file=sys.stderr, flush=True)
            profiles = asyncio.run(
                profile(
                    system,
                    workloads,
                    [p.nin for p in population],
                    py_spy=args.py_spy,
                    out_dir=args.profile,
                    seconds=args.profile_seconds,
                    concurrency=args.concurrency,
                )
            )
    rows = summarise(results)
    load_after = machine_load()
    print(table(COLUMNS, rows))
    costs = enforcement_costs(results, floors)
    if costs:
        print("\nwhat authorization adds per request, over the `off` variant of the same selection")
        print(table(ENFORCEMENT_COLUMNS, costs))
    compared = against_before(results)
    if compared:
        print()
        print(table(BEFORE_COLUMNS, compared))
    print()
    print(
        table(
            (
                ("gateway", ""),
                ("plan_cache_hits", ","),
                ("plan_cache_misses", ","),
                ("document_cache_hits", ","),
                ("document_cache_misses", ","),
            ),
            [{"gateway": t, **c} for t, c in caches.items()],
        )
    )
    for name, spots in profiles.items():
        for kind, spot_rows in spots.items():
            if spot_rows:
                print(f"\nhot spots, {name}: {kind}, share of gateway samples holding the GIL")
                print(table(((next(iter(spot_rows[0])), ""), ("share %", ".1f")), spot_rows))
    print(f"\n{len(results)} variants, {args.rounds} rounds of {args.seconds}s, {took:.0f}s")
    print(f"load before: {load_before}\nload after:  {load_after}")
    write_json(
        args.json,
        {
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "rows": rows,
            "enforcement": costs,
            "against_before": compared,
            "plan_caches": caches,
            "profiles": profiles,
            "load_before": load_before,
            "load_after": load_after,
        },
    )


if __name__ == "__main__":
    main()
