"""Each benchmark runs end to end with tiny settings and prints and writes what it promises.

These run the benchmark commands as subprocesses and check the shape of their
output only; the figures themselves are never asserted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_gateway_benchmark_runs_every_variant(tmp_path: Path) -> None:
    out = tmp_path / "gateway.json"
    stdout = _run(
        "gateway.py",
        "--citizens",
        "300",
        "--rounds",
        "1",
        "--seconds",
        "0.3",
        "--warmup",
        "0.1",
        "--concurrency",
        "2",
        "--base-port",
        "4500",
        "--json",
        str(out),
        # This checkout again, as the "before" one: its own departments and gateways.
        "--before",
        str(ROOT),
    )
    report = orjson.loads(out.read_bytes())
    rows = {(r["workload"], r["variant"]): r for r in report["rows"]}
    assert ("one", "on: public task (UC)") in rows
    assert ("fifty", "off, six departments") in rows
    assert ("fifty", "on: public task (UC) [before]") in rows
    costs = {(r["workload"], r["variant"]): r for r in report["enforcement"]}
    assert ("one", "on: public task (UC)") in costs
    assert ("fifty", "on: public task, ledger off") in costs
    assert ("one", "off, six departments") not in costs
    for cost in costs.values():
        assert cost["system CPU ms/req"] > 0 and cost["off"] > 0
        assert cost["off/on system CPU"] > 0
    # The floor of work enforcement cannot skip, for every variant that writes a ledger.
    for key, cost in costs.items():
        pieces = cost["mandated, µs per request"]
        if "ledger off" in key[1]:
            assert pieces is None
            continue
        assert pieces["grants_us"] > 0 and pieces["consent_read_us"] > 0
        assert pieces["ledger_us"] > 0
        assert 0 < cost["best off/on"] < 1
    assert "best off/on" in stdout
    assert "what authorization adds per request" in stdout
    for row in report["rows"]:
        assert row["requests"] > 0
        assert row["req/s"] > 0
        assert row["departments CPU ms/req"] > 0
        assert row["variant"] in stdout
    compared = {(r["workload"], r["variant"]) for r in report["against_before"]}
    assert compared == {
        (w, v) for w in ("one", "fifty") for v in ("off, six departments", "on: public task (UC)")
    }
    # Every department answered one _entities call per step for fifty citizens.
    fifty = rows[("fifty", "off, six departments")]["subgraph requests/op"]
    assert fifty.split() == [f"{d}:1.00" for d in ("ide", "hmr", "dwp", "nhs", "dvl", "cou")]
    # Each gateway planned each distinct operation once and reused it after.
    caches = report["plan_caches"]
    assert caches["off"]["plan_cache_misses"] == 5
    assert caches["on"]["plan_cache_misses"] == 4
    for cache in caches.values():
        assert cache["plan_cache_hits"] > cache["plan_cache_misses"]
    assert "plan_cache_hits" in stdout
    assert "load average" in report["load_after"]


def test_decisions_benchmark_runs_every_engine_and_mode(tmp_path: Path) -> None:
    out = tmp_path / "decisions.json"
    stdout = _run(
        "decisions.py",
        "--citizens",
        "150",
        "--rounds",
        "1",
        "--seconds",
        "0.2",
        "--purposes",
        "blue-badge-eligibility",
        "--opa-port",
        "4590",
        "--json",
        str(out),
    )
    report = orjson.loads(out.read_bytes())
    assert report["subjects"] == 50
    assert report["fields"] >= 30
    rows = {(r["engine"], r["mode"]) for r in report["rows"]}
    assert rows == {
        (engine, mode)
        for engine in ("embedded (Regorus)", "OPA REST (tests/opa_server.py)")
        for mode in ("raw engine call", "step, cache off", "step, cache on")
    }
    for row in report["rows"]:
        assert row["steps"] > 0
        assert row["decisions/s"] > 0
        # Each distinct field class and consent profile is evaluated at most once a step.
        assert row["evaluations/step"] < report["fields"] + report["subjects"]
        assert row["mode"] in stdout
    uncached = [r for r in report["rows"] if r["mode"] == "step, cache off"]
    assert all(r["evaluations/step"] >= report["field_classes"] for r in uncached)


def test_grant_check_benchmark_runs_both_ways_on_both_checkouts(tmp_path: Path) -> None:
    out = tmp_path / "grant_check.json"
    stdout = _run(
        "grant_check.py",
        "--citizens",
        "120",
        "--rounds",
        "1",
        "--seconds",
        "0.2",
        "--concurrency",
        "2",
        "--base-port",
        "4570",
        "--fields",
        "taxCode selfAssessment { status }",
        "--json",
        str(out),
        "--before",
        str(ROOT),
    )
    report = orjson.loads(out.read_bytes())
    rows = {(r["citizens"], r["variant"]): r for r in report["rows"]}
    assert set(rows) == {
        (batch, variant)
        for batch in (1, 50)
        for variant in (
            "with grants",
            "without grants",
            "with grants [before]",
            "without grants [before]",
        )
    }
    for (_, variant), row in rows.items():
        assert row["req/s"] > 0 and row["CPU ms/req"] > 0
        assert ("with/without grants" in row) == variant.startswith("with grants")
        assert ("vs before" in row) == (not variant.endswith("[before]"))
    assert "with/without grants" in stdout
    assert report["settings"]["department"] == "hmrc"
