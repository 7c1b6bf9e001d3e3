"""Decide: which fields of one fetch step may be released about which subjects.

One policy call per step, whatever its size. Subjects that share a consent
profile and fields that share a (department, category, sensitivity) class are
evaluated once: fifty citizens and thirty fields are a handful of profiles and
classes, not 1,500 pairs. Results are cached under keys made of the policy
revision and the exact profile or class evaluated — a consent change is a new
profile, so no cached decision can outlive it; nothing expires by time. Only an
engine that knows its revision without asking (the embedded one) is cached: an
OPA server may load a new policy between two of its answers.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from federation.auth import Caller
from federation.policy import PolicyEngine, PolicyUnavailable

POLICY_UNAVAILABLE = "POLICY_UNAVAILABLE"
NO_DATA_CATEGORY = "NO_DATA_CATEGORY"


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A field coordinate and what its `@dataCategory` says about it."""

    coordinate: str
    department: str
    category: str | None
    sensitivity: str | None
    key: str = field(init=False, compare=False)
    """The field's class: fields of one class are decided together."""

    def __post_init__(self) -> None:
        key = f"{self.department}|{self.category}|{self.sensitivity}"
        object.__setattr__(self, "key", key)


@dataclass(frozen=True, slots=True)
class Verdict:
    allow: bool
    reason: str
    obligations: tuple[str, ...] = ()


UNCATEGORISED = Verdict(False, NO_DATA_CATEGORY)


@dataclass(frozen=True, slots=True)
class StepDecision:
    """The verdict for every (subject, field) pair of one step."""

    decision_id: str  # the engine's, or the step's own when every verdict was cached
    revision: str
    verdicts: Mapping[str, Mapping[str, Verdict]]  # subject → coordinate → verdict
    evaluated: int  # profile and class evaluations the engine made (0 on a full cache hit)
    seconds: float

    def allowed(self, subject: str) -> frozenset[str]:
        return frozenset(c for c, v in self.verdicts[subject].items() if v.allow)


class DecisionCache:
    """A bounded LRU of field-class and profile verdicts, keyed by policy revision."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, ...]) -> Any:
        value = self._entries.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return value

    def put(self, key: tuple[str, ...], value: Any) -> None:
        self._entries[key] = value
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _profile_key(profile: Mapping[str, Any]) -> str:
    return orjson.dumps(profile, option=orjson.OPT_SORT_KEYS).decode()


def refuse_all(
    fields: Sequence[FieldInfo], subjects: Sequence[str], reason: str, started: float
) -> StepDecision:
    verdict = Verdict(False, reason)
    verdicts = {s: {f.coordinate: verdict for f in fields} for s in subjects}
    return StepDecision("", "", verdicts, 0, time.perf_counter() - started)


async def decide_step(
    engine: PolicyEngine,
    caller: Caller,
    fields: Sequence[FieldInfo],
    profiles: Mapping[str, Mapping[str, Any]],
    cache: DecisionCache | None = None,
    now: datetime | None = None,
) -> StepDecision:
    """Verdicts for every subject in `profiles` (subject → policy profile) and field.

    A field without a data category is refused; if the policy cannot be
    consulted every field is refused with POLICY_UNAVAILABLE (fail closed).
    """
    started = time.perf_counter()
    if not engine.knows_revision:
        cache = None
    revision = engine.revision
    scope = (revision, caller.client_id, caller.purpose)
    categorised = [f for f in fields if f.category and f.sensitivity]
    classes = {f.key: f for f in categorised}
    by_profile: dict[str, list[str]] = {}
    for subject, profile in profiles.items():
        by_profile.setdefault(_profile_key(profile), []).append(subject)

    field_verdicts: dict[str, Verdict] = {}
    subject_verdicts: dict[str, Verdict] = {}
    if cache is not None:
        for key in classes:
            if (hit := cache.get((*scope, "field", key))) is not None:
                field_verdicts[key] = hit
        for key in by_profile:
            if (hit := cache.get((*scope, "subject", key))) is not None:
                subject_verdicts[key] = hit
    missing_fields = [f for k, f in classes.items() if k not in field_verdicts]
    missing_profiles = [k for k in by_profile if k not in subject_verdicts]
    # Every step is a decision that grants and ledger entries name: the engine's id when it
    # was asked, and one of the step's own when the cache answered everything.
    decision_id = ""
    if not (missing_fields or missing_profiles):
        decision_id = str(uuid.uuid4())
    else:
        policy_input = {
            "client": {"id": caller.client_id, "organisation": caller.organisation},
            "purpose": caller.purpose,
            "now": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fields": [
                {
                    "key": f.key,
                    "department": f.department,
                    "category": f.category,
                    "sensitivity": f.sensitivity,
                }
                for f in missing_fields
            ],
            "subjects": {k: orjson.loads(k) for k in missing_profiles},
        }
        try:
            decision = await engine.decide(policy_input)
            result_fields = decision.result["fields"]
            result_subjects = decision.result["subjects"]
            for f in missing_fields:
                field_verdicts[f.key] = _verdict(result_fields[f.key])
            for k in missing_profiles:
                subject_verdicts[k] = _verdict(result_subjects[k])
        except (PolicyUnavailable, KeyError, TypeError):
            return refuse_all(fields, list(profiles), POLICY_UNAVAILABLE, started)
        decision_id, revision = decision.decision_id, decision.revision
        if cache is not None and revision == scope[0]:
            for f in missing_fields:
                cache.put((*scope, "field", f.key), field_verdicts[f.key])
            for k in missing_profiles:
                cache.put((*scope, "subject", k), subject_verdicts[k])

    verdicts: dict[str, dict[str, Verdict]] = {}
    for key, subjects in by_profile.items():
        # Fields of one class combine alike: each class once, then each field looks it up.
        by_class = {k: _pair(subject_verdicts[key], v) for k, v in field_verdicts.items()}
        per_field = {f.coordinate: by_class.get(f.key, UNCATEGORISED) for f in fields}
        for subject in subjects:
            verdicts[subject] = per_field
    evaluated = len(missing_fields) + len(missing_profiles)
    return StepDecision(decision_id, revision, verdicts, evaluated, time.perf_counter() - started)


def _verdict(raw: Mapping[str, Any]) -> Verdict:
    """A verdict exactly as the policy states it; anything else is a `TypeError`, so that a
    malformed result refuses (`"allow": "false"` is not a refusal to `bool`)."""
    allow, reason, obligations = raw["allow"], raw["reason"], raw.get("obligations", [])
    if not isinstance(allow, bool) or not isinstance(reason, str):
        raise TypeError("a verdict needs a boolean `allow` and a text `reason`")
    if not isinstance(obligations, list) or not all(isinstance(o, str) for o in obligations):
        raise TypeError("a verdict's `obligations` must be a list of names")
    return Verdict(allow, reason, tuple(obligations))


def _pair(subject: Verdict, field: Verdict) -> Verdict:
    """Combine as the policy's `pair` rule does: the field's scope first, then the subject."""
    if field.reason != "IN_PURPOSE":
        return field
    if not subject.allow:
        return subject
    return Verdict(True, subject.reason, field.obligations)
