"""CLI subcommand of the access service: `joinedup access-service`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path(os.environ.get("JOINEDUP_DATA_DIR", "var"))


def register(sub: Any) -> None:
    serve = sub.add_parser(
        "access-service", help="serve the access service (who used a citizen's data, outcomes)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4008, help="default 4008")
    serve.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    serve.add_argument(
        "--ledger", help="the gateway's ledger URL (default: sqlite:///<data-dir>/ledger.db)"
    )
    serve.add_argument(
        "--outcomes",
        help="outcome store URL (default: sqlite:///<data-dir>/access.db; postgresql://... also)",
    )
    serve.add_argument(
        "--gateway-key",
        type=Path,
        help="the gateway's public key (PEM): refuse requests without a grant it signed",
    )
    serve.set_defaults(handler=run_access_service)


def run_access_service(args: argparse.Namespace) -> int:
    import orjson

    from joinedup.grants import load_public_key
    from joinedup.serving import serve
    from subgraphs.access.app import create_app
    from subgraphs.consent.records import PURPOSES_FILE
    from subgraphs.consent.service import CLIENTS_FILE

    data_dir: Path = args.data_dir.resolve()
    gateway_key = None
    if args.gateway_key is not None:
        try:
            gateway_key = load_public_key(args.gateway_key)
        except (OSError, ValueError) as error:
            raise SystemExit(f"joinedup access-service: {error}") from None
    app = create_app(
        args.ledger or f"sqlite:///{data_dir / 'ledger.db'}",
        args.outcomes or f"sqlite:///{data_dir / 'access.db'}",
        orjson.loads(PURPOSES_FILE.read_bytes())["purposes"],
        orjson.loads(CLIENTS_FILE.read_bytes())["clients"],
        gateway_key,
    )
    serve(app, host=args.host, port=args.port, log_level="warning")
    return 0
