"""`joinedup demo` serves the whole system on its fixed ports and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson

from subgraphs.registry import DEPARTMENTS

JOINED_UP = """{ citizen(nin: "%s") {
  givenName familyName taxCode drivingLicence { status } councilTax { band }
} }"""


def _post(url: str, query: str) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=orjson.dumps({"query": query}), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, object] = orjson.loads(response.read())
        return result


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_demo_serves_every_subgraph_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ports = [4000, *(d.port for d in DEPARTMENTS)]
    assert not any(_port_open(port) for port in ports), "a demo port is already in use"
    demo = subprocess.Popen(
        [sys.executable, "-m", "joinedup.cli", "demo", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    assert demo.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = demo.stdout.readline().decode()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ready."):
                break
        output = "".join(lines)
        assert "Ready." in output, output
        urls = re.findall(r"http://127\.0\.0\.1:\d+/graphql", output)
        for d in DEPARTMENTS:
            assert f"http://127.0.0.1:{d.port}/graphql" in urls
        gateway = "http://127.0.0.1:4000/graphql"
        assert gateway in urls
        for url in urls:
            if url != gateway:
                sdl = _post(url, "{ _service { sdl } }")
                assert "@dataCategory" in str(sdl), url
        nin = str(
            _post("http://127.0.0.1:4001/graphql", "{ citizens(first: 1) { citizens { nin } } }")
        )
        joined = _post(gateway, JOINED_UP % nin.split("'nin': '")[1][:9])
        assert "errors" not in joined, joined
        assert "seeded 10,000 citizens" in output
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=30)
    assert demo.returncode == 0
    time.sleep(0.5)
    assert not any(_port_open(port) for port in ports), "a demo process outlived Ctrl-C"
