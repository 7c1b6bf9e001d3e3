"""Consent store at national scale: batched reads and changes/s, PostgreSQL beside SQLite.

Both stores hold the same seeded consents (`subgraphs.consent.seed`, seed 1)
for `--citizens` people (default 1,000,000):

- PostgreSQL: schema `consent_bench` of database `test`, loaded with COPY by
  `subgraphs.consent.bulk_postgres` (keys built after the load, then VACUUM (ANALYZE)).
  The schema's comment records the population it holds; a later run with the
  same population reuses it (`--fresh` rebuilds it).
- SQLite: a file written by `seed_consents`, kept beside a note of its
  population and reused the same way.

A schema or file this benchmark did not make is never dropped or replaced:
the run stops before touching either store.

Measured, interleaved in rounds so both engines see the same machine load:

1. `ConsentStore.read` of 50 random citizens of the population in one query,
   warm (connections open, after warm-up reads): latency p50/p99, one reader.
2. Consent changes per second, each writer alternating give and withdraw of
   one purpose, with 1, 8 and 32 concurrent writers on different citizens,
   and on one citizen (all writers queue on that citizen's row or on
   SQLite's single writer). Writers use citizens outside the seeded
   population, whose rows are deleted afterwards, so the population stays as
   seeded. The stores run as the gateway opens them (PostgreSQL: a pool of at
   most 10 connections).

    .venv/bin/python benchmarks/consent.py [--citizens 1000000] [--fresh]
        [--reads 300] [--seconds 3] [--rounds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from _harness import machine_load, quantile, table, write_json

from subgraphs.consent.bulk_postgres import bulk_load
from subgraphs.consent.records import Purposes, load_purposes
from subgraphs.consent.seed import seed_consents
from subgraphs.consent.store import ConsentStore, open_consent_store
from subgraphs.people import people, person

SEED = 1
BATCH = 50
WRITERS = (1, 8, 32)
PURPOSE = "gp-home-readings"
ACTOR = "consent-benchmark"
WARMUP_READS = 50
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
ENGINES = ("postgresql", "sqlite")
MARK = {"benchmark": "consent"}
"""In the schema comment and the SQLite note: what this benchmark made and may replace."""

READ_COLUMNS = (
    ("engine", ""),
    ("citizens", ","),
    ("reads", ","),
    ("p50 ms", ".2f"),
    ("p99 ms", ".2f"),
    ("mean ms", ".2f"),
    ("reads/s", ",.0f"),
    ("with records", ".1f"),
)
WRITE_COLUMNS = (
    ("writers", ""),
    ("on", ""),
    ("postgresql changes/s", ",.0f"),
    ("sqlite changes/s", ",.0f"),
    ("postgresql p50 ms", ".2f"),
    ("postgresql p99 ms", ".2f"),
    ("sqlite p50 ms", ".2f"),
    ("sqlite p99 ms", ".2f"),
)


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _progress(what: str) -> Any:
    began = time.perf_counter()

    def report(done: int) -> None:
        if done % 100_000 == 0:
            _note(f"  {what}: {done:,} people in {time.perf_counter() - began:,.0f} s")

    return report


# -- the populations ----------------------------------------------------------------------------


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


async def _schema_facts(admin: asyncpg.Connection, schema: str) -> dict[str, Any] | None:
    """What `schema`'s comment says it holds; None when there is no such schema."""
    row = await admin.fetchrow(
        "SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace"
        " WHERE nspname = $1",
        schema,
    )
    return None if row is None else _facts(row["comment"] or "")


def _facts(text: str | bytes) -> dict[str, Any]:
    try:
        facts = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return facts if isinstance(facts, dict) else {}


def _holds(facts: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    return facts is not None and all(facts.get(k) == v for k, v in wanted.items())


async def check_postgres(url: str, schema: str) -> None:
    """Refuse a schema this benchmark did not make: it is never dropped."""
    admin = await asyncpg.connect(url)
    try:
        held = await _schema_facts(admin, schema)
    finally:
        await admin.close()
    if held is not None and not _holds(held, MARK):
        raise SystemExit(f"schema {schema} was not made by this benchmark: choose another")


def _sqlite_note(path: Path) -> Path:
    return path.with_name(path.name + ".population.json")


def check_sqlite(path: Path) -> None:
    """Refuse a file this benchmark did not make (no note of ours beside it): never replaced."""
    note = _sqlite_note(path)
    if path.exists() and not (note.exists() and _holds(_facts(note.read_bytes()), MARK)):
        raise SystemExit(f"{path} was not made by this benchmark: choose another --sqlite")


async def prepare_postgres(
    url: str, schema: str, citizens: int, fresh: bool, purposes: Purposes
) -> dict[str, Any]:
    """Reuse `schema` when its comment says it holds this population, else load it afresh."""
    wanted = {**MARK, "citizens": citizens, "seed": SEED}
    admin = await asyncpg.connect(url)
    try:
        held = await _schema_facts(admin, schema)
        if not fresh and _holds(held, wanted):
            return {**(held or {}), "reused": True}
        _note(f"loading {citizens:,} citizens into PostgreSQL schema {schema} with COPY …")
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.execute(f"CREATE SCHEMA {schema}")
        await admin.execute(f"COMMENT ON SCHEMA {schema} IS '{orjson.dumps(MARK).decode()}'")
        began = time.perf_counter()
        connection = await asyncpg.connect(_with_schema(url, schema))
        try:
            loaded = await bulk_load(
                connection,
                people(citizens, SEED),
                SEED,
                purposes,
                progress=_progress("postgresql"),
            )
        finally:
            await connection.close()
        facts = {
            **wanted,
            "citizens_with_consent": loaded.citizens,
            "records": loaded.records,
            "events": loaded.events,
            "load_seconds": round(time.perf_counter() - began, 1),
        }
        # Written last: a load that stopped half way is never taken for a finished one.
        await admin.execute(f"COMMENT ON SCHEMA {schema} IS '{orjson.dumps(facts).decode()}'")
        return {**facts, "reused": False}
    finally:
        await admin.close()


def prepare_sqlite(path: Path, citizens: int, fresh: bool, purposes: Purposes) -> dict[str, Any]:
    """Reuse the file at `path` when its note says it holds this population, else seed it."""
    wanted = {**MARK, "citizens": citizens, "seed": SEED}
    note = _sqlite_note(path)
    held = _facts(note.read_bytes()) if note.exists() else None
    if not fresh and path.exists() and _holds(held, wanted):
        return {**(held or {}), "reused": True}
    _note(f"seeding {citizens:,} citizens into SQLite {path} …")
    note.write_bytes(orjson.dumps(MARK))
    began = time.perf_counter()
    seed_consents(path, people(citizens, SEED), SEED, purposes)
    facts = {**wanted, "load_seconds": round(time.perf_counter() - began, 1)}
    note.write_bytes(orjson.dumps(facts))
    return {**facts, "reused": False}


# -- reads --------------------------------------------------------------------------------------


def read_batches(citizens: int, count: int) -> list[list[str]]:
    """`count` sets of `BATCH` distinct citizens drawn at random from the whole population."""
    rng = random.Random(2026)
    return [[person(i, SEED).nin for i in rng.sample(range(citizens), BATCH)] for _ in range(count)]


async def timed_reads(store: ConsentStore, batches: Sequence[list[str]]) -> tuple[list[float], int]:
    """Latency of each read, and how many citizens read had a consent record."""
    latencies = []
    with_records = 0
    for nins in batches:
        began = time.perf_counter()
        found = await store.read(nins)
        latencies.append(time.perf_counter() - began)
        with_records += sum(1 for consent in found.values() if consent.records)
    return latencies, with_records


# -- changes ------------------------------------------------------------------------------------


def writer_nins(citizens: int) -> list[str]:
    """Citizens just past the seeded population: one per writer, the first also the shared one."""
    return [p.nin for p in people(citizens + max(WRITERS), SEED, citizens)]


async def changes(
    store: ConsentStore, nins: Sequence[str], seconds: float, made: dict[str, int]
) -> tuple[int, float, list[float]]:
    """Writers (one per entry of `nins`) alternating give and withdraw until time is up."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def writer(nin: str) -> None:
        giving = True
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            if giving:
                await store.give(nin, PURPOSE, collection_method="benchmark", actor=ACTOR)
            else:
                await store.withdraw(nin, PURPOSE, actor=ACTOR)
            latencies.append(time.perf_counter() - began)
            made[nin] = made.get(nin, 0) + 1
            giving = not giving

    began = time.perf_counter()
    await asyncio.gather(*(writer(nin) for nin in nins))
    return len(latencies), time.perf_counter() - began, latencies


async def forget_postgres(url: str, nins: Sequence[str]) -> None:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            for table_name in ("consent_event", "consent_record", "citizen_consent"):
                await connection.execute(
                    f"DELETE FROM {table_name} WHERE nin = ANY($1::text[])", list(nins)
                )
    finally:
        await connection.close()


def forget_sqlite(path: Path, nins: Sequence[str]) -> None:
    connection = sqlite3.connect(path, timeout=30)
    try:
        with connection:
            marks = ", ".join("?" * len(nins))
            for table_name in ("consent_event", "consent_record", "citizen_consent"):
                connection.execute(f"DELETE FROM {table_name} WHERE nin IN ({marks})", list(nins))
    finally:
        connection.close()


# -- the run ------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, purposes: Purposes) -> dict[str, Any]:
    pg_url = _with_schema(args.url, args.schema)
    await check_postgres(args.url, args.schema)  # both before either is touched
    check_sqlite(args.sqlite)
    population = {
        "postgresql": await prepare_postgres(
            args.url, args.schema, args.citizens, args.fresh, purposes
        ),
        "sqlite": prepare_sqlite(args.sqlite, args.citizens, args.fresh, purposes),
    }
    writers = writer_nins(args.citizens)
    await forget_postgres(pg_url, writers)  # left over by a run that was stopped
    forget_sqlite(args.sqlite, writers)
    stores: dict[str, ConsentStore] = {
        "postgresql": await open_consent_store(pg_url, purposes),
        "sqlite": await open_consent_store(f"sqlite:///{args.sqlite}", purposes),
    }
    try:
        _note("reading …")
        batches = read_batches(args.citizens, WARMUP_READS + args.reads * args.rounds)
        warmup, measured = batches[:WARMUP_READS], batches[WARMUP_READS:]
        agree = 0
        for nins in warmup:
            answers = [await stores[engine].read(nins) for engine in ENGINES]
            if answers[0] != answers[1]:
                raise SystemExit(f"PostgreSQL and SQLite disagree on {nins}")
            agree += 1
        read_latencies: dict[str, list[float]] = {engine: [] for engine in ENGINES}
        with_records = dict.fromkeys(ENGINES, 0)
        for round_ in range(args.rounds):
            chunk = measured[round_ * args.reads : (round_ + 1) * args.reads]
            for engine in ENGINES if round_ % 2 == 0 else ENGINES[::-1]:
                latencies, found = await timed_reads(stores[engine], chunk)
                read_latencies[engine].extend(latencies)
                with_records[engine] += found
        reads = [
            {
                "engine": engine,
                "citizens": args.citizens,
                "reads": len(read_latencies[engine]),
                "p50 ms": quantile(read_latencies[engine], 0.5) * 1000,
                "p99 ms": quantile(read_latencies[engine], 0.99) * 1000,
                "mean ms": statistics.fmean(read_latencies[engine]) * 1000,
                "reads/s": len(read_latencies[engine]) / sum(read_latencies[engine]),
                "with records": with_records[engine] / len(read_latencies[engine]),
            }
            for engine in ENGINES
        ]
        load_after_reads = machine_load()

        _note("changing …")
        variants = [(n, "different citizens") for n in WRITERS] + [
            (n, "one citizen") for n in WRITERS
        ]
        rates: dict[tuple[int, str, str], list[float]] = {}
        change_latencies: dict[tuple[int, str, str], list[float]] = {}
        made: dict[str, dict[str, int]] = {engine: {} for engine in ENGINES}
        for round_ in range(args.rounds):
            for count, target in variants:
                nins = writers[:count] if target == "different citizens" else [writers[0]] * count
                for engine in ENGINES if round_ % 2 == 0 else ENGINES[::-1]:
                    done, elapsed, latencies = await changes(
                        stores[engine], nins, args.seconds, made[engine]
                    )
                    key = (count, target, engine)
                    rates.setdefault(key, []).append(done / elapsed)
                    change_latencies.setdefault(key, []).extend(latencies)
        writes = []
        for count, target in variants:
            row: dict[str, Any] = {"writers": count, "on": target}
            for engine in ENGINES:
                key = (count, target, engine)
                row[f"{engine} changes/s"] = statistics.median(rates[key])
                row[f"{engine} p50 ms"] = quantile(change_latencies[key], 0.5) * 1000
                row[f"{engine} p99 ms"] = quantile(change_latencies[key], 0.99) * 1000
            writes.append(row)

        # Every change counted must be there, and every chain must still verify.
        checked = 0
        for engine in ENGINES:
            current = await stores[engine].read(list(made[engine]))
            for nin, count in made[engine].items():
                if current[nin].version != count:
                    raise SystemExit(
                        f"{engine}: {nin} has version {current[nin].version}, "
                        f"{count} changes were made"
                    )
                if await stores[engine].verify_history(nin) is not None:
                    raise SystemExit(f"{engine}: the history of {nin} does not verify")
                checked += 1
    finally:
        for store in stores.values():
            await store.close()
        await forget_postgres(pg_url, writers)
        forget_sqlite(args.sqlite, writers)
    return {
        "population": population,
        "reads": reads,
        "writes": writes,
        "reads_agreeing": agree,
        "writer_citizens_verified": checked,
        "load_after_reads": load_after_reads,
    }


def _describe(engine: str, facts: dict[str, Any]) -> str:
    how = "reused" if facts["reused"] else f"loaded in {facts['load_seconds']:,.0f} s"
    extra = ""
    if "records" in facts:
        extra = (
            f" ({facts['citizens_with_consent']:,} with consent, {facts['records']:,} records,"
            f" {facts['events']:,} events)"
        )
    return f"{engine}: {facts['citizens']:,} citizens, seed {facts['seed']}, {how}{extra}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL database")
    parser.add_argument("--schema", default="consent_bench")
    parser.add_argument(
        "--sqlite",
        type=Path,
        help="SQLite file (default: consent-<citizens>.db in a joinedup-consent-bench"
        " directory under the system's temporary directory)",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild both stores")
    parser.add_argument("--reads", type=int, default=300, help="reads per engine per round")
    parser.add_argument("--seconds", type=float, default=3.0, help="per change variant per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.citizens < BATCH:
        parser.error(f"--citizens must be at least {BATCH}")
    if not args.schema.isidentifier() or not args.schema.islower():
        parser.error("--schema must be a lower-case identifier")
    if args.reads < 1 or args.rounds < 1 or args.seconds <= 0:
        parser.error("--reads and --rounds must be at least 1, --seconds above 0")
    if args.sqlite is None:
        directory = Path(tempfile.gettempdir()) / "joinedup-consent-bench"
        directory.mkdir(exist_ok=True)
        args.sqlite = directory / f"consent-{args.citizens}.db"
    load_before = machine_load()
    report = asyncio.run(run(args, load_purposes()))
    load_after = machine_load()
    for engine in ENGINES:
        print(_describe(engine, report["population"][engine]))
    print(
        f"\nread of {BATCH} random citizens in one query, warm, one reader"
        f" ({report['reads_agreeing']} warm-up reads agreed on both engines)\n"
    )
    print(table(READ_COLUMNS, report["reads"]))
    print(
        f"\nconsent changes (give/withdraw alternating, {PURPOSE}); changes/s is the median"
        f" of {args.rounds} rounds of {args.seconds:g} s; versions and chains of"
        f" {report['writer_citizens_verified']} writer citizens verified\n"
    )
    print(table(WRITE_COLUMNS, report["writes"]))
    print(
        f"\nload before:       {load_before}\nload after reads:  {report['load_after_reads']}"
        f"\nload after:        {load_after}"
    )
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
