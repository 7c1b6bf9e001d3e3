"""A department's CPU per request with and without checking the gateway's grants, over HTTP.

One department (`hmrc` by default) runs as two processes, one checking a grant on
every request (`--gateway-key`) and one not, and is asked for `_entities` of 1
and of 50 citizens (`--fields`, or every field it adds to `Citizen`), each
request with a grant allowing exactly what it asks. The variants alternate in rounds; the
figure is the department process's own CPU per request, and the ratios are
taken within rounds. With `--before CHECKOUT`, that checkout's department runs
the same two ways beside this one's, on the same data and requests, so a change
to either side of the check is measured side by side.

The gateway benchmark reports the departments' CPU too, but on two shared cores
it moves by a third from round to round: too much to see a change of a tenth
in one part of it. Here one process does one thing at a time.

    .venv/bin/python benchmarks/grant_check.py [--department hmrc] [--fields 'taxCode']
        [--rounds 8] [--seconds 2] [--before /tmp/before] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from _harness import (
    Slice,
    drive,
    harness_args,
    machine_load,
    median,
    processes,
    spawn,
    table,
    wait_for,
    write_json,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from entities import selection
from graphql import parse

from joinedup import grants
from subgraphs.grant_check import reading
from subgraphs.people import people
from subgraphs.registry import department
from subgraphs.seed import seed_all

SEED = 1
BATCHES = (1, 50)
WITH, WITHOUT = "with grants", "without grants"
BEFORE = " [before]"


@dataclass(frozen=True)
class Served:
    variant: str
    url: str
    pid: int


def start(
    started: list[Any],
    name: str,
    data_dir: Path,
    public_key: Path,
    base_port: int,
    before: Path | None,
) -> list[Served]:
    """The department with and without grants, for this checkout and `before`'s."""
    served = []
    checkouts: list[tuple[str, Path | None]] = [("", None)]
    if before is not None:
        checkouts.append((BEFORE, before))
    port = base_port
    for suffix, checkout in checkouts:
        for variant, extra in ((WITH, ["--gateway-key", str(public_key)]), (WITHOUT, [])):
            args = ["department", name, "--port", str(port), "--data-dir", str(data_dir), *extra]
            process = spawn(
                harness_args(*args, checkout=checkout),
                data_dir / f"{name}-{port}.log",
                env={"PYTHONPATH": str(checkout)} if checkout else None,
            )
            started.append(process)
            served.append(Served(variant + suffix, f"http://127.0.0.1:{port}/graphql", process.pid))
            port += 1
    for s in served:
        wait_for(s.url.replace("/graphql", "/healthz"))
    return served


class Requests:
    """`_entities` bodies of `batch` citizens each, and for each a grant allowing just that."""

    def __init__(self, name: str, nins: Sequence[str], batch: int, fields: str | None) -> None:
        schema = department(name).schema._schema
        self.query = (
            "query($r: [_Any!]!) { _entities(representations: $r) "
            f"{{ ... on Citizen {{ {fields or selection(schema, 'Citizen')} }} }} }}"
        )
        (read,) = reading(schema, parse(self.query)).roots
        self.coordinates = frozenset().union(*(read.per_type or {}).values())
        self.name = name
        self.pages = [nins[i : i + batch] for i in range(0, len(nins) - batch + 1, batch)]
        self.bodies = [
            orjson.dumps(
                {
                    "query": self.query,
                    "variables": {"r": [{"__typename": "Citizen", "nin": n} for n in page]},
                }
            )
            for page in self.pages
        ]
        self.headers: list[Mapping[str, str]] = []

    def sign(self, key: Ed25519PrivateKey) -> None:
        """Fresh grants (they live a minute): signed before a slice, outside its clock."""
        self.headers = [
            {
                "content-type": "application/json",
                grants.HEADER: grants.sign(
                    grants.Grant(
                        "benchmark",
                        "benchmark",
                        f"d-{n}",
                        self.name,
                        dict.fromkeys(page, self.coordinates),
                    ),
                    key,
                ),
            }
            for n, page in enumerate(self.pages)
        ]

    def __call__(self, i: int) -> tuple[bytes, Mapping[str, str]]:
        n = i % len(self.bodies)
        return self.bodies[n], self.headers[n]


def _answered(response: dict[str, Any]) -> str | None:
    return str(response["errors"][:1]) if response.get("errors") else None


def measure(
    served: Sequence[Served],
    requests: Requests,
    key: Ed25519PrivateKey,
    rounds: int,
    seconds: float,
    concurrency: int,
) -> dict[str, list[Slice]]:
    slices: dict[str, list[Slice]] = {s.variant: [] for s in served}
    for round_ in range(rounds + 1):  # round 0 warms up and is not kept
        shift = round_ % len(served)
        for s in [*served[shift:], *served[:shift]]:
            requests.sign(key)
            result = asyncio.run(
                drive(
                    s.url,
                    requests,
                    concurrency=concurrency,
                    seconds=seconds,
                    pid=s.pid,
                    check=_answered,
                )
            )
            if result.failures:
                raise SystemExit(f"{s.variant}: {result.first_error}")
            if round_:
                slices[s.variant].append(result)
    return slices


def rows(batch: int, slices: Mapping[str, list[Slice]]) -> list[dict[str, Any]]:
    def ratios(top: str, bottom: str) -> list[float]:
        pairs = zip(slices[top], slices[bottom], strict=True)
        return [a.cpu_ms / b.cpu_ms for a, b in pairs]

    out = []
    for variant, kept in slices.items():
        row: dict[str, Any] = {
            "citizens": batch,
            "variant": variant,
            "req/s": median([s.rate for s in kept]),
            "CPU ms/req": median([s.cpu_ms for s in kept]),
        }
        suffix = BEFORE if variant.endswith(BEFORE) else ""
        if variant.startswith(WITH):
            checked = ratios(variant, WITHOUT + suffix)
            row["with/without grants"] = median(checked)
            row["range"] = f"{min(checked):.2f}-{max(checked):.2f}"
        if not suffix and variant + BEFORE in slices:
            against = ratios(variant, variant + BEFORE)
            row["vs before"] = median(against)
            row["range vs before"] = f"{min(against):.2f}-{max(against):.2f}"
        out.append(row)
    return out


COLUMNS = (
    ("citizens", "d"),
    ("variant", ""),
    ("req/s", ",.0f"),
    ("CPU ms/req", ".3f"),
    ("with/without grants", ".3f"),
    ("range", ""),
    ("vs before", ".3f"),
    ("range vs before", ""),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--department", default="hmrc")
    parser.add_argument(
        "--fields", help="the selection on Citizen (default: every field the department adds)"
    )
    parser.add_argument("--citizens", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0, help="per variant per round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--base-port", type=int, default=4700)
    parser.add_argument("--before", type=Path, metavar="CHECKOUT")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load_before = machine_load()
    report = []
    with tempfile.TemporaryDirectory() as tmp, processes() as started:
        data_dir = Path(tmp)
        print(f"seeding {args.citizens:,} citizens …", flush=True)
        seed_all(data_dir, args.citizens, SEED, [department(args.department)], progress=None)
        key = grants.load_or_create_private_key(data_dir / "gateway.pem")
        served = start(
            started,
            args.department,
            data_dir,
            data_dir / "gateway.pub",
            args.base_port,
            args.before,
        )
        nins = [p.nin for p in people(args.citizens, SEED)]
        for batch in BATCHES:
            requests = Requests(args.department, nins, batch, args.fields)
            slices = measure(served, requests, key, args.rounds, args.seconds, args.concurrency)
            report += rows(batch, slices)
            print(f"{batch} citizen(s) per request done", flush=True)
    print(table(COLUMNS, report))
    print(
        f"\n{args.department}, {args.rounds} rounds of {args.seconds}s per variant, "
        f"{args.concurrency} concurrent clients"
    )
    load_after = machine_load()
    print(f"load before: {load_before}\nload after:  {load_after}")
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    document = {"settings": settings, "rows": report}
    write_json(args.json, document | {"load_before": load_before, "load_after": load_after})


if __name__ == "__main__":
    main()
