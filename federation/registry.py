"""The purpose and client registries, read from the policy bundle's data files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

POLICY_DIR = Path(os.environ.get("JOINEDUP_POLICIES", Path(__file__).parents[1] / "policies"))


def load_purposes(policy_dir: Path = POLICY_DIR) -> dict[str, Any]:
    purposes: dict[str, Any] = orjson.loads((policy_dir / "data" / "purposes.json").read_bytes())
    return purposes["purposes"]  # type: ignore[no-any-return]


def load_clients(policy_dir: Path = POLICY_DIR) -> dict[str, Any]:
    clients: dict[str, Any] = orjson.loads((policy_dir / "data" / "clients.json").read_bytes())
    return clients["clients"]  # type: ignore[no-any-return]
