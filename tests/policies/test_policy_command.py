"""`joinedup policy test` runs the Rego tests on the embedded engine, like `opa test`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _policy_test(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "joinedup.cli", "policy", "test", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_project_policies_pass() -> None:
    run = _policy_test(str(POLICIES), "--verbose")
    assert run.returncode == 0, run.stdout + run.stderr
    counts = re.search(r"^PASS: (\d+)/(\d+)$", run.stdout, re.MULTILINE)
    assert counts is not None and counts.group(1) == counts.group(2)
    assert int(counts.group(2)) >= 20
    assert "FAIL" not in run.stdout


def test_every_reason_code_has_a_rego_test() -> None:
    policy = (POLICIES / "joinedup" / "decision.rego").read_text()
    tests = (POLICIES / "joinedup" / "decision_test.rego").read_text()
    codes = set(re.findall(r'"([A-Z][A-Z_]+)"', policy))
    assert {"CONSENT_GIVEN", "CONSENT_WITHDRAWN", "OPTED_OUT"} <= codes
    untested = sorted(code for code in codes if f'"{code}"' not in tests)
    assert untested == []


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_failing_test_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    _write(tmp_path, "x/limits.rego", "package x.limits\n\nimport rego.v1\n\nmax := 3\n")
    _write(
        tmp_path,
        "x/limits_test.rego",
        "package x.limits_test\n\nimport rego.v1\n\nimport data.x.limits\n\n"
        "test_max_is_three if limits.max == 3\n\n"
        "test_max_is_four if limits.max == 4\n",
    )
    run = _policy_test(str(tmp_path))
    assert run.returncode == 1
    assert "data.x.limits_test.test_max_is_four: FAIL" in run.stdout
    assert "PASS: 1/2" in run.stdout
    assert "FAIL: 1/2" in run.stdout


def test_data_files_land_at_their_directory_path(tmp_path: Path) -> None:
    _write(tmp_path, "data/limits.json", '{"limits": {"max": 3}}')
    _write(
        tmp_path,
        "x_test.rego",
        "package x_test\n\nimport rego.v1\n\ntest_data if data.data.limits.max == 3\n",
    )
    run = _policy_test(str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_policy_that_does_not_compile_names_its_file(tmp_path: Path) -> None:
    _write(tmp_path, "broken.rego", "package broken\n\nimport rego.v1\n\nallow if {\n")
    run = _policy_test(str(tmp_path))
    assert run.returncode == 2
    assert "broken.rego" in run.stderr
    assert "Stack backtrace" not in run.stderr
