"""The `joinedup` command: each subcommand lives beside the code it drives."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from federation import commands as federation_commands
from federation import ledger_commands, policy_commands, token_command
from joinedup import demo
from subgraphs import commands as subgraph_commands
from subgraphs.access import commands as access_commands
from subgraphs.consent import commands as consent_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="joinedup", description="A consent-aware GraphQL data layer."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subgraph_commands.register(sub)
    consent_commands.register(sub)
    access_commands.register(sub)
    federation_commands.register(sub)
    policy_commands.register(sub)
    token_command.register(sub)
    ledger_commands.register(sub)
    demo.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
