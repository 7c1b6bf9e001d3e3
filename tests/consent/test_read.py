"""The gateway's batched read: any number of citizens in exactly one query."""

from __future__ import annotations

from datetime import UTC, datetime

from subgraphs.consent.records import ConsentState
from subgraphs.consent.store import ConsentStore

PURPOSES = ("blue-badge-eligibility", "gp-home-readings", "council-tax-reduction")


def _nin(i: int) -> str:
    return f"AB{i:06d}{'ABCD'[i % 4]}"


async def _some_changes(store: ConsentStore, count: int) -> dict[str, int]:
    """Give, withdraw, refuse and opt out across `count` citizens; return their versions."""
    versions = {}
    for i in range(count):
        nin = _nin(i * 7)
        purpose = PURPOSES[i % 3]
        await store.give(nin, purpose, collection_method="web-portal", actor="citizen")
        versions[nin] = 1
        if i % 2:
            await store.withdraw(nin, purpose, actor="citizen")
            versions[nin] += 1
        if i % 5 == 0:
            await store.refuse(nin, PURPOSES[(i + 1) % 3], actor="citizen")
            versions[nin] += 1
        if i % 11 == 0:
            versions[nin] = await store.set_opted_out(nin, True, actor="citizen")
    return versions


async def test_reading_500_citizens_is_one_query(store: ConsentStore) -> None:
    versions = await _some_changes(store, 40)
    nins = [_nin(i) for i in range(500)]
    before = store.queries
    found = await store.read(nins)
    assert store.queries - before == 1
    assert list(found) == nins
    for nin, consent in found.items():
        assert consent.nin == nin
        assert consent.version == versions.get(nin, 0)
    changed = [found[nin] for nin in versions]
    for i, consent in enumerate(changed):
        state = ConsentState.WITHDRAWN if i % 2 else ConsentState.GIVEN
        assert consent.records[PURPOSES[i % 3]].state is state
        assert len(consent.records) == (2 if i % 5 == 0 else 1)
        assert consent.opted_out is (i % 11 == 0)
    assert all(not found[nin].records for nin in nins if nin not in versions)


async def test_reading_for_one_purpose_gives_only_that_purposes_records(
    store: ConsentStore,
) -> None:
    versions = await _some_changes(store, 40)
    nins = [_nin(i) for i in range(300)]
    everything = await store.read(nins)
    before = store.queries
    found = await store.read(nins, "gp-home-readings")
    assert store.queries - before == 1
    assert list(found) == nins
    for nin, consent in found.items():
        assert (consent.version, consent.opted_out) == (
            everything[nin].version,
            everything[nin].opted_out,
        )
        whole = everything[nin].records
        assert dict(consent.records) == (
            {"gp-home-readings": whole["gp-home-readings"]} if "gp-home-readings" in whole else {}
        )
    assert any(found[nin].records for nin in versions)
    assert any(len(everything[nin].records) > len(found[nin].records) for nin in versions)


async def test_reading_thousands_of_citizens_is_still_one_query(store: ConsentStore) -> None:
    await store.give(_nin(2_999), "gp-home-readings", collection_method="web", actor="citizen")
    nins = [_nin(i) for i in range(5_000)]
    before = store.queries
    found = await store.read(nins)
    assert store.queries - before == 1
    assert len(found) == 5_000
    assert found[_nin(2_999)].version == 1
    assert sum(c.version for c in found.values()) == 1


async def test_read_answers_every_nin_once_and_malformed_ones_with_no_consent(
    store: ConsentStore,
) -> None:
    await store.give(_nin(1), "gp-home-readings", collection_method="web", actor="citizen")
    found = await store.read([_nin(1), "not-a-nin", _nin(1), "ZZ123456C"])
    assert list(found) == [_nin(1), "not-a-nin", "ZZ123456C"]
    assert found[_nin(1)].version == 1
    for bad in ("not-a-nin", "ZZ123456C"):
        assert (found[bad].version, found[bad].opted_out, dict(found[bad].records)) == (
            0,
            False,
            {},
        )
        assert found[bad].profile("gp-home-readings", datetime.now(UTC))["consents"] == {}


async def test_reading_nobody_asks_the_database_nothing(store: ConsentStore) -> None:
    before = store.queries
    assert await store.read([]) == {}
    unread = await store.read(["bad"])
    assert list(unread) == ["bad"] and unread["bad"].version == 0
    assert store.queries == before
