"""Shared pieces of the benchmarks: processes, CPU accounting, load, statistics, tables.

Run as a script it serves one process of a benchmark's system:

    python benchmarks/_harness.py department NAME --port P --data-dir D [--gateway-key PEM]
    python benchmarks/_harness.py gateway --port P --supergraph FILE --data-dir D
        [--authorization on|off] [--ledger off] [--loop asyncio|uvloop]
    python benchmarks/_harness.py opa --port P

`department` is what `joinedup subgraph` serves, wrapped to count the GraphQL
requests it receives (`GET /_bench/requests`). `gateway` is what `joinedup
gateway` serves, wrapped to report its plan and document caches and its ledger's
commits and entries (`GET /_bench/stats`); the gateway has no debug endpoint of
its own. `opa` is the OPA-compatible test server of `tests/opa_server.py` over `policies/`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

HARNESS = Path(__file__).resolve()
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# uvicorn's default, `auto`, picks uvloop when it is installed; the project does not install
# it, so `asyncio` is what `joinedup gateway` and `joinedup subgraph` run on.
LOOPS = ("asyncio", "uvloop")

ASGIApp = Callable[..., Any]


# -- CPU accounting and processes -------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from `/proc/<pid>/stat`."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_load() -> str:
    """The `uptime` line: load averages while the benchmark ran."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        one, five, fifteen = os.getloadavg()
        return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def wait_for(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer within {seconds:.0f}s") from None
            time.sleep(0.1)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return orjson.loads(response.read())


@contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """A list to start processes into; all are stopped (SIGTERM, then waited) on exit."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def spawn(
    args: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else {**os.environ, **env},
        )


def harness_args(*args: str, checkout: Path | None = None) -> list[str]:
    """This harness's command line, or that of the harness in another checkout."""
    harness = HARNESS if checkout is None else checkout / "benchmarks" / HARNESS.name
    return [str(harness), *args]


# -- load ---------------------------------------------------------------------------------------


@dataclass
class Slice:
    """One variant's share of one round: requests, latencies and the gateway's CPU."""

    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # seconds of the measured process's CPU
    latencies: list[float] = field(default_factory=list)
    first_error: str | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.requests if self.requests else float("nan")


Request = Callable[[int], tuple[bytes, Mapping[str, str]]]


async def drive(
    url: str,
    request: Request,
    *,
    concurrency: int,
    seconds: float,
    pid: int | None,
    check: Callable[[dict[str, Any]], str | None],
) -> Slice:
    """Send requests from `concurrency` workers for `seconds`; `request(i)` makes the i-th.

    `check` returns a problem with a response (None when it is as expected); such
    responses count as failures. CPU is read from `pid` before and after. Each slice
    opens its own connections: a server closes keep-alive connections idle between slices.
    """
    result = Slice()
    counter = 0
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal counter
        while time.perf_counter() < deadline:
            counter += 1
            body, headers = request(counter)
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                payload = await response.read()
            result.latencies.append(time.perf_counter() - started)
            problem = check(orjson.loads(payload)) if response.status == 200 else None
            if response.status != 200:
                problem = f"HTTP {response.status}: {payload[:200]!r}"
            if problem is not None:
                result.failures += 1
                result.first_error = result.first_error or problem
            result.requests += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        cpu_before = cpu_seconds(pid) if pid else 0.0
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - began
        result.cpu = (cpu_seconds(pid) - cpu_before) if pid else float("nan")
    return result


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest-rank method; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    clean = [v for v in values if v == v]
    return statistics.median(clean) if clean else float("nan")


# -- profiles -----------------------------------------------------------------------------------


@contextmanager
def sampling(py_spy: str, pid: int, out: Path, rate: int = 250) -> Iterator[None]:
    """Sample `pid` with py-spy while the block runs; collapsed stacks are written to `out`.

    Only samples holding the GIL count (`--gil`): the Python the process runs. Waits
    (epoll, idle worker threads) drop out, and so do system calls and native code
    that releases the GIL, such as SQLite's.
    """
    process = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            str(rate),
            "--output",
            str(out),
            "--gil",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)  # let it attach
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
        if not out.exists():
            raise SystemExit(f"py-spy wrote no profile: {errors.decode()[-500:]}")


PROJECT = ("federation", "joinedup", "subgraphs")


def hot_spots(collapsed: Path, top: int = 15) -> dict[str, list[dict[str, Any]]]:
    """Where the samples fall: by package (self time), by function (self time), and the
    project's own functions by inclusive time (anywhere on the stack)."""
    package: Counter[str] = Counter()
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")]
        samples = int(count)
        total += samples
        name, where = frames[-1]
        own[f"{name} ({where})"] += samples
        package[where.split("/")[0] if "/" in where else where] += samples
        for name, where in set(frames):
            if where.split("/")[0] in PROJECT:
                anywhere[f"{name} ({where})"] += samples

    def rows(counter: Counter[str], key: str) -> list[dict[str, Any]]:
        return [
            {key: name, "share %": 100 * n / total if total else 0.0}
            for name, n in counter.most_common(top)
        ]

    return {
        "package (self)": rows(package, "package"),
        "function (self)": rows(own, "function"),
        "project function (inclusive)": rows(anywhere, "function"),
    }


def _frame(frame: str) -> tuple[str, str]:
    """`func (package/module.py:12)` → (`func`, `package/module.py`)."""
    name, _, where = frame.partition(" (")
    return name, where.rstrip(")").rsplit(":", 1)[0]


# -- output -------------------------------------------------------------------------------------


def table(columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as a Markdown table; `columns` are (key, number format or '' for text)."""
    header = [key for key, _ in columns]
    lines = [header]
    for row in rows:
        cells = []
        for key, spec in columns:
            value = row.get(key, "")
            if isinstance(value, float) and value != value:
                cells.append("n/a")
            elif spec and isinstance(value, int | float):
                cells.append(format(value, spec))
            else:
                cells.append(str(value))
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def render(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def write_json(path: Path | None, document: Any) -> None:
    if path is not None:
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


# -- served processes ---------------------------------------------------------------------------


def _json_response(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json")],
    }
    return start, {"type": "http.response.body", "body": orjson.dumps(value)}


def counting(app: ASGIApp) -> ASGIApp:
    """The app, counting `POST /graphql` requests and reporting them at `/_bench/requests`."""
    counts = {"graphql": 0}

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/requests":
            for message in _json_response(counts):
                await send(message)
            return
        if scope["type"] == "http" and scope["path"] == "/graphql" and scope["method"] == "POST":
            counts["graphql"] += 1
        await app(scope, receive, send)

    return wrapped


def reporting(app: ASGIApp, stats: Callable[[], dict[str, Any]]) -> ASGIApp:
    """The app, answering `GET /_bench/stats` with `stats()`."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/stats":
            for message in _json_response(stats()):
                await send(message)
            return
        await app(scope, receive, send)

    return wrapped


def _serve_department(args: argparse.Namespace) -> None:
    from joinedup.grants import load_public_key
    from joinedup.serving import serve
    from subgraphs.app import create_app
    from subgraphs.registry import department

    key = load_public_key(args.gateway_key) if args.gateway_key else None
    app = counting(create_app(department(args.name), args.data_dir, key))
    serve(app, host="127.0.0.1", port=args.port, log_level="warning", loop=args.loop)


def _serve_gateway(args: argparse.Namespace) -> None:
    from federation.app import create_app
    from federation.fetch_fields import SUBJECT_TYPE
    from federation.gateway import Gateway
    from federation.registry import POLICY_DIR
    from federation.security import SecurityConfig
    from federation.supergraph import parse_supergraph
    from joinedup.serving import serve

    security = None
    if args.authorization == "on":
        security = SecurityConfig.from_environment(
            args.data_dir,
            policy_dir=POLICY_DIR,
            ledger="" if args.ledger == "off" else None,
        )
    gateway = Gateway(
        parse_supergraph(args.supergraph.read_text(encoding="utf-8")),
        subject_types=frozenset({SUBJECT_TYPE}) if security is not None else frozenset(),
    )
    app = create_app(gateway, security=security)

    def stats() -> dict[str, Any]:
        documents = app.state.prepare.cache_info()
        enforcement = getattr(app.state, "enforcement", None)
        ledger = enforcement.ledger if enforcement is not None else None
        return {
            "plan_cache_hits": gateway.plan_cache_hits,
            "plan_cache_misses": gateway.plan_cache_misses,
            "document_cache_hits": documents.hits,
            "document_cache_misses": documents.misses,
            "ledger_commits": ledger.commits if ledger is not None else 0,
            "ledger_entries": ledger.entries_committed if ledger is not None else 0,
        }

    serve(
        reporting(app, stats),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        loop=args.loop,
    )


def _serve_opa(args: argparse.Namespace) -> None:
    import uvicorn

    from federation.registry import POLICY_DIR

    sys.path.insert(0, str(HARNESS.parents[1]))  # the repository root, for `tests`
    from tests.opa_server import Knobs, opa_app

    # OpaPolicy keeps idle connections for 30 s; uvicorn closes them after 5 s by default,
    # and a request on a connection closed under it fails rather than being retried.
    app = opa_app(POLICY_DIR, Knobs())
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", timeout_keep_alive=75)


def main() -> None:
    parser = argparse.ArgumentParser(description="serve one process of a benchmark's system")
    sub = parser.add_subparsers(dest="role", required=True)
    department = sub.add_parser("department")
    department.add_argument("name")
    department.add_argument("--port", type=int, required=True)
    department.add_argument("--data-dir", type=Path, required=True)
    department.add_argument("--gateway-key", type=Path)
    department.add_argument("--loop", choices=LOOPS, default="asyncio")
    gateway = sub.add_parser("gateway")
    gateway.add_argument("--port", type=int, required=True)
    gateway.add_argument("--supergraph", type=Path, required=True)
    gateway.add_argument("--data-dir", type=Path, required=True)
    gateway.add_argument("--authorization", choices=("on", "off"), default="on")
    gateway.add_argument("--ledger", choices=("on", "off"), default="on")
    gateway.add_argument("--loop", choices=LOOPS, default="asyncio")
    opa = sub.add_parser("opa")
    opa.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.role == "department":
        _serve_department(args)
    elif args.role == "gateway":
        _serve_gateway(args)
    else:
        _serve_opa(args)


if __name__ == "__main__":
    main()
