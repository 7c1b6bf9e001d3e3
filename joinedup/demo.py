"""`joinedup demo`: the whole system on its embedded defaults, in the foreground."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from joinedup.grants import load_or_create_private_key
from subgraphs.app import database_path
from subgraphs.commands import CONSENT_DB, DEFAULT_DATA_DIR

DEMO_CITIZENS = 10_000
GATEWAY_PORT = 4000
CONSENT_PORT = 4007
ACCESS_PORT = 4008


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="run every subgraph (and the gateway) with demo data")
    demo.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    demo.add_argument("--citizens", type=int, default=DEMO_CITIZENS)
    demo.set_defaults(handler=run)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"joinedup demo: {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"joinedup demo: {url} did not come up in {timeout:.0f}s")


def run(args: argparse.Namespace) -> int:
    from subgraphs.registry import DEPARTMENTS

    command = [sys.executable, "-m", "joinedup.cli"]
    stores = [database_path(args.data_dir, d.name) for d in DEPARTMENTS]
    if not all(path.exists() for path in [*stores, args.data_dir / CONSENT_DB]):
        subprocess.run(
            [*command, "seed", "--citizens", str(args.citizens), "--data-dir", str(args.data_dir)],
            check=True,
        )
    # The gateway signs every subgraph request; departments check with its public key.
    gateway_key = args.data_dir / "keys" / "gateway.pem"
    load_or_create_private_key(gateway_key)
    processes: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for d in DEPARTMENTS:
            process = subprocess.Popen(
                [
                    *command,
                    "subgraph",
                    d.name,
                    "--data-dir",
                    str(args.data_dir),
                    "--gateway-key",
                    str(gateway_key.with_suffix(".pub")),
                ]
            )
            processes.append(process)
            _wait_until_up(f"http://127.0.0.1:{d.port}/healthz", process)
            print(f"{d.name:>9} subgraph  http://127.0.0.1:{d.port}/graphql", flush=True)
        consent = subprocess.Popen(
            [
                *command,
                "consent-service",
                "--data-dir",
                str(args.data_dir),
                "--gateway-key",
                str(gateway_key.with_suffix(".pub")),
            ]
        )
        processes.append(consent)
        _wait_until_up(f"http://127.0.0.1:{CONSENT_PORT}/healthz", consent)
        print(f"{'consent':>9} service   http://127.0.0.1:{CONSENT_PORT}/graphql", flush=True)
        subgraph_args = [
            f"--subgraph={d.name}=http://127.0.0.1:{d.port}/graphql" for d in DEPARTMENTS
        ]
        subgraph_args.append(f"--subgraph=consent=http://127.0.0.1:{CONSENT_PORT}/graphql")
        access = subprocess.Popen(
            [
                *command,
                "access-service",
                "--data-dir",
                str(args.data_dir),
                "--gateway-key",
                str(gateway_key.with_suffix(".pub")),
            ]
        )
        processes.append(access)
        _wait_until_up(f"http://127.0.0.1:{ACCESS_PORT}/healthz", access)
        print(f"{'access':>9} service   http://127.0.0.1:{ACCESS_PORT}/graphql", flush=True)
        subgraph_args.append(f"--subgraph=access=http://127.0.0.1:{ACCESS_PORT}/graphql")
        gateway = subprocess.Popen(
            [
                *command,
                "gateway",
                *subgraph_args,
                "--port",
                str(GATEWAY_PORT),
                "--data-dir",
                str(args.data_dir),
                "--signing-key",
                str(gateway_key),
            ]
        )
        processes.append(gateway)
        _wait_until_up(f"http://127.0.0.1:{GATEWAY_PORT}/healthz", gateway)
        print(f"{'gateway':>9}           http://127.0.0.1:{GATEWAY_PORT}/graphql", flush=True)
        print("Ready. Press Ctrl-C to stop.", flush=True)
        while not stopping:
            for process in processes:
                if process.poll() is not None:
                    print(f"a process exited with code {process.returncode}; stopping")
                    stopping = True
            time.sleep(0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0
