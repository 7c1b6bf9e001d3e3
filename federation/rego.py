"""The embedded Rego engine (Regorus), loading a policy directory the way OPA does.

Policies are compiled once per revision and evaluated per call with only the
input. `Bundle` reads `policies/`: every `.rego` file, and every `.json` data
file placed in the data document at its directory's path (OPA's loader rule:
`policies/data/purposes.json` lands at `data.data`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import regorus


@dataclass(frozen=True)
class Bundle:
    """The files of one policy revision, read from disk."""

    policies: Mapping[str, str]  # path relative to the root → Rego source
    data: Mapping[str, Any]  # the merged data document
    revision: str  # a digest of every file, so any edit is a new revision


class PolicyError(Exception):
    """A policy bundle that cannot be loaded or compiled."""


def _merge(into: dict[str, Any], path: tuple[str, ...], value: Any, source: Path) -> None:
    node = into
    for part in path:
        node = node.setdefault(part, {})
    if not isinstance(value, dict):
        raise PolicyError(f"{source}: a data file must hold a JSON object")
    for key, item in value.items():
        if key in node:
            raise PolicyError(f"{source}: data key {'.'.join((*path, key))} is defined twice")
        node[key] = item


def read_bundle(root: Path) -> Bundle:
    """Read every policy and data file under `root`."""
    if not root.is_dir():
        raise PolicyError(f"{root} is not a policy directory")
    digest = hashlib.sha256()
    policies: dict[str, str] = {}
    data: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.suffix not in {".rego", ".json"} or not path.is_file():
            continue
        raw = path.read_bytes()
        digest.update(str(relative).encode() + b"\0" + raw + b"\0")
        if path.suffix == ".rego":
            policies[str(relative)] = raw.decode()
        else:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise PolicyError(f"{relative}: {error}") from None
            _merge(data, relative.parent.parts, value, relative)
    if not policies:
        raise PolicyError(f"{root} holds no .rego files")
    return Bundle(policies=policies, data=data, revision=digest.hexdigest()[:16])


def compile_bundle(bundle: Bundle) -> regorus.Engine:
    """A Regorus engine holding the bundle; raises PolicyError naming the bad file."""
    engine = regorus.Engine()
    for name, source in bundle.policies.items():
        try:
            engine.add_policy(name, source)
        except RuntimeError as error:
            raise PolicyError(f"{name}: {message(error)}") from None
    engine.add_data_json(orjson.dumps(bundle.data).decode())
    return engine


def message(error: Exception) -> str:
    """Regorus's error text without the native stack trace it appends."""
    return str(error).split("Stack backtrace:")[0].strip()


def evaluate(engine: regorus.Engine, rule: str, input: Any) -> Any:
    """Evaluate `rule` (e.g. `data.joinedup.decision.result`) for one input."""
    engine.set_input_json(orjson.dumps(input).decode())
    return engine.eval_rule(rule)
