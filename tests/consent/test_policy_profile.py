"""Profiles read from the store are exactly what the decision policy expects of a subject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import regorus

from federation.rego import compile_bundle, evaluate, read_bundle
from subgraphs.consent.records import rfc3339
from subgraphs.consent.store import ConsentStore

POLICIES = Path(__file__).resolve().parents[2] / "policies"
PURPOSE = "blue-badge-eligibility"


@pytest.fixture(scope="module")
def engine() -> regorus.Engine:
    return compile_bundle(read_bundle(POLICIES))


def _reasons(engine: regorus.Engine, subjects: dict[str, Any], now: datetime) -> dict[str, str]:
    decision = evaluate(
        engine,
        "data.joinedup.decision.result",
        {
            "client": {"id": "blue-badge-service"},
            "purpose": PURPOSE,
            "now": rfc3339(now),
            "fields": [],
            "subjects": subjects,
        },
    )
    return {key: value["reason"] for key, value in decision["subjects"].items()}


async def test_each_consent_state_gets_its_policy_reason(
    store: ConsentStore, engine: regorus.Engine
) -> None:
    citizens = {
        "given": "AB000001A",
        "withdrawn": "AB000002B",
        "refused": "AB000003C",
        "opted_out": "AB000004D",
        "expiring": "AB000005A",
        "unseen": "AB000006B",
    }
    soon = datetime.now(UTC) + timedelta(hours=1)

    async def give(nin: str, expires_at: datetime | None = None) -> None:
        await store.give(
            nin, PURPOSE, collection_method="web-portal", actor="citizen", expires_at=expires_at
        )

    await give(citizens["given"])
    await give(citizens["withdrawn"])
    await store.withdraw(citizens["withdrawn"], PURPOSE, actor="citizen")
    await store.refuse(citizens["refused"], PURPOSE, actor="citizen")
    await give(citizens["opted_out"])
    await store.set_opted_out(citizens["opted_out"], True, actor="citizen")
    await give(citizens["expiring"], soon)
    found = await store.read(list(citizens.values()))

    def subjects(now: datetime) -> dict[str, Any]:
        return {name: found[nin].profile(PURPOSE, now) for name, nin in citizens.items()}

    now = datetime.now(UTC)
    assert _reasons(engine, subjects(now), now) == {
        "given": "CONSENT_GIVEN",
        "withdrawn": "CONSENT_WITHDRAWN",
        "refused": "CONSENT_REFUSED",
        "opted_out": "OPTED_OUT",
        "expiring": "CONSENT_GIVEN",
        "unseen": "CONSENT_REQUIRED",
    }
    later = soon + timedelta(seconds=1)
    assert _reasons(engine, subjects(later), later)["expiring"] == "CONSENT_EXPIRED"
    # A profile taken before the expiry still expires by its timestamp in the policy.
    assert subjects(now)["expiring"]["consents"][PURPOSE]["state"] == "given"
    assert _reasons(engine, subjects(now), later)["expiring"] == "CONSENT_EXPIRED"
