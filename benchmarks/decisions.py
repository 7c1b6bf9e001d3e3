"""Policy decisions for one fetch step of 50 citizens x about 40 fields, per engine.

The fields are those of the entity step of the gateway's own plan for fifty
citizens' six-department view (39 coordinates read from the step's fetches,
categories from the composed supergraph's `@dataCategory`); the subjects are 50
seeded citizens at a time (a different 50 each step), with their current consent
read from the seeded consent store and shaped into policy profiles as the
gateway does. Engines:

- the embedded Regorus engine (`federation.policy.EmbeddedPolicy`);
- the OPA REST engine (`federation.policy.OpaPolicy`) against the server in
  `tests/opa_server.py`, run as its own process. It speaks OPA's REST Data API
  over real HTTP but evaluates with Regorus in Python: it is the only
  OPA-compatible server available here, not OPA itself.

Each is measured through `federation.decide.decide_step` with the decision cache
off and on, and as the raw engine call with the step's full input (every
distinct field class and consent profile). Variants run interleaved in rounds;
figures are medians over rounds.

    .venv/bin/python benchmarks/decisions.py [--citizens 2000] [--rounds 5]
        [--seconds 2] [--purposes blue-badge-eligibility,universal-credit-assessment]
        [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from _harness import (
    harness_args,
    machine_load,
    median,
    processes,
    quantile,
    spawn,
    table,
    wait_for,
    write_json,
)
from graphql import parse

from federation.auth import Caller
from federation.compose import SubgraphSource, compose
from federation.decide import DecisionCache, FieldInfo, decide_step
from federation.enforce import field_catalog
from federation.fetch_fields import SUBJECT_TYPE, read_fetch
from federation.plan import Fetch, build_plan
from federation.policy import EmbeddedPolicy, OpaPolicy, PolicyEngine
from federation.registry import POLICY_DIR, load_clients
from federation.supergraph import Supergraph, parse_supergraph
from subgraphs.consent.records import load_purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.consent.store import open_consent_store
from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS

SEED = 1
STEP = 50
FIELDS = """
    nin givenName familyName dateOfBirth email phone nhsNumber
    address { line1 town postcode }
    taxCode selfAssessment { status utr returnTaxYear }
    universalCreditClaims { status claimedOn monthlyAward }
    statePension { status weeklyAmount }
    gpPractice { name town } bloodPressureReadings(last: 3) { systolic diastolic takenAt }
    drivingLicence { number status entitlements { category } }
    localAuthority councilTax { band status annualCharge }
"""
QUERY = f"query Fifty {{ citizens(first: 50) {{ citizens {{ {FIELDS} }} }} }}"
CLIENTS = {
    "blue-badge-eligibility": "blue-badge-service",
    "universal-credit-assessment": "universal-credit-service",
    "gp-home-readings": "gp-dashboard",
    "council-tax-reduction": "council-tax-service",
    "fraud-prevention": "counter-fraud",
}


def _fetches(node: Any) -> Iterator[Fetch]:
    if isinstance(node, Fetch):
        yield node
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            for item in value if isinstance(value, tuple) else (value,):
                yield from _fetches(item)


def step_fields(supergraph: Supergraph) -> list[FieldInfo]:
    """The fields of the plan's entity step (all six departments), as `Guard` builds them."""
    plan = build_plan(supergraph, parse(QUERY), None, subjects=frozenset({SUBJECT_TYPE}))
    catalog = field_catalog(supergraph)
    fields = []
    for fetch in _fetches(plan.node):
        read = read_fetch(supergraph, fetch.operation, "Query")
        if not read.entity:
            continue  # the root page of citizens: a step of its own
        for coordinate in sorted(read.coordinates):
            category, sensitivity = catalog.get(coordinate, (None, None))
            fields.append(
                FieldInfo(f"{fetch.service}|{coordinate}", fetch.service, category, sensitivity)
            )
    return fields


async def profile_batches(
    consent_db: Path, nins: Sequence[str], purpose: str, now: datetime
) -> list[dict[str, dict[str, Any]]]:
    """Every seeded citizen's policy profile for `purpose`, in batches of one step."""
    store = await open_consent_store(f"sqlite:///{consent_db}", load_purposes())
    try:
        batches = []
        for start in range(0, len(nins) - STEP + 1, STEP):
            current = await store.read(list(nins[start : start + STEP]))
            batches.append(
                {n: {**c.profile(purpose, now), "self": False} for n, c in current.items()}
            )
        return batches
    finally:
        await store.close()


def raw_input(
    caller: Caller, fields: Sequence[FieldInfo], profiles: Mapping[str, Any], now: str
) -> dict[str, Any]:
    """The engine input `decide_step` sends on a cache miss: each class and profile once."""
    classes = {f.key: f for f in fields if f.category and f.sensitivity}
    distinct = {_profile_key(p): p for p in profiles.values()}
    return {
        "client": {"id": caller.client_id, "organisation": caller.organisation},
        "purpose": caller.purpose,
        "now": now,
        "fields": [
            {
                "key": f.key,
                "department": f.department,
                "category": f.category,
                "sensitivity": f.sensitivity,
            }
            for f in classes.values()
        ],
        "subjects": {f"p{i}": p for i, p in enumerate(distinct.values())},
    }


def _profile_key(profile: Mapping[str, Any]) -> bytes:
    return orjson.dumps(profile, option=orjson.OPT_SORT_KEYS)


@dataclass
class Sample:
    steps: int = 0
    seconds: float = 0.0
    evaluated: int = 0
    latencies: list[float] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Variant:
    engine: str
    mode: str  # "raw", "step, cache off" or "step, cache on"
    purpose: str


async def run_slice(call: Callable[[int], Awaitable[int]], seconds: float, offset: int) -> Sample:
    sample = Sample()
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        sample.evaluated += await call(offset + sample.steps)
        sample.latencies.append(time.perf_counter() - started)
        sample.steps += 1
    sample.seconds = time.perf_counter() - began
    return sample


async def measure(
    engines: Mapping[str, PolicyEngine],
    fields: Sequence[FieldInfo],
    batches: Mapping[str, list[dict[str, dict[str, Any]]]],
    *,
    rounds: int,
    seconds: float,
) -> dict[Variant, list[Sample]]:
    clients = load_clients(POLICY_DIR)
    now = datetime.now(UTC)
    moment = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    calls: dict[Variant, Callable[[int], Awaitable[int]]] = {}
    for purpose, purpose_batches in batches.items():
        client = CLIENTS[purpose]
        caller = Caller(client, clients[client]["organisation"], purpose)
        inputs = [raw_input(caller, fields, b, moment) for b in purpose_batches]
        for name, engine in engines.items():
            cache = DecisionCache()

            def raw(i: int, engine: PolicyEngine = engine, inputs: Any = inputs) -> Awaitable[int]:
                return _raw(engine, inputs[i % len(inputs)])

            def step(
                i: int,
                engine: PolicyEngine = engine,
                caller: Caller = caller,
                profiles: Any = purpose_batches,
                cache: DecisionCache | None = None,
            ) -> Awaitable[int]:
                return _step(engine, caller, fields, profiles[i % len(profiles)], cache, now)

            def cached(i: int, step: Any = step, cache: DecisionCache = cache) -> Awaitable[int]:
                return step(i, cache=cache)  # type: ignore[no-any-return]

            calls[Variant(name, "raw engine call", purpose)] = raw
            calls[Variant(name, "step, cache off", purpose)] = step
            calls[Variant(name, "step, cache on", purpose)] = cached
    variants = list(calls)
    for v in variants:  # warm up: compile, connect, fill the cache once
        await run_slice(calls[v], min(seconds, 0.5), 0)
    samples: dict[Variant, list[Sample]] = {v: [] for v in variants}
    for r in range(rounds):
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        for v in order:
            samples[v].append(await run_slice(calls[v], seconds, r * 7919))
        print(f"round {r + 1} of {rounds} done", file=sys.stderr, flush=True)
    return samples


async def _raw(engine: PolicyEngine, policy_input: dict[str, Any]) -> int:
    decision = await engine.decide(policy_input)
    return len(decision.result["fields"]) + len(decision.result["subjects"])


async def _step(
    engine: PolicyEngine,
    caller: Caller,
    fields: Sequence[FieldInfo],
    profiles: Mapping[str, Mapping[str, Any]],
    cache: DecisionCache | None,
    now: datetime,
) -> int:
    decision = await decide_step(engine, caller, fields, profiles, cache, now)
    if not decision.revision:
        raise SystemExit("the policy engine refused the whole step (POLICY_UNAVAILABLE)")
    return decision.evaluated


def summarise(samples: Mapping[Variant, list[Sample]], pairs: int) -> list[dict[str, Any]]:
    rows = []
    for v, runs in samples.items():
        rates = [s.steps / s.seconds for s in runs if s.seconds]
        latencies = [x for s in runs for x in s.latencies]
        steps = sum(s.steps for s in runs)
        rows.append(
            {
                "purpose": v.purpose,
                "engine": v.engine,
                "mode": v.mode,
                "steps/s": median(rates),
                "decisions/s": median(rates) * pairs,
                "mean ms": 1000 * sum(latencies) / len(latencies) if latencies else float("nan"),
                "p50 ms": quantile(latencies, 0.5) * 1000,
                "p99 ms": quantile(latencies, 0.99) * 1000,
                "evaluations/step": sum(s.evaluated for s in runs) / steps if steps else 0.0,
                "steps": steps,
            }
        )
    return rows


COLUMNS = (
    ("purpose", ""),
    ("engine", ""),
    ("mode", ""),
    ("steps/s", ",.0f"),
    ("decisions/s", ",.0f"),
    ("mean ms", ".3f"),
    ("p50 ms", ".3f"),
    ("p99 ms", ".3f"),
    ("evaluations/step", ".1f"),
)


async def _run(args: argparse.Namespace, data_dir: Path, opa_url: str) -> dict[str, Any]:
    supergraph = parse_supergraph(
        compose(
            [
                SubgraphSource(d.name, f"http://127.0.0.1:{d.port}/graphql", d.schema.as_str())
                for d in DEPARTMENTS
            ]
        )
    )
    fields = step_fields(supergraph)
    nins = [p.nin for p in people(args.citizens, SEED)]
    now = datetime.now(UTC)
    batches = {
        p: await profile_batches(data_dir / "consent.db", nins, p, now) for p in args.purposes
    }
    engines: dict[str, PolicyEngine] = {
        "embedded (Regorus)": EmbeddedPolicy(POLICY_DIR),
        "OPA REST (tests/opa_server.py)": OpaPolicy(opa_url, timeout=5.0),
    }
    for engine in engines.values():
        await engine.start()
    try:
        samples = await measure(engines, fields, batches, rounds=args.rounds, seconds=args.seconds)
    finally:
        for engine in engines.values():
            await engine.close()
    profiles = [
        len({str(sorted(p.items())) for p in b.values()}) for bs in batches.values() for b in bs
    ]
    return {
        "fields": len(fields),
        "field_classes": len({f.key for f in fields if f.category}),
        "subjects": STEP,
        "distinct_profiles_per_step": sum(profiles) / len(profiles),
        "rows": summarise(samples, STEP * len(fields)),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="per variant per round")
    parser.add_argument(
        "--purposes",
        type=lambda text: [p.strip() for p in text.split(",") if p.strip()],
        default=["blue-badge-eligibility", "universal-credit-assessment"],
    )
    parser.add_argument("--opa-port", type=int, default=4390)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    unknown = [p for p in args.purposes if p not in CLIENTS]
    if unknown or not args.purposes:
        parser.error(f"--purposes: choose from {', '.join(CLIENTS)}")
    if args.citizens < STEP:
        parser.error(f"--citizens must be at least {STEP}")
    load_before = machine_load()
    with tempfile.TemporaryDirectory() as tmp, processes() as started:
        data_dir = Path(tmp)
        print(f"seeding consent for {args.citizens} citizens …", file=sys.stderr, flush=True)
        seed_consents(data_dir / "consent.db", people(args.citizens, SEED), SEED, load_purposes())
        started.append(
            spawn(harness_args("opa", "--port", str(args.opa_port)), data_dir / "opa.log")
        )
        opa_url = f"http://127.0.0.1:{args.opa_port}"
        wait_for(opa_url + "/health")
        report = asyncio.run(_run(args, data_dir, opa_url))
    load_after = machine_load()
    print(
        f"one step: {report['subjects']} citizens x {report['fields']} fields "
        f"({report['field_classes']} field classes, on average "
        f"{report['distinct_profiles_per_step']:.1f} distinct consent profiles)\n"
    )
    print(table(COLUMNS, report["rows"]))
    print(f"\nload before: {load_before}\nload after:  {load_after}")
    write_json(
        args.json,
        {
            **report,
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "load_before": load_before,
            "load_after": load_after,
        },
    )


if __name__ == "__main__":
    main()
