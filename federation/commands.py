"""CLI subcommands of the gateway: `gateway`, `compose`, `plan`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from graphql import GraphQLError, parse, validate

from federation.app import create_app
from federation.auth import Verifier
from federation.compose import CompositionError, compose_from_urls
from federation.fetch_fields import SUBJECT_TYPE
from federation.gateway import Gateway
from federation.plan import PlanningError, format_plan
from federation.registry import POLICY_DIR
from federation.security import SecurityConfig
from federation.supergraph import SupergraphError, parse_supergraph
from joinedup.serving import serve

logger = logging.getLogger("joinedup.gateway")

COMPOSE_ATTEMPTS = 6
FIRST_RETRY_DELAY = 0.5  # seconds; doubles after each failed attempt


class CommandError(Exception):
    """A failure the command reports in one line, without a traceback."""


def register(sub: Any) -> None:
    """Add the gateway's subcommands to the `joinedup` parser."""
    gateway = sub.add_parser(
        "gateway",
        help="serve the federated gateway",
        description="Compose the subgraphs (or read a supergraph) and serve the gateway.",
    )
    _add_sources(gateway)
    gateway.add_argument("--host", default="127.0.0.1", help="address to listen on")
    gateway.add_argument("--port", type=int, default=4000, help="port to listen on")
    gateway.add_argument(
        "--compose-attempts",
        type=_positive_int,
        default=COMPOSE_ATTEMPTS,
        metavar="N",
        help="tries to reach the subgraphs at start-up, with a doubling pause between "
        f"(default {COMPOSE_ATTEMPTS})",
    )
    gateway.add_argument(
        "--subgraph-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long one subgraph request may take (default 10)",
    )
    gateway.add_argument("--access-log", action="store_true", help="log every request")
    gateway.add_argument(
        "--authorization",
        choices=("on", "off"),
        default="on",
        help="decide every field by policy on consent (default on); `off` suits only graphs "
        "that hold no personal data, such as conformance suites and benchmarks",
    )
    gateway.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("JOINEDUP_DATA_DIR", "var")),
        help="where the embedded consent store, ledger and keys live (default var)",
    )
    gateway.add_argument("--policies", type=Path, help="the policy directory (default policies/)")
    gateway.add_argument("--consent-store", metavar="URL", help="sqlite:///... or postgresql://...")
    gateway.add_argument(
        "--ledger",
        metavar="URL",
        help="sqlite:///... or postgresql://... (default <data-dir>/ledger.db); "
        "`off` records nothing, for benchmarks only",
    )
    gateway.add_argument("--signing-key", type=Path, help="the gateway's Ed25519 key (PEM)")
    gateway.add_argument(
        "--jwks", type=Path, help="verify RS256 client tokens with this JWKS file, not HS256"
    )
    gateway.set_defaults(handler=run_gateway)

    compose = sub.add_parser(
        "compose",
        help="compose subgraphs into a supergraph SDL",
        description="Fetch each subgraph's SDL and print the composed supergraph.",
    )
    compose.add_argument(
        "--subgraph",
        action="append",
        required=True,
        metavar="NAME=URL",
        type=subgraph_argument,
        help="a subgraph's name and GraphQL URL (repeat for each subgraph)",
    )
    compose.add_argument("-o", "--output", type=Path, help="write the SDL here, not to stdout")
    compose.set_defaults(handler=run_compose)

    plan = sub.add_parser(
        "plan",
        help="print the query plan of an operation",
        description="Plan an operation against a supergraph and print the plan.",
    )
    plan.add_argument("query", help="the GraphQL operation text")
    plan.add_argument("--operation-name", help="which operation of the document to plan")
    _add_sources(plan)
    plan.set_defaults(handler=run_plan)


def _add_sources(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--subgraph",
        action="append",
        metavar="NAME=URL",
        type=subgraph_argument,
        help="compose from this subgraph's name and GraphQL URL (repeat for each subgraph)",
    )
    source.add_argument("--supergraph", type=Path, metavar="FILE", help="a supergraph SDL file")


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def subgraph_argument(value: str) -> tuple[str, str]:
    """`NAME=URL` → (name, GraphQL URL); a bare base URL gets `/graphql` appended."""
    name, sep, url = value.partition("=")
    name, url = name.strip(), url.strip()
    parts = urlsplit(url)
    if not sep or not name or parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            f"expected NAME=URL with an http(s) URL, e.g. hmrc=http://127.0.0.1:4002/graphql; "
            f"got {value!r}"
        )
    if parts.path in ("", "/"):
        url = url.rstrip("/") + "/graphql"
    return name, url


def _subgraph_map(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    subgraphs: dict[str, str] = {}
    for name, url in pairs:
        if name in subgraphs:
            raise CommandError(f"subgraph {name!r} is given twice")
        subgraphs[name] = url
    return subgraphs


def run_compose(args: argparse.Namespace) -> int:
    return _reporting(lambda: _compose(args))


def _compose(args: argparse.Namespace) -> None:
    sdl = asyncio.run(compose_with_retries(_subgraph_map(args.subgraph), attempts=1))
    if args.output is None:
        sys.stdout.write(sdl)
        return
    try:
        args.output.write_text(sdl, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror}") from None


def run_plan(args: argparse.Namespace) -> int:
    return _reporting(lambda: _plan(args))


def _plan(args: argparse.Namespace) -> None:
    gateway = Gateway.from_supergraph_sdl(_supergraph(args, attempts=1))
    try:
        document = parse(args.query)
    except GraphQLError as error:
        raise CommandError(f"the query does not parse: {error}") from None
    errors = validate(gateway.api_schema, document)
    if errors:
        raise CommandError("the query is not valid:\n" + "\n".join(f"  {e}" for e in errors))
    plan = gateway.plan(document, args.operation_name, cache_key=args.query)
    print(format_plan(plan))


def run_gateway(args: argparse.Namespace) -> int:
    return _reporting(lambda: _serve(args))


def _serve(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    security = _security(args)
    gateway = Gateway(
        parse_supergraph(_supergraph(args, attempts=args.compose_attempts)),
        subgraph_timeout=args.subgraph_timeout,
        subject_types=frozenset({SUBJECT_TYPE}) if security is not None else frozenset(),
    )
    app = create_app(gateway, security=security)
    logger.info("gateway on http://%s:%d/graphql", args.host, args.port)
    serve(app, host=args.host, port=args.port, log_level="info", access_log=args.access_log)


def _security(args: argparse.Namespace) -> SecurityConfig | None:
    if args.authorization == "off":
        logger.warning("--authorization off: no token is checked and no field is decided by policy")
        return None
    verifier = None
    if args.jwks is not None:
        try:
            verifier = Verifier(jwks=orjson.loads(args.jwks.read_bytes()))
        except (OSError, orjson.JSONDecodeError, ValueError) as error:
            raise CommandError(f"cannot read the JWKS {args.jwks}: {error}") from None
    ledger = args.ledger
    if ledger == "off":
        logger.warning("--ledger off: releases and refusals are not recorded")
        ledger = ""
    return SecurityConfig.from_environment(
        args.data_dir,
        policy_dir=args.policies or POLICY_DIR,
        consent_store=args.consent_store,
        ledger=ledger,
        signing_key=args.signing_key,
        verifier=verifier,
    )


def _supergraph(args: argparse.Namespace, *, attempts: int) -> str:
    if args.supergraph is not None:
        try:
            return str(args.supergraph.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"cannot read {args.supergraph}: {error.strerror}") from None
    return asyncio.run(compose_with_retries(_subgraph_map(args.subgraph), attempts=attempts))


async def compose_with_retries(
    subgraphs: Mapping[str, str],
    *,
    attempts: int = COMPOSE_ATTEMPTS,
    first_delay: float = FIRST_RETRY_DELAY,
) -> str:
    """Compose from live subgraphs, retrying while they are unreachable (they may be starting).

    Composition errors are not retried: the subgraphs answered, and what they said is wrong.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await compose_from_urls(subgraphs)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            if attempt == attempts:
                raise CommandError(
                    f"could not fetch the subgraphs' SDL after {attempts} attempt(s): "
                    f"{_describe(error)}"
                ) from None
            logger.warning("subgraphs not ready (%s); retrying in %.1fs", _describe(error), delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _reporting(step: Callable[[], None]) -> int:
    """Run a command step; known failures print one line to stderr and exit 1."""
    try:
        step()
    except CommandError as error:
        print(f"joinedup: {error}", file=sys.stderr)
        return 1
    except CompositionError as error:
        print(f"joinedup: composition failed:\n{error}", file=sys.stderr)
        return 1
    except SupergraphError as error:
        print(f"joinedup: the supergraph cannot be read: {error}", file=sys.stderr)
        return 1
    except PlanningError as error:
        print(f"joinedup: the operation cannot be planned: {error}", file=sys.stderr)
        return 1
    return 0
