"""Citizens' rights at the source: correction and erasure requests to one department.

Every department keeps its requests in its own store, answers within one
calendar month, and refuses (with the law it relies on) an erasure of a record
it must keep.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError

from subgraphs.directives import data
from subgraphs.people import is_valid_nin
from subgraphs.store import Store

CATEGORY = "user.privacy_preferences.rights_request"

SCHEMA = """
CREATE TABLE rights_requests (
    id TEXT PRIMARY KEY,
    nin TEXT NOT NULL,
    kind TEXT NOT NULL,
    field TEXT NOT NULL,
    correction TEXT,
    reason TEXT,
    status TEXT NOT NULL,
    answer TEXT,
    received_at TEXT NOT NULL,
    due_on TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX rights_requests_nin ON rights_requests (nin);
"""


@dataclass(frozen=True)
class FieldRule:
    """What a department may do with one of its fields when a citizen asks.

    `correct` is an UPDATE taking (value, nin); `erase` a statement taking (nin,).
    `retained_because` names the law that forbids erasure. `validate` checks a
    corrected value up front, returning what is wrong with it (or None).
    """

    correct: str | None = None
    erase: str | None = None
    retained_because: str | None = None
    validate: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class RightsPolicy:
    department: str
    fields: Mapping[str, FieldRule]


@strawberry.enum
class RightsRequestKind(Enum):
    CORRECTION = "CORRECTION"
    ERASURE = "ERASURE"


@strawberry.enum
class RightsRequestStatus(Enum):
    RECEIVED = "RECEIVED"
    IN_REVIEW = "IN_REVIEW"
    DONE = "DONE"
    REFUSED = "REFUSED"


_NEXT: dict[RightsRequestStatus, frozenset[RightsRequestStatus]] = {
    RightsRequestStatus.RECEIVED: frozenset(
        {RightsRequestStatus.IN_REVIEW, RightsRequestStatus.DONE, RightsRequestStatus.REFUSED}
    ),
    RightsRequestStatus.IN_REVIEW: frozenset(
        {RightsRequestStatus.DONE, RightsRequestStatus.REFUSED}
    ),
    RightsRequestStatus.DONE: frozenset(),
    RightsRequestStatus.REFUSED: frozenset(),
}


@strawberry.federation.type(shareable=True, description="A citizen's request to a department.")
class RightsRequest:
    id: strawberry.ID = data(CATEGORY)
    department: str = data(CATEGORY)
    # Part of the request, like its other fields: a purpose covering NINs in general must
    # not be enough to file, list or move on a citizen's rights requests.
    nin: strawberry.ID = data(CATEGORY)
    kind: RightsRequestKind = data(CATEGORY)
    field: str = data(CATEGORY, description="The field concerned, e.g. `Citizen.taxCode`.")
    correction: str | None = data(CATEGORY, description="The value the citizen asks for.")
    reason: str | None = data(CATEGORY, description="Why the citizen asks.")
    status: RightsRequestStatus = data(CATEGORY)
    answer: str | None = data(CATEGORY, description="The department's answer.")
    received_at: datetime = data(CATEGORY)
    due_on: date = data(CATEGORY, description="One calendar month after receipt.")
    updated_at: datetime = data(CATEGORY)


def one_calendar_month_after(day: date) -> date:
    """The same date next month, or that month's last day when it is shorter (ICO guidance)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


MAX_TEXT = 2000  # characters of a correction, a reason or an answer


def _check_text(value: str | None, what: str) -> None:
    if value is not None and (len(value) > MAX_TEXT or "\x00" in value):
        raise _bad_input(f"{what} must be at most {MAX_TEXT} characters, with no NUL")


def _request(row: Any, department: str) -> RightsRequest:
    return RightsRequest(
        id=strawberry.ID(row["id"]),
        department=department,
        nin=strawberry.ID(row["nin"]),
        kind=RightsRequestKind(row["kind"]),
        field=row["field"],
        correction=row["correction"],
        reason=row["reason"],
        status=RightsRequestStatus(row["status"]),
        answer=row["answer"],
        received_at=datetime.fromisoformat(row["received_at"]),
        due_on=date.fromisoformat(row["due_on"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _rule(policy: RightsPolicy, nin: str, field: str) -> FieldRule:
    if not is_valid_nin(nin):
        raise _bad_input(f"{nin!r} is not a National Insurance number")
    rule = policy.fields.get(field)
    if rule is None:
        known = ", ".join(sorted(policy.fields))
        raise _bad_input(f"{policy.department} holds no field {field!r}; it holds: {known}")
    return rule


async def _insert(
    store: Store,
    policy: RightsPolicy,
    nin: str,
    kind: RightsRequestKind,
    field: str,
    correction: str | None,
    reason: str | None,
    status: RightsRequestStatus = RightsRequestStatus.RECEIVED,
    answer: str | None = None,
) -> RightsRequest:
    _check_text(correction, "a correction")
    _check_text(reason, "a reason")
    now = datetime.now(UTC)
    row = {
        "id": str(uuid.uuid4()),
        "nin": nin,
        "kind": kind.value,
        "field": field,
        "correction": correction,
        "reason": reason,
        "status": status.value,
        "answer": answer,
        "received_at": now.isoformat(),
        "due_on": one_calendar_month_after(now.date()).isoformat(),
        "updated_at": now.isoformat(),
    }
    await store.execute(
        "INSERT INTO rights_requests VALUES (:id, :nin, :kind, :field, :correction, :reason,"
        " :status, :answer, :received_at, :due_on, :updated_at)",
        row,  # type: ignore[arg-type]
    )
    return _request(row, policy.department)


async def request_correction(
    store: Store, policy: RightsPolicy, nin: str, field: str, correction: str, reason: str | None
) -> RightsRequest:
    rule = _rule(policy, nin, field)
    if rule.correct is None:
        raise _bad_input(f"{field} cannot be corrected through {policy.department}")
    if not correction.strip():
        raise _bad_input("a correction needs the corrected value")
    if rule.validate is not None and (problem := rule.validate(correction)) is not None:
        raise _bad_input(f"{field}: {problem}")
    kind = RightsRequestKind.CORRECTION
    return await _insert(store, policy, nin, kind, field, correction, reason)


async def request_erasure(
    store: Store, policy: RightsPolicy, nin: str, field: str, reason: str | None
) -> RightsRequest:
    rule = _rule(policy, nin, field)
    kind = RightsRequestKind.ERASURE
    if rule.retained_because is not None:
        refused = RightsRequestStatus.REFUSED
        answer = f"Refused: {policy.department} must keep this record. {rule.retained_because}"
        return await _insert(store, policy, nin, kind, field, None, reason, refused, answer)
    return await _insert(store, policy, nin, kind, field, None, reason)


async def resolve(
    store: Store, policy: RightsPolicy, request_id: str, status: RightsRequestStatus, answer: str
) -> RightsRequest:
    """Move a request on; DONE applies the correction or erasure in the same transaction.

    The request is read inside the transaction, so two departments' officers
    resolving it at once cannot both apply it.
    """
    if status is RightsRequestStatus.REFUSED and not answer.strip():
        raise _bad_input("a refusal must give the citizen a reason")
    _check_text(answer, "an answer")
    now = datetime.now(UTC).isoformat()
    async with store.transaction() as db:
        async with db.execute("SELECT * FROM rights_requests WHERE id = ?", [request_id]) as cur:
            row = await cur.fetchone()
        if row is None:
            raise GraphQLError(
                f"no rights request {request_id!r}", extensions={"code": "NOT_FOUND"}
            )
        current = _request(row, policy.department)
        if status not in _NEXT[current.status]:
            raise _bad_input(f"a {current.status.value} request cannot become {status.value}")
        rule = policy.fields[current.field]
        if status is RightsRequestStatus.DONE:
            if current.kind is RightsRequestKind.CORRECTION and rule.correct:
                await db.execute(rule.correct, (current.correction, current.nin))
            if current.kind is RightsRequestKind.ERASURE and rule.erase:
                await db.execute(rule.erase, (current.nin,))
        await db.execute(
            "UPDATE rights_requests SET status = ?, answer = ?, updated_at = ? WHERE id = ?",
            (status.value, answer, now, request_id),
        )
    rows = await store.fetch("SELECT * FROM rights_requests WHERE id = ?", [request_id])
    return _request(rows[0], policy.department)


async def requests_for(store: Store, policy: RightsPolicy, nin: str) -> list[RightsRequest]:
    if not is_valid_nin(nin):
        raise _bad_input(f"{nin!r} is not a National Insurance number")
    rows = await store.fetch(
        "SELECT * FROM rights_requests WHERE nin = ? ORDER BY received_at DESC", [nin]
    )
    return [_request(row, policy.department) for row in rows]
