"""The outcome store on SQLite and on a real PostgreSQL: keyed by access, replaced, durable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from subgraphs.access.outcomes import Outcome, open_outcome_store
from tests.ledger.conftest import postgres_schema

AT = datetime(2026, 4, 1, 10, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'access.db'}"
        return
    async with postgres_schema() as postgres_url:
        yield postgres_url


async def test_outcomes_are_kept_per_access_and_a_later_report_replaces(url: str) -> None:
    store = await open_outcome_store(url)
    try:
        await store.record(Outcome("r1", "AB123456C", "gp-dashboard", "Reviewed", AT))
        await store.record(Outcome("r1", "CD654321A", "gp-dashboard", "Referred", AT))
        later = AT + timedelta(days=1)
        await store.record(Outcome("r1", "AB123456C", "gp-dashboard", "Treated", later))
        found = await store.read([("r1", "AB123456C"), ("r1", "CD654321A"), ("r2", "AB123456C")])
    finally:
        await store.close()
    assert set(found) == {("r1", "AB123456C"), ("r1", "CD654321A")}
    assert found[("r1", "AB123456C")].outcome == "Treated"
    assert found[("r1", "AB123456C")].recorded_at == later
    assert found[("r1", "CD654321A")].outcome == "Referred"
    reopened = await open_outcome_store(url)
    try:
        assert (await reopened.read([("r1", "CD654321A")]))[("r1", "CD654321A")].outcome == (
            "Referred"
        )
        assert await reopened.read([]) == {}
    finally:
        await reopened.close()


async def test_an_unsupported_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        await open_outcome_store("mysql://somewhere/db")
