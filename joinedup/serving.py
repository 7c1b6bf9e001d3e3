"""Serve an ASGI app with uvicorn, in a process tuned to serve for a long time.

Python's cyclic garbage collector was a fifth of the gateway's CPU under load,
and more of a department's. Start-up leaves tens of thousands of objects that
live as long as the process (modules, GraphQL schemas, policies); every full
collection traversed them all, taking about 40 ms each here. Requests then
allocate thousands of objects each, so at CPython's default threshold (700) a
collection ran several times per request, and the objects of requests still in
flight were promoted to older generations, bringing on those full collections.
"""

from __future__ import annotations

import gc
from typing import Any

# Net allocations of tracked objects between collections of the youngest generation
# (CPython's default is 700), and how many collections of one generation go between
# collections of the next (10 and 10 by default).
THRESHOLDS = (10_000, 20, 20)


def settle_heap() -> None:
    """Freeze what start-up allocated, so that collections skip it, and collect less often.

    Objects allocated later are collected as before; only cycles made at start-up
    are never reclaimed, and start-up makes none that matter.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


def serve(app: Any, **options: Any) -> None:
    """`uvicorn.run(app, **options)`, once the heap is settled."""
    import uvicorn

    settle_heap()
    uvicorn.run(app, **options)
