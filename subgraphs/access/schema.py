"""The access service's subgraph: who used a citizen's data, why, and what came of it.

`Citizen` (keyed by NI number) gains `accessLog`, readable only by the citizen
themselves. `recordOutcome` lets the service that made an access say what
came of it. Every field of the log is `user.privacy_preferences.access_log`.

The mutation's own fields are `system.access_outcome`, PUBLIC: recording
releases nothing about a citizen (it echoes what the service sent), so the
gateway's policy lets it through and this service checks who may record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Self

import strawberry
from graphql import GraphQLError

from subgraphs.access.log import (
    MAX_FIRST,
    Access,
    Catalog,
    access_page,
    describe,
    find_access,
    parse_access_id,
)
from subgraphs.access.outcomes import Outcome, OutcomeStore
from subgraphs.directives import PERSONAL, PUBLIC, data
from subgraphs.federated import federated_schema
from subgraphs.grant_check import Caller
from subgraphs.people import is_valid_nin

NIN = "user.government_id.national_identification_number"
ACCESS_LOG = "user.privacy_preferences.access_log"
OUTCOME = "system.access_outcome"
MAX_OUTCOME = 200
NOT_YOURS = "Only the service that made an access may record its outcome."


@dataclass(frozen=True)
class Deps:
    ledger_url: str
    outcomes: OutcomeStore
    catalog: Catalog
    purposes: Mapping[str, Any]
    clients: Mapping[str, Any]


@dataclass(frozen=True)
class Context:
    deps: Deps
    caller: Caller


def context(info: strawberry.Info) -> Context:
    ctx: Context = info.context
    return ctx


def _error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


@strawberry.enum(description="Whether the data asked for was shared.")
class AccessStatus(Enum):
    RELEASED = "released"
    PARTLY_RELEASED = "partly_released"
    REFUSED = "refused"


@strawberry.type(description="Data a service asked for that was not shared, and why.")
class RefusedData:
    what: str = data(ACCESS_LOG, PERSONAL, description="What was asked for, in plain English.")
    reason: str = data(ACCESS_LOG, PERSONAL, description="Why it was not shared.")


@strawberry.type(description="One request a service made about you.")
class AccessLogEntry:
    id: strawberry.ID = data(
        ACCESS_LOG, PERSONAL, description="The access: `<request id>:<NI number>`."
    )
    at: datetime = data(ACCESS_LOG, PERSONAL, description="When it happened (UTC).")
    service: str = data(ACCESS_LOG, PERSONAL, description="The service that asked.")
    organisation: str = data(ACCESS_LOG, PERSONAL, description="Who runs that service.")
    purpose: str = data(ACCESS_LOG, PERSONAL, description="Why it asked, in plain English.")
    departments: list[str] = data(ACCESS_LOG, PERSONAL, description="The departments asked.")
    status: AccessStatus = data(ACCESS_LOG, PERSONAL)
    released: list[str] = data(ACCESS_LOG, PERSONAL, description="What was shared.")
    refused: list[RefusedData] = data(ACCESS_LOG, PERSONAL, description="What was not.")
    outcome: str | None = data(
        ACCESS_LOG, PERSONAL, description="What the service says came of it, if it has said."
    )


@strawberry.type(description="A page of accesses, newest first.")
class AccessLogPage:
    entries: list[AccessLogEntry] = data(ACCESS_LOG, PERSONAL)
    end_cursor: str | None = data(
        ACCESS_LOG, PERSONAL, description="Pass as `after` for the next page."
    )
    has_next_page: bool = data(ACCESS_LOG, PERSONAL)


@strawberry.type(description="An outcome as recorded.")
class RecordedOutcome:
    access_id: strawberry.ID = data(OUTCOME, PUBLIC)
    outcome: str = data(OUTCOME, PUBLIC)
    recorded_at: datetime = data(OUTCOME, PUBLIC)


def _entry(access: Access, deps: Deps, outcome: Outcome | None) -> AccessLogEntry:
    names = describe(access, deps.purposes, deps.clients)
    if not access.refused:
        status = AccessStatus.RELEASED
    elif access.released:
        status = AccessStatus.PARTLY_RELEASED
    else:
        status = AccessStatus.REFUSED
    return AccessLogEntry(
        id=strawberry.ID(access.id),
        at=access.at,
        service=names["service"],
        organisation=names["organisation"],
        purpose=names["purpose"],
        departments=list(access.departments),
        status=status,
        released=list(access.released),
        refused=[RefusedData(what=r.data, reason=r.reason) for r in access.refused],
        outcome=outcome.outcome if outcome is not None else None,
    )


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)

    @data(ACCESS_LOG, PERSONAL, description="Every access to your data, newest first.")
    async def access_log(
        self, info: strawberry.Info, first: int | None = 20, after: str | None = None
    ) -> AccessLogPage:
        ctx = context(info)
        first = 20 if first is None else first
        if ctx.caller.citizen is None or ctx.caller.citizen != self.nin:
            raise _error("FORBIDDEN", "Only the citizen themselves may read their access log.")
        if not 1 <= first <= MAX_FIRST:
            raise _error("BAD_USER_INPUT", f"first must be between 1 and {MAX_FIRST}.")
        try:
            page = await access_page(ctx.deps.ledger_url, self.nin, ctx.deps.catalog, first, after)
        except ValueError as error:
            raise _error("BAD_USER_INPUT", f"{error}.") from None
        except FileNotFoundError:  # nothing has been recorded yet
            return AccessLogPage(entries=[], end_cursor=None, has_next_page=False)
        keys = [(a.request_id, self.nin) for a in page.accesses]
        outcomes = await ctx.deps.outcomes.read(keys)
        entries = [
            _entry(a, ctx.deps, outcomes.get((a.request_id, self.nin))) for a in page.accesses
        ]
        return AccessLogPage(
            entries=entries, end_cursor=page.end_cursor, has_next_page=page.has_next_page
        )

    @classmethod
    def resolve_reference(cls, nin: str) -> Self:
        if not isinstance(nin, str) or not is_valid_nin(nin):
            raise _error("BAD_USER_INPUT", f"{nin!r} is not a National Insurance number")
        return cls(nin=strawberry.ID(nin))


@strawberry.type
class Mutation:
    @data(OUTCOME, PUBLIC, description="The service that made an access says what came of it.")
    async def record_outcome(
        self, info: strawberry.Info, access_id: strawberry.ID, outcome: str
    ) -> RecordedOutcome:
        ctx = context(info)
        client = ctx.caller.client
        if client is None or ctx.caller.citizen is not None:
            # Every citizen shares the portal's client: one could write into another's log.
            raise _error("FORBIDDEN", NOT_YOURS)
        if not outcome.strip() or len(outcome) > MAX_OUTCOME:
            raise _error("BAD_USER_INPUT", f"outcome must be 1 to {MAX_OUTCOME} characters.")
        key = parse_access_id(str(access_id))
        entries = []
        if key is not None:
            try:
                entries = await find_access(ctx.deps.ledger_url, *key)
            except (FileNotFoundError, ValueError):
                entries = []
        if key is None or not entries:
            raise _error("NOT_FOUND", f"There is no access {str(access_id)[:80]!r}.")
        if any(entry.client_id != client for entry in entries):
            raise _error("FORBIDDEN", NOT_YOURS)
        recorded = Outcome(key[0], key[1], client, outcome, datetime.now(UTC))
        await ctx.deps.outcomes.record(recorded)
        return RecordedOutcome(
            access_id=access_id,
            outcome=outcome,
            recorded_at=recorded.recorded_at,
        )


schema = federated_schema(mutation=Mutation, types=[Citizen])
