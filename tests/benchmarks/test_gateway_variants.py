"""`benchmarks/gateway.py --variant` keeps the chosen variants and the baselines they need."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _gateway_benchmark() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # it imports `_harness` as the command does
    try:
        path = BENCHMARKS / "gateway.py"
        spec = importlib.util.spec_from_file_location("gateway_benchmark", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


BENCH = _gateway_benchmark()


def _names(workload: str, *names: str) -> list[str]:
    return [v.name for v in BENCH.chosen(BENCH.VARIANTS[workload], names)]


def test_no_names_keeps_every_variant() -> None:
    assert _names("one") == [v.name for v in BENCH.VARIANTS["one"]]


def test_a_chosen_variant_brings_its_baseline() -> None:
    assert _names("one", "public task (UC)") == ["off, UC fields", "on: public task (UC)"]
    assert _names("fifty", "ledger off") == ["off, UC fields", "on: public task, ledger off"]


def test_several_names_and_a_baseline_chosen_by_name() -> None:
    assert _names("one", "Blue Badge", "direct") == [
        "direct identity",
        "off, Blue Badge fields",
        "on: consent given (Blue Badge)",
        "on: consent as seeded (Blue Badge)",
    ]


def test_a_name_nothing_holds_keeps_nothing() -> None:
    assert _names("fifty", "no such variant") == []
