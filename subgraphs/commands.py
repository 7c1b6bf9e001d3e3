"""CLI subcommands of the departments: `seed` and `subgraph`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path(os.environ.get("JOINEDUP_DATA_DIR", "var"))
CONSENT_DB = "consent.db"


def register(sub: Any) -> None:
    seed = sub.add_parser("seed", help="fill every department's store with synthetic citizens")
    seed.add_argument("--citizens", type=int, default=10_000, help="how many (default 10,000)")
    seed.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
    seed.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    seed.set_defaults(handler=run_seed)

    serve = sub.add_parser("subgraph", help="serve one department's subgraph")
    serve.add_argument("name", help="identity, hmrc, dwp, nhs, dvla or council")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help="default: the department's fixed port")
    serve.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    serve.add_argument(
        "--gateway-key",
        type=Path,
        help="the gateway's Ed25519 public key (PEM) that signs grants "
        "(default <data-dir>/keys/gateway.pub)",
    )
    serve.add_argument(
        "--without-grants",
        action="store_true",
        help="answer requests that carry no gateway grant (benchmarks and local tooling only)",
    )
    serve.set_defaults(handler=run_subgraph)


def run_seed(args: argparse.Namespace) -> int:
    import sys
    import time

    from subgraphs.consent.records import load_purposes
    from subgraphs.consent.seed import seed_consents
    from subgraphs.people import people
    from subgraphs.registry import DEPARTMENTS
    from subgraphs.seed import seed_all

    if args.citizens < 1:
        raise SystemExit("joinedup seed: --citizens must be at least 1")
    seed_all(args.data_dir, args.citizens, args.seed, DEPARTMENTS)
    started = time.perf_counter()
    consent_db = args.data_dir / CONSENT_DB
    seed_consents(consent_db, people(args.citizens, args.seed), args.seed, load_purposes())
    took = time.perf_counter() - started
    print(f"seeded consents into {consent_db} in {took:.1f}s", file=sys.stderr)
    return 0


def run_subgraph(args: argparse.Namespace) -> int:
    from joinedup.serving import serve
    from subgraphs.app import create_app
    from subgraphs.registry import department

    try:
        dept = department(args.name)
    except KeyError as error:
        raise SystemExit(f"joinedup subgraph: {error.args[0]}") from None
    key = None
    if not args.without_grants:
        from joinedup.grants import load_public_key

        path = args.gateway_key or args.data_dir / "keys" / "gateway.pub"
        try:
            key = load_public_key(path)
        except (OSError, ValueError) as error:
            raise SystemExit(
                f"joinedup subgraph: cannot read the gateway's public key {path}: {error}; "
                "start the gateway once to create it, or pass --without-grants"
            ) from None
    app = create_app(dept, args.data_dir, key)
    serve(app, host=args.host, port=args.port or dept.port, log_level="warning")
    return 0
