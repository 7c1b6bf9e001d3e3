"""The consent store: what readers and writers of consent can ask, on any engine.

Engines (`sqlite.py`, `postgres.py`) hold the transactions; the rules of a
change live here once, as pure functions: which changes are allowed, and the
record and history entry each one produces.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol

from subgraphs.consent.records import (
    CitizenConsent,
    ConsentEvent,
    ConsentRecord,
    ConsentState,
    Purpose,
    Purposes,
    sealed_event,
)
from subgraphs.people import is_valid_nin


class ConsentError(Exception):
    """A change the store refused; nothing was written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConsentStore(Protocol):
    """Citizens' current consent, its changes and their tamper-evident history."""

    queries: int
    """Statements sent to the database so far (a batched `read` adds exactly one)."""

    async def read(
        self, nins: Sequence[str], purpose: str | None = None
    ) -> dict[str, CitizenConsent]:
        """Current consent of every citizen in `nins`, in one query whatever their number.

        Every requested NIN has an entry; one never seen, or malformed, has
        version 0 and no records, so it allows nothing that needs consent.
        With `purpose`, only that purpose's record is read (a decision for one
        purpose needs no other); the version and opt-out are the citizen's own.
        """
        ...

    async def give(
        self,
        nin: str,
        purpose: str,
        *,
        collection_method: str,
        actor: str,
        expires_at: datetime | None = None,
    ) -> ConsentRecord: ...

    async def withdraw(self, nin: str, purpose: str, *, actor: str) -> ConsentRecord:
        """Withdraw a consent given at some time (withdrawing again is recorded again)."""
        ...

    async def refuse(self, nin: str, purpose: str, *, actor: str) -> ConsentRecord:
        """Record that the citizen declined, whether or not they had a record before."""
        ...

    async def set_opted_out(self, nin: str, opted_out: bool, *, actor: str) -> int:
        """Switch all optional sharing off (or back on); return the new version."""
        ...

    async def history(self, nin: str) -> list[ConsentEvent]:
        """Every change to the citizen's consent, newest first."""
        ...

    async def verify_history(self, nin: str) -> int | None:
        """None when the history chain is intact, else the version of its first bad entry."""
        ...

    async def close(self) -> None: ...


class StateChanges:
    """`give`, `withdraw` and `refuse` for a store, in terms of its one `_change`."""

    async def _change(
        self,
        nin: str,
        purpose: str,
        state: ConsentState,
        *,
        actor: str,
        collection_method: str | None = None,
        expires_at: datetime | None = None,
    ) -> ConsentRecord:
        raise NotImplementedError

    async def give(
        self,
        nin: str,
        purpose: str,
        *,
        collection_method: str,
        actor: str,
        expires_at: datetime | None = None,
    ) -> ConsentRecord:
        return await self._change(
            nin,
            purpose,
            ConsentState.GIVEN,
            actor=actor,
            collection_method=collection_method,
            expires_at=expires_at,
        )

    async def withdraw(self, nin: str, purpose: str, *, actor: str) -> ConsentRecord:
        return await self._change(nin, purpose, ConsentState.WITHDRAWN, actor=actor)

    async def refuse(self, nin: str, purpose: str, *, actor: str) -> ConsentRecord:
        return await self._change(nin, purpose, ConsentState.REFUSED, actor=actor)


async def open_consent_store(url: str, purposes: Purposes) -> ConsentStore:
    """Open (and migrate) `sqlite:///path/to/consent.db` or `postgresql://...`."""
    if url.startswith("sqlite:///"):
        from subgraphs.consent.sqlite import open_sqlite_store

        return await open_sqlite_store(url.removeprefix("sqlite:///"), purposes)
    if url.startswith(("postgresql://", "postgres://")):
        from subgraphs.consent.postgres import open_postgres_store

        return await open_postgres_store(url, purposes)
    raise ValueError(f"unsupported consent store URL {url!r}: use sqlite:/// or postgresql://")


# The rules of a change, shared by every engine.

REFUSED_WITHOUT_RECORD = "service-request"
MAX_VALIDITY = timedelta(days=3653)  # ten years
"""How a refusal was collected when the citizen had no record for the purpose yet."""


def check_nin(nin: str) -> None:
    if not isinstance(nin, str) or not is_valid_nin(nin):
        raise ConsentError("INVALID_NIN", f"{nin!r} is not a National Insurance number")


def check_actor(actor: str) -> None:
    if not isinstance(actor, str) or not actor.strip():
        raise ConsentError("INVALID_ACTOR", "a change needs the actor who made it")


def check_opt_out(nin: str, opted_out: bool, actor: str) -> None:
    check_nin(nin)
    check_actor(actor)
    if not isinstance(opted_out, bool):
        raise ConsentError("INVALID_OPT_OUT", f"opted_out must be true or false, not {opted_out!r}")


def consent_purpose(purposes: Purposes, nin: str, purpose: str, actor: str) -> Purpose:
    """The purpose a record change is about, once every argument is known to be sound."""
    check_nin(nin)
    check_actor(actor)
    facts = purposes.get(purpose)
    if facts is None:
        raise ConsentError("UNKNOWN_PURPOSE", f"there is no purpose {purpose!r}")
    if not facts.consent_based:
        raise ConsentError(
            "NOT_CONSENT_BASED",
            f"{purpose!r} rests on {facts.lawful_basis.replace('_', ' ')}, not consent:"
            " there is no consent to give, withdraw or refuse",
        )
    return facts


def check_give(collection_method: str, expires_at: datetime | None, now: datetime) -> None:
    if not isinstance(collection_method, str) or not collection_method.strip():
        raise ConsentError("INVALID_COLLECTION_METHOD", "say how the consent was collected")
    if expires_at is None:
        return
    if not isinstance(expires_at, datetime) or expires_at.tzinfo is None:
        raise ConsentError("INVALID_EXPIRY", "expires_at must be a datetime with a time zone")
    try:
        ahead = expires_at - now
    except OverflowError:  # a moment past the calendar's end once put in UTC
        ahead = MAX_VALIDITY * 2
    if ahead <= timedelta(0):
        raise ConsentError("INVALID_EXPIRY", "expires_at must be in the future")
    if ahead > MAX_VALIDITY:
        # Consent is to be refreshed, not given for ever; and the policy's date arithmetic
        # ends in 2262, so one far-off expiry would break every decision taken with it.
        raise ConsentError("INVALID_EXPIRY", "expires_at must be within ten years")


def changed_record(
    current: ConsentRecord | None,
    purpose: Purpose,
    nin: str,
    state: ConsentState,
    *,
    version: int,
    now: datetime,
    collection_method: str | None = None,
    expires_at: datetime | None = None,
) -> ConsentRecord:
    """The record after moving to `state`; the record id stays for the life of (nin, purpose)."""
    if state is ConsentState.WITHDRAWN and (current is None or current.given_at is None):
        raise ConsentError(
            "NOT_GIVEN", f"{nin} never gave consent for {purpose.purpose_id!r}: nothing to withdraw"
        )
    giving = state is ConsentState.GIVEN
    if giving and collection_method:
        method = collection_method
    else:
        method = REFUSED_WITHOUT_RECORD if current is None else current.collection_method
    return ConsentRecord(
        record_id=str(uuid.uuid4()) if current is None else current.record_id,
        nin=nin,
        purpose=purpose.purpose_id,
        controllers=purpose.controllers,
        categories=purpose.categories,
        lawful_basis=purpose.lawful_basis,
        collection_method=method,
        state=state,
        given_at=now if giving else (current.given_at if current else None),
        state_changed_at=now,
        expires_at=expires_at if giving else None,  # a withdrawal or refusal does not expire
        version=version,
    )


def record_event(record: ConsentRecord, *, prev_hash: str, actor: str) -> ConsentEvent:
    """The history entry for a record change."""
    return sealed_event(
        str(uuid.uuid4()),
        record.nin,
        record.version,
        purpose=record.purpose,
        state=record.state,
        opted_out=None,
        expires_at=record.expires_at if record.state is ConsentState.GIVEN else None,
        at=record.state_changed_at,
        actor=actor,
        prev_hash=prev_hash,
    )


def opt_out_event(
    nin: str, opted_out: bool, *, version: int, now: datetime, prev_hash: str, actor: str
) -> ConsentEvent:
    """The history entry for the opt-out switch."""
    return sealed_event(
        str(uuid.uuid4()),
        nin,
        version,
        purpose=None,
        state=None,
        opted_out=opted_out,
        expires_at=None,
        at=now,
        actor=actor,
        prev_hash=prev_hash,
    )


def unseen(nins: Sequence[str]) -> dict[str, CitizenConsent]:
    """An empty consent for each NIN: what `read` answers before it finds any rows."""
    return {nin: CitizenConsent(nin) for nin in nins}


def citizens_from_rows(
    nins: Sequence[str],
    rows: Iterable[Any],  # sqlite3.Row or asyncpg.Record: both index by column name
    record_from_row: Callable[[Any], ConsentRecord],
) -> dict[str, CitizenConsent]:
    """`read`'s answer from its rows: a citizen's version and opt-out, and a record per row."""
    found: dict[str, tuple[int, bool, dict[str, ConsentRecord]]] = {}
    for row in rows:
        entry = found.setdefault(row["nin"], (row["citizen_version"], bool(row["opted_out"]), {}))
        if row["record_id"] is not None:
            entry[2][row["purpose"]] = record_from_row(row)
    result = unseen(nins)
    for nin, (version, opted_out, records) in found.items():
        result[nin] = CitizenConsent(nin, version, opted_out, MappingProxyType(records))
    return result


def valid_nins(nins: Sequence[str]) -> list[str]:
    return [nin for nin in dict.fromkeys(nins) if isinstance(nin, str) and is_valid_nin(nin)]
