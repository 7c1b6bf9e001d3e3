"""Consent records after ISO/IEC TS 27560, the purposes they are given for, and their history.

A citizen's consent is one `CitizenConsent`: a version that increases with
every change, the opt-out switch, and one `ConsentRecord` per purpose. Each
change is also a `ConsentEvent` in a per-citizen hash chain, so a history
rewritten behind the store's back no longer verifies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

PURPOSES_FILE = Path(__file__).resolve().parents[2] / "policies" / "data" / "purposes.json"

GENESIS_HASH = "0" * 64
"""The `prev_hash` of a citizen's first event."""


class ConsentState(StrEnum):
    """The states of a consent record (W3C DPV: ConsentGiven, ConsentWithdrawn, ...)."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Purpose:
    """What `policies/data/purposes.json` says about one purpose."""

    purpose_id: str
    name: str
    lawful_basis: str
    controller: str
    departments: tuple[str, ...]
    categories: tuple[str, ...]

    @property
    def controllers(self) -> tuple[str, ...]:
        """The departments that act on the consent, the accountable controller first."""
        return (self.controller, *(d for d in self.departments if d != self.controller))

    @property
    def consent_based(self) -> bool:
        return self.lawful_basis == "consent"


Purposes = Mapping[str, Purpose]


def load_purposes(path: Path = PURPOSES_FILE) -> Purposes:
    """Read the purposes the policy decides on, keyed by purpose id."""
    document = orjson.loads(path.read_bytes())
    return MappingProxyType(
        {
            purpose_id: Purpose(
                purpose_id=purpose_id,
                name=facts["name"],
                lawful_basis=facts["lawful_basis"],
                controller=facts["controller"],
                departments=tuple(facts["departments"]),
                categories=tuple(facts["categories"]),
            )
            for purpose_id, facts in document["purposes"].items()
        }
    )


def rfc3339(moment: datetime) -> str:
    """A UTC timestamp in the one spelling used in profiles, hashes and SQLite."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("timestamps must carry a time zone")
    if offset:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"  # drop "+00:00"


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One citizen's consent for one purpose, as it stands (ISO/IEC TS 27560 fields)."""

    record_id: str
    nin: str  # the PII principal
    purpose: str
    controllers: tuple[str, ...]
    categories: tuple[str, ...]
    lawful_basis: str
    collection_method: str
    state: ConsentState
    given_at: datetime | None
    state_changed_at: datetime
    expires_at: datetime | None
    version: int  # the citizen's version when this record last changed

    def state_at(self, now: datetime) -> ConsentState:
        """The state in force at `now`: a given consent past its expiry has expired."""
        if (
            self.state is ConsentState.GIVEN
            and self.expires_at is not None
            and self.expires_at <= now
        ):
            return ConsentState.EXPIRED
        return self.state

    def profile_entry(self, now: datetime) -> dict[str, str]:
        entry = {"state": self.state_at(now).value}
        if self.expires_at is not None and self.state is ConsentState.GIVEN:
            entry["expires_at"] = rfc3339(self.expires_at)
        return entry


@dataclass(frozen=True, slots=True)
class CitizenConsent:
    """Everything the policy needs about one citizen; a citizen never seen has version 0."""

    nin: str
    version: int = 0
    opted_out: bool = False
    records: Mapping[str, ConsentRecord] = field(default_factory=lambda: MappingProxyType({}))

    def profile(self, purpose: str, now: datetime) -> dict[str, Any]:
        """The policy's subject profile for `purpose`; the gateway sets `self`."""
        record = self.records.get(purpose)
        consents = {} if record is None else {purpose: record.profile_entry(now)}
        return {"self": False, "opted_out": self.opted_out, "consents": consents}


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One entry of a citizen's consent history, chained to the one before by hash.

    A purpose event carries the new `state` (and `expires_at` of a consent
    given); the opt-out switch has `purpose` None and carries `opted_out`.
    """

    event_id: str
    nin: str
    version: int
    purpose: str | None
    state: ConsentState | None
    opted_out: bool | None
    expires_at: datetime | None
    at: datetime
    actor: str
    prev_hash: str
    hash: str

    def digest(self) -> str:
        """SHA-256 of the entry's canonical JSON, `prev_hash` included, `hash` excluded."""
        return event_digest(
            self.event_id,
            self.nin,
            self.version,
            self.purpose,
            self.state,
            self.opted_out,
            self.expires_at,
            self.at,
            self.actor,
            self.prev_hash,
        )


def event_digest(
    event_id: str,
    nin: str,
    version: int,
    purpose: str | None,
    state: ConsentState | None,
    opted_out: bool | None,
    expires_at: datetime | None,
    at: datetime,
    actor: str,
    prev_hash: str,
) -> str:
    canonical = orjson.dumps(
        {
            "event_id": event_id,
            "nin": nin,
            "version": version,
            "purpose": purpose,
            "state": None if state is None else state.value,
            "opted_out": opted_out,
            "expires_at": None if expires_at is None else rfc3339(expires_at),
            "at": rfc3339(at),
            "actor": actor,
            "prev_hash": prev_hash,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def sealed_event(
    event_id: str,
    nin: str,
    version: int,
    *,
    purpose: str | None,
    state: ConsentState | None,
    opted_out: bool | None,
    expires_at: datetime | None,
    at: datetime,
    actor: str,
    prev_hash: str,
) -> ConsentEvent:
    """A new event with its hash computed."""
    digest = event_digest(
        event_id, nin, version, purpose, state, opted_out, expires_at, at, actor, prev_hash
    )
    return ConsentEvent(
        event_id, nin, version, purpose, state, opted_out, expires_at, at, actor, prev_hash, digest
    )


def first_broken(events_oldest_first: list[ConsentEvent], version: int) -> int | None:
    """The version of the first entry that breaks the chain, or None when it is intact.

    `version` is the citizen's current version: history must hold exactly one
    entry per version from 1 to it, each chained to the one before.
    """
    prev_hash = GENESIS_HASH
    for expected, event in enumerate(events_oldest_first, start=1):
        if event.version != expected:
            return expected  # an entry is missing here
        if event.prev_hash != prev_hash or event.digest() != event.hash:
            return expected
        prev_hash = event.hash
    held = len(events_oldest_first)
    return None if held == version else min(held, version) + 1
