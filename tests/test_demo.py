"""`joinedup demo` serves the whole system on its fixed ports and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from subgraphs.registry import DEPARTMENTS

JOINED_UP = """{ citizen(nin: "%s") {
  givenName familyName taxCode drivingLicence { status } councilTax { band }
} }"""


def _post(url: str, query: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        data=orjson.dumps({"query": query}),
        headers={"content-type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return orjson.loads(response.read())
    except urllib.error.HTTPError as error:
        return {"status": error.code, **orjson.loads(error.read())}


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_demo_serves_every_subgraph_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ports = [4000, 4007, 4008, *(d.port for d in DEPARTMENTS)]
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
        refused = _post(gateway, "{ citizens(first: 1) { citizens { nin } } }")
        assert refused["status"] == 401
        token = subprocess.run(
            [sys.executable, "-m", "joinedup.cli", "token", "--client", "universal-credit-service"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        caller = {
            "authorization": f"Bearer {token}",
            "joinedup-purpose": "universal-credit-assessment",
        }
        page = _post(gateway, "{ citizens(first: 1) { citizens { nin } } }", caller)
        nin = page["data"]["citizens"]["citizens"][0]["nin"]
        joined = _post(gateway, JOINED_UP % nin, caller)
        citizen = joined["data"]["citizen"]
        assert citizen["givenName"] and "taxCode" in citizen, joined
        # A department outside the purpose is never asked: a refusal says why.
        assert citizen["drivingLicence"] is None
        [error] = joined["errors"]
        assert error["path"] == ["citizen", "drivingLicence"]
        assert error["extensions"]["code"] == "CATEGORY_NOT_IN_PURPOSE"
        assert error["extensions"]["department"] == "dvla"
        with urllib.request.urlopen("http://127.0.0.1:4000/register", timeout=10) as response:
            register = response.read().decode()
        assert "blue-badge-eligibility" in register and nin not in register
        assert "seeded 10,000 citizens" in output
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=30)
    assert demo.returncode == 0
    time.sleep(0.5)
    assert not any(_port_open(port) for port in ports), "a demo process outlived Ctrl-C"
