"""The decide stage: one policy call per step, deduplicated, cached by content, fail closed."""

from __future__ import annotations

import itertools
import shutil
import socket
from pathlib import Path
from typing import Any

import orjson
import pytest

from federation import rego
from federation.auth import Caller
from federation.decide import DecisionCache, FieldInfo, decide_step
from federation.policy import Decision, EmbeddedPolicy, OpaPolicy
from tests.opa_server import Knobs, opa_app
from tests.servers import serve

POLICIES = Path(__file__).resolve().parents[2] / "policies"
CALLER = Caller("blue-badge-service", "Leeds City Council", "blue-badge-eligibility")


class Counting:
    """A real engine, counting the calls made to it."""

    def __init__(self, engine: EmbeddedPolicy) -> None:
        self.engine = engine
        self.calls: list[dict[str, Any]] = []

    @property
    def revision(self) -> str:
        return self.engine.revision

    @property
    def knows_revision(self) -> bool:
        return self.engine.knows_revision

    async def decide(self, input: dict[str, Any]) -> Decision:
        self.calls.append(input)
        return await self.engine.decide(input)

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def _profile(state: str | None, opted_out: bool = False) -> dict[str, Any]:
    consents = {} if state is None else {"blue-badge-eligibility": {"state": state}}
    return {"self": False, "opted_out": opted_out, "consents": consents}


CATEGORIES = [
    ("identity", "user.name.first", "PERSONAL"),
    ("identity", "user.contact.address.postal_code", "PERSONAL"),
    ("dvla", "user.government_id.drivers_license_number", "PERSONAL"),
    ("nhs", "user.health_and_medical.condition", "SPECIAL"),
    ("hmrc", "user.financial.tax.code", "PERSONAL"),
    ("nhs", "public.gp_practice.name", "PUBLIC"),
]
FIELDS = [FieldInfo(f"Type{i}.field{i}", *CATEGORIES[i % len(CATEGORIES)]) for i in range(30)]
STATES = [_profile("given"), _profile("withdrawn"), _profile(None), _profile("given", True)]
PROFILES = {f"AB{i:06d}A": STATES[i % len(STATES)] for i in range(50)}


async def test_fifty_subjects_thirty_fields_is_one_call_of_distinct_pairs() -> None:
    engine = Counting(EmbeddedPolicy(POLICIES))
    step = await decide_step(engine, CALLER, FIELDS, PROFILES)
    assert len(engine.calls) == 1
    sent = engine.calls[0]
    assert len(sent["fields"]) == len(CATEGORIES)
    assert len(sent["subjects"]) == len(STATES)
    assert step.evaluated == len(CATEGORIES) + len(STATES)
    given, withdrawn, none, opted_out = (f"AB{i:06d}A" for i in range(4))
    licence = "Type2.field2"
    assert step.verdicts[given][licence].reason == "CONSENT_GIVEN"
    assert step.verdicts[withdrawn][licence].reason == "CONSENT_WITHDRAWN"
    assert step.verdicts[none][licence].reason == "CONSENT_REQUIRED"
    assert step.verdicts[opted_out][licence].reason == "OPTED_OUT"
    assert step.verdicts[given]["Type4.field4"].reason == "CATEGORY_NOT_IN_PURPOSE"
    assert step.verdicts[opted_out]["Type5.field5"].reason == "PUBLIC_DATA"
    assert step.allowed(given) == {
        f.coordinate for f in FIELDS if f.category not in {"user.financial.tax.code"}
    }
    assert step.allowed(withdrawn) == {f.coordinate for f in FIELDS if f.sensitivity == "PUBLIC"}


async def test_verdicts_agree_with_the_policy_pair_rule() -> None:
    engine = EmbeddedPolicy(POLICIES)
    fields = [FieldInfo(f"T.f{i}", *c) for i, c in enumerate(CATEGORIES)]
    profiles = {f"S{i}": p for i, p in enumerate(STATES)}
    step = await decide_step(engine, CALLER, fields, profiles)
    direct = rego.compile_bundle(rego.read_bundle(POLICIES))
    base = {
        "client": {"id": CALLER.client_id},
        "purpose": CALLER.purpose,
        "now": "2026-11-21T00:00:00Z",
    }
    for (subject, profile), field in itertools.product(profiles.items(), fields):
        direct.set_input_json(orjson.dumps(base).decode())
        as_input = {
            "key": "k",
            "department": field.department,
            "category": field.category,
            "sensitivity": field.sensitivity,
        }
        arguments = f"{orjson.dumps(profile).decode()}, {orjson.dumps(as_input).decode()}"
        query = f"x := data.joinedup.decision.pair({arguments})"
        expected = direct.eval_query(query)["result"][0]["bindings"]["x"]
        verdict = step.verdicts[subject][field.coordinate]
        assert (verdict.allow, verdict.reason, list(verdict.obligations)) == (
            expected["allow"],
            expected["reason"],
            expected["obligations"],
        )


async def test_cache_hits_skip_the_engine_and_a_consent_change_is_a_new_key() -> None:
    engine = Counting(EmbeddedPolicy(POLICIES))
    cache = DecisionCache()
    first = await decide_step(engine, CALLER, FIELDS, PROFILES, cache)
    again = await decide_step(engine, CALLER, FIELDS, PROFILES, cache)
    assert len(engine.calls) == 1 and again.evaluated == 0
    # Answered from the cache, the step is still a decision of its own for grants and the ledger.
    assert again.decision_id and again.decision_id != first.decision_id
    changed = {**PROFILES, "AB000000A": _profile("refused")}
    step = await decide_step(engine, CALLER, FIELDS, changed, cache)
    assert len(engine.calls) == 2
    assert engine.calls[1]["fields"] == [] and len(engine.calls[1]["subjects"]) == 1
    assert step.verdicts["AB000000A"]["Type2.field2"].reason == "CONSENT_REFUSED"


async def test_a_new_policy_revision_is_never_served_from_the_cache(tmp_path: Path) -> None:
    policies = Path(shutil.copytree(POLICIES, tmp_path / "policies"))
    engine = Counting(EmbeddedPolicy(policies))
    cache = DecisionCache()
    await decide_step(engine, CALLER, FIELDS, PROFILES, cache)
    purposes = policies / "data" / "purposes.json"
    registry = orjson.loads(purposes.read_bytes())
    categories = registry["purposes"]["blue-badge-eligibility"]["categories"]
    categories.remove("user.government_id.drivers_license_number")
    purposes.write_bytes(orjson.dumps(registry))
    assert engine.engine.reload()
    step = await decide_step(engine, CALLER, FIELDS, PROFILES, cache)
    assert len(engine.calls) == 2
    assert step.verdicts["AB000000A"]["Type2.field2"].reason == "CATEGORY_NOT_IN_PURPOSE"


async def test_fields_without_a_category_are_refused() -> None:
    fields = [FieldInfo("Citizen.secret", "identity", None, None), *FIELDS[:2]]
    step = await decide_step(EmbeddedPolicy(POLICIES), CALLER, fields, {"AB000000A": STATES[0]})
    assert step.verdicts["AB000000A"]["Citizen.secret"].reason == "NO_DATA_CATEGORY"
    assert step.verdicts["AB000000A"]["Type0.field0"].allow


async def test_policy_unavailable_refuses_everything() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = OpaPolicy(f"http://127.0.0.1:{port}")
    try:
        step = await decide_step(engine, CALLER, FIELDS, PROFILES)
    finally:
        await engine.close()
    assert all(
        v.reason == "POLICY_UNAVAILABLE" and not v.allow
        for per_field in step.verdicts.values()
        for v in per_field.values()
    )
    assert set(step.verdicts) == set(PROFILES)


class Answering(Counting):
    """A real engine whose results are altered on the way back, as a faulty server might."""

    def __init__(self, engine: EmbeddedPolicy, alter: Any) -> None:
        super().__init__(engine)
        self.alter = alter

    async def decide(self, input: dict[str, Any]) -> Decision:
        decision = await super().decide(input)
        self.alter(decision.result)
        return decision


def _allow_as_text(result: dict[str, Any]) -> None:
    for verdict in result["subjects"].values():
        verdict["allow"] = "false" if not verdict["allow"] else "true"


def _reason_as_number(result: dict[str, Any]) -> None:
    next(iter(result["fields"].values()))["reason"] = 7


def _obligations_as_text(result: dict[str, Any]) -> None:
    next(iter(result["fields"].values()))["obligations"] = "year_only"


@pytest.mark.parametrize(
    "alter",
    [_allow_as_text, _reason_as_number, _obligations_as_text],
    ids=["allow-as-text", "reason-as-number", "obligations-as-text"],
)
async def test_a_malformed_result_refuses_everything(alter: Any) -> None:
    engine = Answering(EmbeddedPolicy(POLICIES), alter)
    step = await decide_step(engine, CALLER, FIELDS, PROFILES)
    assert all(
        v.reason == "POLICY_UNAVAILABLE" and not v.allow
        for per_field in step.verdicts.values()
        for v in per_field.values()
    )


_KEPT_ALIVE: list[Any] = []


async def test_an_opa_servers_new_policy_decides_the_very_next_step(tmp_path: Path) -> None:
    # The gateway learns an OPA server's revision only from its answers: verdicts it cached
    # would outlive a policy the server loaded since, so the next step must ask again.
    changed = tmp_path / "policies"
    shutil.copytree(POLICIES, changed)
    purposes_file = changed / "data" / "purposes.json"
    purposes = orjson.loads(purposes_file.read_bytes())
    purposes["purposes"]["blue-badge-eligibility"]["categories"].remove("user.name")
    purposes_file.write_bytes(orjson.dumps(purposes))
    apps, serving = [opa_app(POLICIES, Knobs()), opa_app(changed, Knobs())], [0]
    # A Regorus engine must not be dropped on a thread other than the one that made it (the
    # server's): these live on until the interpreter exits.
    _KEPT_ALIVE.extend(apps)

    async def server(scope: Any, receive: Any, send: Any) -> None:
        await apps[serving[0]](scope, receive, send)

    with serve(server) as url:
        engine = OpaPolicy(url)
        await engine.start()
        try:
            cache = DecisionCache()
            for _ in range(2):  # the second time the revision is known, and could be cached
                before = await decide_step(engine, CALLER, FIELDS, PROFILES, cache)
            serving[0] = 1
            after = await decide_step(engine, CALLER, FIELDS, PROFILES, cache)
        finally:
            await engine.close()
    assert before.verdicts["AB000000A"]["Type0.field0"].allow
    assert after.verdicts["AB000000A"]["Type0.field0"].reason == "CATEGORY_NOT_IN_PURPOSE"
