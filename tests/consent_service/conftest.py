"""The consent service served over real HTTP, on SQLite and on a real PostgreSQL.

Each engine gets one server for the whole run (PostgreSQL in a schema named
for the run, dropped afterwards); every test works on citizens of its own,
so tests never see each other's changes.
"""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from joinedup import grants
from subgraphs.consent.app import create_app
from subgraphs.consent.records import PURPOSES_FILE, load_purposes
from subgraphs.consent.service import CLIENTS_FILE
from subgraphs.consent.store import ConsentStore, open_consent_store
from tests.consent.conftest import postgres_schema
from tests.servers import serve

RECEIPT_KEY = Ed25519PrivateKey.generate()
GATEWAY_KEY = Ed25519PrivateKey.generate()
PURPOSES: dict[str, Any] = orjson.loads(PURPOSES_FILE.read_bytes())["purposes"]
CLIENTS: dict[str, Any] = orjson.loads(CLIENTS_FILE.read_bytes())["clients"]

_numbers = itertools.count(random.randrange(0, 900_000))


def new_nin() -> str:
    """A citizen no other test has used in this run."""
    return f"AB{next(_numbers) % 1_000_000:06d}C"


def grant_token(
    *, citizen: str | None = None, client: str = "citizen-portal", allow: Any = None
) -> str:
    grant = grants.Grant(
        client=client,
        purpose="citizen-access",
        decision_id="d-test",
        department="consent",
        subjects=allow or {},
        citizen=citizen,
    )
    return grants.sign(grant, GATEWAY_KEY)


class Service:
    """One running consent service: its URL, its app, and a way to post GraphQL to it."""

    def __init__(self, engine: str, url: str, app: Any, store_url: str) -> None:
        self.engine = engine
        self.url = url
        self.app = app
        self.store_url = store_url
        self.session: aiohttp.ClientSession | None = None

    @property
    def store_queries(self) -> int:
        count: int = self.app.state.store.queries
        return count

    @property
    def all_queries(self) -> int:
        """Statements sent by the consent store and the service's own tables together."""
        count: int = self.app.state.store.queries + self.app.state.requests.queries
        return count

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        citizen: str | None = None,
        client: str | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if token is None and (citizen or client):
            token = grant_token(citizen=citizen, client=client or "citizen-portal")
        if token is not None:
            headers[grants.HEADER] = token
        assert self.session is not None
        body = orjson.dumps({"query": query, "variables": variables or {}})
        async with self.session.post(f"{self.url}/graphql", data=body, headers=headers) as resp:
            return resp.status, orjson.loads(await resp.read())

    async def run(self, query: str, variables: dict[str, Any] | None = None, **who: Any) -> Any:
        """The response of a request that must succeed at the HTTP level."""
        status, payload = await self.post(query, variables, **who)
        assert status == 200, payload
        return payload


@contextlib.contextmanager
def serving(
    engine: str,
    store_url: str,
    gateway: bool = False,
    *,
    purposes: dict[str, Any] | None = None,
    receipt_key: Ed25519PrivateKey = RECEIPT_KEY,
) -> Iterator[Service]:
    """A consent service on `store_url`; several may share one database, like replicas."""
    key = GATEWAY_KEY.public_key() if gateway else None
    app = create_app(store_url, purposes or PURPOSES, CLIENTS, receipt_key, key)
    with serve(app) as url:
        yield Service(engine, url, app, store_url)


@pytest.fixture(scope="session")
def sqlite_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    path: Path = tmp_path_factory.mktemp("consent-service") / "consent.db"
    with serving("sqlite", f"sqlite:///{path}") as running:
        yield running


@pytest.fixture(scope="session")
async def postgresql_service() -> AsyncIterator[Service]:
    async with postgres_schema() as url:
        with serving("postgresql", url) as running:
            yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def running(request: pytest.FixtureRequest) -> Service:
    service: Service = request.getfixturevalue(f"{request.param}_service")
    return service


@pytest.fixture
async def consent(running: Service) -> AsyncIterator[Service]:
    """The consent service on each engine, with an HTTP session for this test."""
    async with aiohttp.ClientSession() as session:
        running.session = session
        yield running
        running.session = None


@pytest.fixture
async def store(consent: Service) -> AsyncIterator[ConsentStore]:
    """Another store on the service's database, as a second process would open it."""
    opened = await open_consent_store(consent.store_url, load_purposes())
    yield opened
    await opened.close()


ENTITY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { %s } } }"""


async def citizen(consent: Service, nin: str, fields: str) -> dict[str, Any]:
    """One citizen's fields, fetched the way the gateway does (`_entities`)."""
    payload = await consent.run(ENTITY % fields, {"r": [{"__typename": "Citizen", "nin": nin}]})
    assert "errors" not in payload, payload
    entity: dict[str, Any] = payload["data"]["_entities"][0]
    return entity


async def version_and_history(consent: Service, nin: str) -> tuple[int, list[str]]:
    """What a refused change must leave untouched: the version and every history hash."""
    found = await citizen(consent, nin, "consentVersion consentHistory { hash }")
    return found["consentVersion"], [e["hash"] for e in found["consentHistory"]]


def error_code(payload: Any) -> str:
    assert payload.get("errors"), payload
    code: str = payload["errors"][0]["extensions"]["code"]
    return code


async def execute_raw(consent: Service, sql: str) -> None:
    """Change the database behind the service's back (to set up what time alone would)."""
    if consent.engine == "sqlite":
        import aiosqlite

        async with aiosqlite.connect(consent.store_url.removeprefix("sqlite:///")) as connection:
            await connection.execute(sql)
            await connection.commit()
        return
    import asyncpg

    connection = await asyncpg.connect(consent.store_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
