"""CLI subcommands for auditors: `joinedup ledger verify` and `joinedup ledger show`."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from federation.ledger import LedgerEntry, entries_for_subject, latest_entries, verify

DEFAULT_LEDGER = "sqlite:///var/ledger.db"
DEFAULT_PUBLIC_KEY = Path("var/keys/gateway.pub")
# What a wrong path, URL, key or database can raise: reported in one line, not a traceback.
_FAILURES = (OSError, ValueError, sqlite3.Error, asyncpg.PostgresError)


def register(sub: Any) -> None:
    ledger = sub.add_parser("ledger", help="check and read the access ledger")
    actions = ledger.add_subparsers(dest="action", required=True, metavar="ACTION")

    check = actions.add_parser("verify", help="recompute the hash chain and check its signatures")
    check.add_argument("--ledger", default=DEFAULT_LEDGER, help=f"default {DEFAULT_LEDGER}")
    check.add_argument(
        "--public-key",
        type=Path,
        default=DEFAULT_PUBLIC_KEY,
        help=f"the gateway's Ed25519 public key (PEM), default {DEFAULT_PUBLIC_KEY}",
    )
    check.set_defaults(handler=run_verify)

    show = actions.add_parser("show", help="print the latest entries, oldest of them first")
    show.add_argument("--ledger", default=DEFAULT_LEDGER, help=f"default {DEFAULT_LEDGER}")
    show.add_argument("--subject", help="only entries about this citizen (NIN)")
    show.add_argument("--last", type=_count, default=20, help="how many entries (default 20)")
    show.set_defaults(handler=run_show)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("--last must be between 1 and 1000")
    return value


def _shown(url: str) -> str:
    """The URL without its password, whether in its user part or its query string."""
    parts = urlsplit(url)
    if parts.password is not None:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        parts = parts._replace(netloc=netloc)
    if parts.query:
        query = [
            (k, "***" if k.lower() == "password" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        parts = parts._replace(query=urlencode(query, safe="*"))
    return urlunsplit(parts)


def run_verify(args: argparse.Namespace) -> int:
    from joinedup.grants import load_public_key

    try:
        key = load_public_key(args.public_key)
        report = asyncio.run(verify(args.ledger, key))
    except _FAILURES as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    name = _shown(args.ledger)
    if report.ok:
        print(f"{name}: intact, {report.entries} entries, {report.checkpoints} signed checkpoints")
        unsigned = report.entries - report.attested
        if unsigned:
            # The chain alone cannot show a rewritten or dropped tail: say how much that is.
            print(
                f"{unsigned} entries after #{report.attested} are not yet covered by a signed"
                " checkpoint: compare the newest entry with one published elsewhere"
            )
        return 0
    print(f"{name}: NOT intact: {report.problem}")
    print(f"first bad entry: {report.first_bad_sequence}")
    print(f"entries checked before it: {report.entries}")
    return 1


def run_show(args: argparse.Namespace) -> int:
    try:
        if args.subject:
            found = asyncio.run(entries_for_subject(args.ledger, args.subject, first=args.last))
        else:
            found = asyncio.run(latest_entries(args.ledger, first=args.last))
    except _FAILURES as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not found:
        print("no entries")
    for entry in reversed(found):
        print(describe(entry))
    return 0


def describe(entry: LedgerEntry) -> str:
    released = ", ".join(entry.released) or "-"
    refused = ", ".join(f"{coordinate} ({reason})" for coordinate, reason in entry.refused) or "-"
    at = entry.at.strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"#{entry.sequence} {at} {entry.department} for {entry.client_id}"
        f" ({entry.organisation}), purpose {entry.purpose}, subject {entry.subject or '-'},"
        f" request {entry.request_id}\n    released: {released}\n    refused: {refused}"
    )
