"""CLI subcommands for policy authors: `joinedup policy test`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_POLICIES = Path("policies")


def register(sub: Any) -> None:
    policy = sub.add_parser("policy", help="work with the Rego policies")
    actions = policy.add_subparsers(dest="action", required=True, metavar="ACTION")
    test = actions.add_parser("test", help="run every test_ rule, like `opa test`")
    test.add_argument("path", nargs="?", type=Path, default=DEFAULT_POLICIES)
    test.add_argument("-v", "--verbose", action="store_true", help="list every test")
    test.add_argument("-r", "--run", default="", help="only tests whose name contains this")
    test.set_defaults(handler=run_tests)


def run_tests(args: argparse.Namespace) -> int:
    from federation import policy_tests
    from federation.rego import PolicyError

    try:
        results = policy_tests.run(args.path, args.run)
    except PolicyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(policy_tests.report(results, args.verbose))
    return 0 if results and all(r.passed for r in results) else 1
