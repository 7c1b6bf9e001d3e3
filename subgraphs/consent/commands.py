"""CLI subcommand of the consent service: `joinedup consent-service`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path(os.environ.get("JOINEDUP_DATA_DIR", "var"))
RECEIPT_KEY = Path("keys") / "consent-receipts.pem"


def register(sub: Any) -> None:
    serve = sub.add_parser(
        "consent-service", help="serve the consent service (citizens' choices and receipts)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4007, help="default 4007")
    serve.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    serve.add_argument(
        "--store-url",
        help="consent store URL (default: sqlite:///<data-dir>/consent.db; postgresql://... also)",
    )
    serve.add_argument(
        "--gateway-key",
        type=Path,
        help="the gateway's public key (PEM): refuse requests without a grant it signed",
    )
    serve.set_defaults(handler=run_consent_service)


def store_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'consent.db').resolve()}"


def run_consent_service(args: argparse.Namespace) -> int:
    import orjson

    from joinedup.grants import load_or_create_private_key, load_public_key
    from joinedup.serving import serve
    from subgraphs.consent.app import create_app
    from subgraphs.consent.records import PURPOSES_FILE
    from subgraphs.consent.service import CLIENTS_FILE

    data_dir: Path = args.data_dir
    receipt_key = load_or_create_private_key(data_dir / RECEIPT_KEY)
    gateway_key = None
    if args.gateway_key is not None:
        try:
            gateway_key = load_public_key(args.gateway_key)
        except (OSError, ValueError) as error:
            raise SystemExit(f"joinedup consent-service: {error}") from None
    app = create_app(
        args.store_url or store_url(data_dir),
        orjson.loads(PURPOSES_FILE.read_bytes())["purposes"],
        orjson.loads(CLIENTS_FILE.read_bytes())["clients"],
        receipt_key,
        gateway_key,
    )
    serve(app, host=args.host, port=args.port, log_level="warning")
    return 0
