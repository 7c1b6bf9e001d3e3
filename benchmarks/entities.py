"""`_entities` throughput per department subgraph for batches of 1, 10 and 100 citizens.

Each subgraph runs as its own uvicorn process (as in the demo); the load comes
from this process over loopback. The query selects every field the department
adds to `Citizen` (lists included), so the figure covers the store and the
resolvers, not just the HTTP round trip.

    .venv/bin/python benchmarks/entities.py [--citizens 10000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema

from subgraphs.people import people
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all

BATCHES = (1, 10, 100)
CONCURRENCY = 4


def _unwrap(type_: object) -> object:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def selection(schema: GraphQLSchema, type_name: str, depth: int = 0) -> str:
    """Every field of a type that needs no argument, without going back into Citizen."""
    type_ = schema.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    parts = []
    for name, field in type_.fields.items():
        if any(
            isinstance(a.type, GraphQLNonNull) and a.default_value is None
            for a in field.args.values()
        ):
            continue
        inner = _unwrap(field.type)
        if isinstance(inner, GraphQLObjectType):
            if inner.name == "Citizen" or depth > 2:
                continue
            parts.append(f"{name} {{ {selection(schema, inner.name, depth + 1)} }}")
        else:
            parts.append(name)
    return " ".join(parts)


async def _run(url: str, query: str, nins: list[str], batch: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(offset: int) -> None:
            i = offset * 997
            while time.perf_counter() < deadline:
                keys = [nins[(i + k) % len(nins)] for k in range(batch)]
                i += batch
                body = orjson.dumps(
                    {
                        "query": query,
                        "variables": {"r": [{"__typename": "Citizen", "nin": n} for n in keys]},
                    }
                )
                started = time.perf_counter()
                async with session.post(
                    url, data=body, headers={"content-type": "application/json"}
                ) as resp:
                    result = orjson.loads(await resp.read())
                latencies.append(time.perf_counter() - started)
                if "errors" in result:
                    raise RuntimeError(f"{url}: {result['errors'][:1]}")

        await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
    return latencies


def _wait(port: int) -> None:
    import urllib.request

    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"subgraph on port {port} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--base-port", type=int, default=4101)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        seed_all(data_dir, args.citizens, 1, DEPARTMENTS, progress=None)
        nins = [p.nin for p in people(args.citizens, 1)]
        processes = []
        try:
            for n, d in enumerate(DEPARTMENTS):
                port = args.base_port + n
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "joinedup.cli",
                            "subgraph",
                            d.name,
                            "--port",
                            str(port),
                            "--data-dir",
                            str(data_dir),
                            "--without-grants",
                        ]
                    )
                )
            print(
                f"{'subgraph':<10}{'batch':>6}{'req/s':>10}{'citizens/s':>12}"
                f"{'p50 ms':>9}{'p99 ms':>9}"
            )
            for n, d in enumerate(DEPARTMENTS):
                port = args.base_port + n
                _wait(port)
                fields = selection(d.schema._schema, "Citizen")
                query = (
                    "query($r: [_Any!]!) { _entities(representations: $r) "
                    f"{{ ... on Citizen {{ {fields} }} }} }}"
                )
                url = f"http://127.0.0.1:{port}/graphql"
                for batch in BATCHES:
                    latencies = asyncio.run(_run(url, query, nins, batch, args.seconds))
                    rate = len(latencies) / args.seconds
                    cuts = statistics.quantiles(latencies, n=100)
                    print(
                        f"{d.name:<10}{batch:>6}{rate:>10,.0f}{rate * batch:>12,.0f}"
                        f"{cuts[49] * 1000:>9.1f}{cuts[98] * 1000:>9.1f}",
                        flush=True,
                    )
        finally:
            for process in processes:
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
