"""Policy engines: one interface over the embedded Rego engine and an OPA server.

Both evaluate the same `policies/` bundle's entrypoint
`data.joinedup.decision.result` and return it with the policy revision and a
decision id. Any failure — an engine error, a timeout, OPA unreachable, an
undefined result — raises `PolicyUnavailable`; the caller refuses every
consent-gated field (fail closed).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import orjson

from federation import rego

log = logging.getLogger("joinedup.policy")

ENTRYPOINT = "joinedup/decision/result"
DEFAULT_TIMEOUT = 0.25


@dataclass(frozen=True)
class Decision:
    """One evaluation: the policy's result, which revision made it, and its id."""

    result: dict[str, Any]
    revision: str
    decision_id: str


class PolicyUnavailable(Exception):
    """No decision could be had; consent-gated fields must be refused."""


class PolicyEngine(Protocol):
    @property
    def revision(self) -> str: ...

    @property
    def knows_revision(self) -> bool:
        """Whether `revision` is the one serving now, known without asking: only then may
        verdicts be cached under it."""
        ...

    async def decide(self, input: dict[str, Any]) -> Decision: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class _Compiled:
    revision: str
    engine: Any  # regorus.Engine


class EmbeddedPolicy:
    """Regorus in-process, reloading the policy directory when a file changes.

    A new revision is compiled and checked before it replaces the serving one,
    so an edit that does not compile leaves the last good revision serving
    and is reported in `last_error` and the log. A Regorus engine may only be
    used on the thread that made it, so the serving engine is compiled on first
    use (in the event loop's thread); construction only checks the bundle.
    """

    def __init__(self, root: Path, poll_interval: float = 1.0) -> None:
        self.root = root
        self.poll_interval = poll_interval
        self.last_error: str | None = None
        self._bundle = rego.read_bundle(root)
        self._compile(self._bundle)  # fail fast on a broken bundle at start-up
        self._current: _Compiled | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def revision(self) -> str:
        return self._bundle.revision

    @property
    def knows_revision(self) -> bool:
        return True  # the bundle digest of what this process compiled and serves

    @property
    def _serving(self) -> _Compiled:
        if self._current is None:
            self._current = self._compile(self._bundle)
        return self._current

    @staticmethod
    def _compile(bundle: rego.Bundle) -> _Compiled:
        engine = rego.compile_bundle(bundle)
        # Evaluate once so that errors the parser cannot see surface now, not per request.
        probe = {"client": {"id": ""}, "purpose": "", "fields": [], "subjects": {}, "now": ""}
        try:
            rego.evaluate(engine, "data." + ENTRYPOINT.replace("/", "."), probe)
        except RuntimeError as error:
            raise rego.PolicyError(rego.message(error)) from None
        return _Compiled(bundle.revision, engine)

    def reload(self) -> bool:
        """Load the directory again; True when a new revision now serves."""
        try:
            bundle = rego.read_bundle(self.root)
            if bundle.revision == self._bundle.revision:
                return False
            compiled = self._compile(bundle)
        except (rego.PolicyError, OSError) as error:
            if str(error) != self.last_error:
                log.error(
                    "policy reload failed, revision %s keeps serving: %s",
                    self._serving.revision,
                    error,
                )
            self.last_error = str(error)
            return False
        self._bundle, self._current, self.last_error = bundle, compiled, None
        log.info("policy revision %s now serving", compiled.revision)
        return True

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            self.reload()

    async def start(self) -> None:
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        self._current = None  # dropped on the thread that made it

    async def decide(self, input: dict[str, Any]) -> Decision:
        serving = self._serving
        try:
            result = rego.evaluate(serving.engine, "data." + ENTRYPOINT.replace("/", "."), input)
        except Exception as error:  # any engine failure means no decision
            raise PolicyUnavailable(f"policy evaluation failed: {error}") from None
        if not isinstance(result, dict):
            raise PolicyUnavailable("the policy gave no result")
        return Decision(result, serving.revision, str(uuid.uuid4()))


class OpaPolicy:
    """An OPA server over its REST Data API: `POST /v1/data/<path>` with `{"input": ...}`."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT, pool_size: int = 32) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None
        self._revision = "unknown"

    @property
    def revision(self) -> str:
        return self._revision

    @property
    def knows_revision(self) -> bool:
        # A server's revision is only learnt from its answers: a policy loaded after the last
        # one would be missed by verdicts cached under the old revision, so none are cached.
        return False

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                json_serialize=lambda value: orjson.dumps(value).decode(),
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def decide(self, input: dict[str, Any]) -> Decision:
        if self._session is None:
            await self.start()
        assert self._session is not None
        url = f"{self.url}/v1/data/{ENTRYPOINT}?provenance=true"
        body = orjson.dumps({"input": input})
        headers = {"content-type": "application/json"}
        # A pooled connection the server has since closed fails at once; a decision is
        # a pure read, so it is asked again once on a fresh connection.
        for attempt in (1, 2):
            try:
                async with self._session.post(url, data=body, headers=headers) as response:
                    raw = await response.read()
                    if response.status != 200:
                        raise PolicyUnavailable(f"OPA answered {response.status}: {raw[:200]!r}")
                    answer = orjson.loads(raw)
                break
            except PolicyUnavailable:
                raise
            except aiohttp.ServerDisconnectedError as error:
                if attempt == 2:
                    raise PolicyUnavailable(f"OPA is unavailable: {error}") from None
            except TimeoutError:
                raise PolicyUnavailable(
                    f"OPA did not answer within {self.timeout * 1000:.0f} ms"
                ) from None
            except (aiohttp.ClientError, orjson.JSONDecodeError, OSError) as error:
                raise PolicyUnavailable(f"OPA is unavailable: {error}") from None
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            raise PolicyUnavailable("OPA returned no result: is the policy bundle loaded?")
        self._revision = _revision(answer) or self._revision
        return Decision(result, self._revision, str(answer.get("decision_id") or uuid.uuid4()))


def _revision(answer: dict[str, Any]) -> str | None:
    """The bundle revision from OPA's provenance (`bundles.<name>.revision`)."""
    bundles = (answer.get("provenance") or {}).get("bundles") or {}
    revisions = sorted(str(b.get("revision")) for b in bundles.values() if b.get("revision"))
    return ",".join(revisions) or None


def engine_from_environment(policy_dir: Path, opa_url: str | None, timeout: float) -> PolicyEngine:
    """OPA when a URL is configured (production), the embedded engine otherwise."""
    if opa_url:
        return OpaPolicy(opa_url, timeout)
    return EmbeddedPolicy(policy_dir)
