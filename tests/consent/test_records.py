"""Consent records and events as values: timestamps, profiles, and what the hash covers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from subgraphs.consent.records import (
    GENESIS_HASH,
    CitizenConsent,
    ConsentEvent,
    ConsentState,
    load_purposes,
    rfc3339,
    sealed_event,
)


def test_timestamps_are_written_in_utc_with_microseconds() -> None:
    paris = timezone(timedelta(hours=1))
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, tzinfo=paris)) == "2026-01-02T02:04:05.000000Z"
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC)) == "2026-01-02T03:04:05.000007Z"
    with pytest.raises(ValueError, match="time zone"):
        rfc3339(datetime(2026, 1, 2))


def test_a_citizen_never_seen() -> None:
    consent = CitizenConsent("AB123456C")
    assert (consent.version, consent.opted_out, dict(consent.records)) == (0, False, {})
    now = datetime.now(UTC)
    assert consent.profile("gp-home-readings", now) == {
        "self": False,
        "opted_out": False,
        "consents": {},
    }


def test_purposes_carry_their_controllers_and_basis() -> None:
    purposes = load_purposes()
    assert purposes["gp-home-readings"].controllers == ("nhs", "identity")
    assert purposes["gp-home-readings"].consent_based
    assert not purposes["fraud-prevention"].consent_based
    with pytest.raises(TypeError):
        purposes["x"] = purposes["gp-home-readings"]  # type: ignore[index]


def _event() -> ConsentEvent:
    return sealed_event(
        "0b6f6f3e-2f7e-4c3a-9d2e-7a1f0c9b8e11",
        "AB123456C",
        3,
        purpose="gp-home-readings",
        state=ConsentState.GIVEN,
        opted_out=None,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        at=datetime(2026, 11, 21, 12, tzinfo=UTC),
        actor="citizen",
        prev_hash=GENESIS_HASH,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("event_id", "0b6f6f3e-2f7e-4c3a-9d2e-7a1f0c9b8e12"),
        ("nin", "AB123456D"),
        ("version", 4),
        ("purpose", "blue-badge-eligibility"),
        ("state", ConsentState.WITHDRAWN),
        ("opted_out", False),
        ("expires_at", None),
        ("at", datetime(2026, 11, 21, 12, 0, 0, 1, tzinfo=UTC)),
        ("actor", "council-officer"),
        ("prev_hash", "1" * 64),
    ],
)
def test_the_hash_covers_every_field(name: str, value: Any) -> None:
    event = _event()
    assert event.digest() == event.hash
    assert len(event.hash) == 64
    assert dataclasses.replace(event, **{name: value}).digest() != event.hash


def test_the_hash_does_not_depend_on_the_time_zone_a_time_is_given_in() -> None:
    event = _event()
    moved = event.at.astimezone(timezone(timedelta(hours=-5)))
    assert dataclasses.replace(event, at=moved).digest() == event.hash
