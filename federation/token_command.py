"""`joinedup token`: print a demo bearer token, and nothing else, on stdout."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    token = sub.add_parser("token", help="print a demo token for a client or a citizen")
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", help="a client id from policies/data/clients.json")
    who.add_argument("--citizen", metavar="NIN", help="a citizen, acting through the portal")
    token.add_argument("--explain", action="store_true", help="may ask for decision explanations")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    token.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from federation.auth import CITIZEN_CLIENT, issue
    from federation.registry import load_clients
    from joinedup.identifiers import is_valid_nin

    if args.ttl < 1:
        print("error: --ttl must be at least 1 second", file=sys.stderr)
        return 2
    if args.citizen is not None:
        if not is_valid_nin(args.citizen):
            print(f"error: {args.citizen!r} is not a National Insurance number", file=sys.stderr)
            return 2
        print(issue(client_id=CITIZEN_CLIENT, citizen=args.citizen, ttl=args.ttl))
        return 0
    clients = load_clients()
    if args.client not in clients:
        known = ", ".join(sorted(clients))
        print(f"error: no client {args.client!r}; the clients are {known}", file=sys.stderr)
        return 2
    print(issue(client_id=args.client, explain=args.explain, ttl=args.ttl))
    return 0
