"""Fill every department's store with the same synthetic population."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from subgraphs.app import database_path
from subgraphs.department import Department
from subgraphs.people import people
from subgraphs.store import create_database, finish

CHUNK = 10_000


def seed_all(
    data_dir: Path,
    citizens: int,
    seed: int,
    departments: Sequence[Department],
    progress: TextIO | None = sys.stderr,
) -> None:
    """Write `citizens` people (same `seed`, same people) into each department's own file."""
    if citizens < 1:
        raise ValueError("--citizens must be at least 1")
    started = time.perf_counter()
    connections = {
        d.name: create_database(database_path(data_dir, d.name), d.store_schema)
        for d in departments
    }
    for start in range(0, citizens, CHUNK):
        chunk = list(people(min(start + CHUNK, citizens), seed, start))
        for d in departments:
            d.seed(connections[d.name], chunk, seed)
        if progress is not None:
            done = start + len(chunk)
            rate = done / (time.perf_counter() - started)
            print(
                f"\rseeded {done:,}/{citizens:,} citizens ({rate:,.0f}/s)",
                end="",
                file=progress,
                flush=True,
            )
    for d in departments:
        finish(connections[d.name], d.indexes)
    if progress is not None:
        elapsed = time.perf_counter() - started
        print(f"\nseeded {citizens:,} citizens into {data_dir} in {elapsed:.1f}s", file=progress)
