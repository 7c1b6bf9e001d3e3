"""CLI subcommands of the gateway: `gateway`, `compose`, `plan`."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the gateway's subcommands to the `joinedup` parser."""
    del sub  # filled in as the gateway lands


__all__ = ["argparse", "register"]
