"""`joinedup policy test`: run every `test_` rule in a policy directory, like `opa test`."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from federation.rego import PolicyError, compile_bundle, message, read_bundle

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)
_RULE = "-" * 80


@dataclass(frozen=True)
class TestResult:
    file: str
    name: str  # e.g. data.joinedup.decision_test.test_consent_given_releases
    passed: bool
    error: str | None
    millis: float


def run(root: Path, match: str = "") -> list[TestResult]:
    """Evaluate each test rule; a rule passes when it is defined and true."""
    bundle = read_bundle(root)
    engine = compile_bundle(bundle)
    results = []
    for file, source in bundle.policies.items():
        package = _PACKAGE.search(source)
        if package is None:
            raise PolicyError(f"{file}: no package declaration")
        for rule in dict.fromkeys(_TEST_RULE.findall(source)):
            name = f"data.{package.group(1)}.{rule}"
            if match not in name:
                continue
            started = time.perf_counter()
            try:
                value, error = engine.eval_rule(name), None
            except RuntimeError as failure:
                value, error = None, message(failure)
            millis = (time.perf_counter() - started) * 1000
            results.append(TestResult(file, name, value is True, error, millis))
    return results


def report(results: Sequence[TestResult], verbose: bool = False) -> str:
    """Text in `opa test`'s shape: failures first, then (verbose) all, then counts."""
    lines: list[str] = []
    failed = [r for r in results if not r.passed]
    if failed:
        lines += ["FAILURES", _RULE]
        for result in failed:
            lines.append(f"{result.name}: FAIL ({result.millis:.3f}ms)")
            if result.error:
                lines += [f"  {line}" for line in result.error.splitlines()]
            lines.append("")
    if verbose or failed:
        lines += ["SUMMARY", _RULE]
        file = None
        for result in results:
            if result.file != file:
                if file is not None:
                    lines.append("")
                file = result.file
                lines.append(f"{file}:")
            verdict = "PASS" if result.passed else "FAIL"
            lines.append(f"{result.name}: {verdict} ({result.millis:.3f}ms)")
        lines.append(_RULE)
    passed = len(results) - len(failed)
    if passed:
        lines.append(f"PASS: {passed}/{len(results)}")
    if failed:
        lines.append(f"FAIL: {len(failed)}/{len(results)}")
    if not results:
        lines.append("no tests found")
    return "\n".join(lines)
