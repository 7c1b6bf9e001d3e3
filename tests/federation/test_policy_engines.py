"""Both policy engines give the same decisions; every failure fails closed."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from federation.policy import EmbeddedPolicy, OpaPolicy, PolicyUnavailable
from tests.opa_server import Knobs, opa_app
from tests.servers import serve

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _step(**overrides: Any) -> dict[str, Any]:
    step = {
        "client": {"id": "blue-badge-service"},
        "purpose": "blue-badge-eligibility",
        "now": "2026-11-21T12:00:00Z",
        "fields": [
            {
                "key": "Citizen.drivingLicence",
                "department": "dvla",
                "category": "user.government_id.drivers_license_number",
                "sensitivity": "PERSONAL",
            },
            {
                "key": "Citizen.taxCode",
                "department": "hmrc",
                "category": "user.financial.tax.code",
                "sensitivity": "PERSONAL",
            },
        ],
        "subjects": {
            "given": {
                "self": False,
                "opted_out": False,
                "consents": {"blue-badge-eligibility": {"state": "given"}},
            },
            "withdrawn": {
                "self": False,
                "opted_out": False,
                "consents": {"blue-badge-eligibility": {"state": "withdrawn"}},
            },
        },
    }
    return {**step, **overrides}


EXPECTED = {
    "fields": {
        "Citizen.drivingLicence": {"allow": True, "reason": "IN_PURPOSE", "obligations": []},
        "Citizen.taxCode": {"allow": False, "reason": "CATEGORY_NOT_IN_PURPOSE", "obligations": []},
    },
    "subjects": {
        "given": {"allow": True, "reason": "CONSENT_GIVEN"},
        "withdrawn": {"allow": False, "reason": "CONSENT_WITHDRAWN"},
    },
}


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(POLICIES, tmp_path / "policies"))


@pytest.fixture
def opa(policy_copy: Path) -> Iterator[tuple[str, Knobs]]:
    knobs = Knobs()
    with serve(opa_app(policy_copy, knobs)) as url:
        yield url, knobs


async def test_embedded_engine_decides() -> None:
    engine = EmbeddedPolicy(POLICIES)
    decision = await engine.decide(_step())
    assert decision.result == EXPECTED
    assert decision.revision == engine.revision
    assert decision.decision_id


async def test_opa_server_gives_the_same_decision(opa: tuple[str, Knobs]) -> None:
    url, knobs = opa
    engine = OpaPolicy(url, timeout=5)
    try:
        decision = await engine.decide(_step())
        again = await engine.decide(_step())
    finally:
        await engine.close()
    assert decision.result == EXPECTED
    assert decision.revision == EmbeddedPolicy(POLICIES).revision
    assert decision.decision_id != again.decision_id
    assert knobs.calls == 2


async def test_opa_timeout_fails_closed(opa: tuple[str, Knobs]) -> None:
    url, knobs = opa
    knobs.delay = 1.0
    engine = OpaPolicy(url, timeout=0.1)
    try:
        with pytest.raises(PolicyUnavailable, match="100 ms"):
            await engine.decide(_step())
    finally:
        await engine.close()


async def test_opa_error_status_fails_closed(opa: tuple[str, Knobs]) -> None:
    url, knobs = opa
    knobs.status = 500
    engine = OpaPolicy(url, timeout=5)
    try:
        with pytest.raises(PolicyUnavailable, match="500"):
            await engine.decide(_step())
    finally:
        await engine.close()


async def test_opa_refusing_connections_fails_closed() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = OpaPolicy(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(PolicyUnavailable, match="unavailable"):
            await engine.decide(_step())
    finally:
        await engine.close()


async def test_opa_without_the_policy_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "other.rego").write_text("package other\n\nimport rego.v1\n\nx := 1\n")
    with serve(opa_app(tmp_path, Knobs())) as url:
        engine = OpaPolicy(url, timeout=5)
        try:
            with pytest.raises(PolicyUnavailable, match="no result"):
                await engine.decide(_step())
        finally:
            await engine.close()


async def test_embedded_engine_error_fails_closed() -> None:
    engine = EmbeddedPolicy(POLICIES)
    expiring = {
        "self": False,
        "opted_out": False,
        "consents": {"blue-badge-eligibility": {"state": "given", "expires_at": "not a time"}},
    }
    with pytest.raises(PolicyUnavailable):
        await engine.decide(_step(subjects={"p": expiring}))


async def test_edits_reload_and_broken_edits_keep_the_last_good_revision(
    policy_copy: Path,
) -> None:
    engine = EmbeddedPolicy(policy_copy)
    first = engine.revision
    purposes = policy_copy / "data" / "purposes.json"
    registry = orjson.loads(purposes.read_bytes())
    registry["purposes"]["blue-badge-eligibility"]["lawful_basis"] = "public_task"
    purposes.write_bytes(orjson.dumps(registry))
    assert engine.reload() is True
    assert engine.revision != first
    decision = await engine.decide(_step())
    assert decision.result["subjects"]["withdrawn"]["reason"] == "LAWFUL_BASIS_PUBLIC_TASK"
    good = engine.revision

    decision_file = policy_copy / "joinedup" / "decision.rego"
    decision_file.write_text(decision_file.read_text() + "\nbroken if {\n")
    assert engine.reload() is False
    assert engine.revision == good
    assert engine.last_error is not None and "decision.rego" in engine.last_error
    assert (await engine.decide(_step())).revision == good
