"""Readings a citizen submits from home: checked for physiological sense, then stored."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import GraphQLError

from subgraphs.nhs.history import CITIZEN_SUBMITTED
from subgraphs.people import is_valid_nin
from subgraphs.store import Store

SYSTOLIC = (50, 300)  # mmHg
DIASTOLIC = (20, 200)  # mmHg
PULSE = (20, 250)  # beats a minute
GLUCOSE = (0.6, 60.0)  # mmol/L: meters read "LO" below 0.6; above 60 is not survivable
CLOCK_SKEW = timedelta(minutes=5)  # a home device's clock may run a little fast
OLDEST = timedelta(days=365)


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def _within(problems: list[str], name: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not (math.isfinite(value) and low <= value <= high):
        problems.append(f"{name} {value:g} is not a possible reading ({low:g} to {high:g})")


def _taken_at(problems: list[str], taken_at: datetime, now: datetime) -> str:
    """The time as stored (UTC, to the second); a time without an offset is taken as UTC."""
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=UTC)
    # Compared before converting: a time near year 1 or 9999 cannot always be moved to UTC.
    if taken_at > now + CLOCK_SKEW:
        problems.append(f"takenAt {taken_at.isoformat()} is in the future")
    elif taken_at < now - OLDEST:
        problems.append("takenAt is more than a year ago; older readings are not accepted")
    else:
        return taken_at.astimezone(UTC).replace(microsecond=0).isoformat()
    return ""


def _refuse(problems: list[str]) -> None:
    if problems:
        raise _bad_input("reading refused: " + "; ".join(problems))


async def _known(store: Store, nin: str) -> None:
    if not isinstance(nin, str) or not is_valid_nin(nin):
        raise _bad_input(f"{nin!r} is not a National Insurance number")
    if not await store.fetch("SELECT 1 FROM citizens WHERE nin = ?", [nin]):
        raise GraphQLError(f"no citizen {nin} is known", extensions={"code": "NOT_FOUND"})


async def add_blood_pressure(
    store: Store, nin: str, systolic: int, diastolic: int, pulse: int | None, taken_at: datetime
) -> dict[str, Any]:
    """Store a home blood-pressure reading, or refuse it whole with every reason."""
    problems: list[str] = []
    _within(problems, "systolic", systolic, SYSTOLIC)
    _within(problems, "diastolic", diastolic, DIASTOLIC)
    if diastolic >= systolic:
        problems.append("diastolic must be lower than systolic")
    if pulse is not None:
        _within(problems, "pulse", pulse, PULSE)
    at = _taken_at(problems, taken_at, datetime.now(UTC))
    _refuse(problems)
    await _known(store, nin)
    row = {
        "nin": nin,
        "taken_at": at,
        "systolic": systolic,
        "diastolic": diastolic,
        "pulse": pulse,
        "source": CITIZEN_SUBMITTED,
    }
    await store.execute(
        "INSERT INTO blood_pressure_readings (nin, taken_at, systolic, diastolic, pulse, source)"
        " VALUES (:nin, :taken_at, :systolic, :diastolic, :pulse, :source)",
        row,  # type: ignore[arg-type]
    )
    return row


async def add_blood_glucose(
    store: Store, nin: str, mmol_per_l: float, fasting: bool, taken_at: datetime
) -> dict[str, Any]:
    """Store a home blood-glucose reading, or refuse it whole with every reason."""
    problems: list[str] = []
    _within(problems, "mmolPerL", mmol_per_l, GLUCOSE)
    at = _taken_at(problems, taken_at, datetime.now(UTC))
    _refuse(problems)
    await _known(store, nin)
    row = {
        "nin": nin,
        "taken_at": at,
        "mmol_per_l": round(mmol_per_l, 1),
        "fasting": int(fasting),
        "source": CITIZEN_SUBMITTED,
    }
    await store.execute(
        "INSERT INTO blood_glucose_readings (nin, taken_at, mmol_per_l, fasting, source)"
        " VALUES (:nin, :taken_at, :mmol_per_l, :fasting, :source)",
        row,  # type: ignore[arg-type]
    )
    return row
