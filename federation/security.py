"""What the gateway needs to authenticate callers, decide fields and record releases.

`SecurityConfig` is plain configuration; `open_enforcement` turns it into
open resources inside the running event loop (the policy engine, the consent
store, the ledger), and `close_enforcement` releases them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from federation.auth import Verifier, demo_verifier
from federation.enforce import Enforcement
from federation.ledger import open_ledger
from federation.policy import DEFAULT_TIMEOUT, engine_from_environment
from federation.registry import POLICY_DIR, load_clients
from federation.supergraph import Supergraph
from joinedup.grants import load_or_create_private_key
from subgraphs.consent.records import load_purposes
from subgraphs.consent.store import open_consent_store

log = logging.getLogger("joinedup.security")


@dataclass(frozen=True)
class SecurityConfig:
    verifier: Verifier
    clients: Mapping[str, Any]
    policy_dir: Path
    opa_url: str | None
    opa_timeout: float
    consent_store: str
    ledger: str | None
    signing_key: Path
    consent_url: str

    @classmethod
    def from_environment(
        cls,
        data_dir: Path = Path("var"),
        *,
        policy_dir: Path = POLICY_DIR,
        consent_store: str | None = None,
        ledger: str | None = None,
        signing_key: Path | None = None,
        verifier: Verifier | None = None,
    ) -> SecurityConfig:
        """Embedded defaults under `data_dir`, overridden by arguments and `OPA_URL`."""
        return cls(
            verifier=verifier or demo_verifier(),
            clients=load_clients(policy_dir),
            policy_dir=policy_dir,
            opa_url=os.environ.get("OPA_URL") or None,
            opa_timeout=float(os.environ.get("OPA_TIMEOUT", DEFAULT_TIMEOUT)),
            consent_store=consent_store or f"sqlite:///{data_dir / 'consent.db'}",
            ledger=ledger if ledger is not None else f"sqlite:///{data_dir / 'ledger.db'}",
            signing_key=signing_key or data_dir / "keys" / "gateway.pem",
            consent_url=os.environ.get("JOINEDUP_PORTAL_URL", "http://127.0.0.1:4000/portal")
            + "/consents",
        )


async def open_enforcement(config: SecurityConfig, supergraph: Supergraph) -> Enforcement:
    key = load_or_create_private_key(config.signing_key)
    engine = engine_from_environment(config.policy_dir, config.opa_url, config.opa_timeout)
    await engine.start()
    consents = await open_consent_store(config.consent_store, load_purposes())
    ledger = await open_ledger(config.ledger, key) if config.ledger else None
    where = config.opa_url or f"embedded, {config.policy_dir}"
    log.info("deciding with policy revision %s (%s)", engine.revision, where)
    return Enforcement(
        supergraph=supergraph,
        engine=engine,
        consents=consents,
        signing_key=key,
        ledger=ledger,
        consent_url=config.consent_url,
    )


async def close_enforcement(enforcement: Enforcement) -> None:
    if enforcement.ledger is not None:
        await enforcement.ledger.close()
    await enforcement.consents.close()
    await enforcement.engine.close()
