"""Giving, withdrawing and refusing consent, the opt-out switch, and the versions they bump."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from subgraphs.consent.records import ConsentState, Purposes
from subgraphs.consent.store import ConsentError, ConsentStore

NIN = "AB123456C"
BLUE_BADGE = "blue-badge-eligibility"
GP = "gp-home-readings"


async def _version(store: ConsentStore, nin: str = NIN) -> int:
    return (await store.read([nin]))[nin].version


async def test_a_citizen_never_seen_has_version_zero_and_no_consent(store: ConsentStore) -> None:
    consent = (await store.read([NIN]))[NIN]
    assert (consent.version, consent.opted_out, dict(consent.records)) == (0, False, {})
    assert consent.profile(BLUE_BADGE, datetime.now(UTC)) == {
        "self": False,
        "opted_out": False,
        "consents": {},
    }
    assert await store.history(NIN) == []
    assert await store.verify_history(NIN) is None


async def test_give_records_the_purpose_facts_and_bumps_the_version(
    store: ConsentStore, purposes: Purposes
) -> None:
    record = await store.give(NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen")
    facts = purposes[BLUE_BADGE]
    assert record.state is ConsentState.GIVEN
    assert record.version == 1
    assert record.controllers[0] == facts.controller == "council"
    assert set(record.controllers) == set(facts.departments)
    assert record.categories == facts.categories
    assert record.lawful_basis == "consent"
    assert record.collection_method == "web-portal"
    assert record.given_at == record.state_changed_at
    assert record.expires_at is None
    consent = (await store.read([NIN]))[NIN]
    assert consent.version == 1
    assert consent.records[BLUE_BADGE] == record


async def test_withdraw_keeps_the_record_and_when_it_was_given(store: ConsentStore) -> None:
    expires = datetime.now(UTC) + timedelta(days=30)
    given = await store.give(
        NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen", expires_at=expires
    )
    withdrawn = await store.withdraw(NIN, BLUE_BADGE, actor="citizen")
    assert withdrawn.state is ConsentState.WITHDRAWN
    assert withdrawn.version == 2
    assert withdrawn.record_id == given.record_id
    assert withdrawn.given_at == given.given_at
    assert withdrawn.state_changed_at > given.state_changed_at
    assert withdrawn.expires_at is None  # as its history event says: it does not expire
    now = datetime.now(UTC)
    assert (await store.read([NIN]))[NIN].profile(BLUE_BADGE, now) == {
        "self": False,
        "opted_out": False,
        "consents": {BLUE_BADGE: {"state": "withdrawn"}},
    }
    again = await store.give(NIN, BLUE_BADGE, collection_method="service-request", actor="c")
    assert (again.state, again.version, again.record_id) == (ConsentState.GIVEN, 3, given.record_id)
    assert again.given_at is not None and given.given_at is not None
    assert again.given_at > given.given_at


async def test_refuse_without_a_record_creates_one(store: ConsentStore) -> None:
    refused = await store.refuse(NIN, GP, actor="gp-practice")
    assert (refused.state, refused.version, refused.given_at) == (ConsentState.REFUSED, 1, None)
    consent = (await store.read([NIN]))[NIN]
    assert consent.profile(GP, datetime.now(UTC))["consents"] == {GP: {"state": "refused"}}


async def test_each_purpose_has_its_own_record_and_the_profile_shows_only_one(
    store: ConsentStore,
) -> None:
    await store.give(NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen")
    await store.refuse(NIN, GP, actor="citizen")
    consent = (await store.read([NIN]))[NIN]
    assert consent.version == 2
    assert set(consent.records) == {BLUE_BADGE, GP}
    now = datetime.now(UTC)
    assert consent.profile(GP, now)["consents"] == {GP: {"state": "refused"}}
    assert consent.profile(BLUE_BADGE, now)["consents"] == {BLUE_BADGE: {"state": "given"}}
    assert consent.profile("council-tax-reduction", now)["consents"] == {}


async def test_a_consent_with_an_expiry_expires_in_the_profile(store: ConsentStore) -> None:
    expires = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=250000)
    record = await store.give(
        NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen", expires_at=expires
    )
    assert record.expires_at == expires
    consent = (await store.read([NIN]))[NIN]
    assert consent.records[BLUE_BADGE].expires_at == expires
    entry = {"expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.250000Z")}
    assert consent.profile(BLUE_BADGE, datetime.now(UTC))["consents"][BLUE_BADGE] == {
        "state": "given",
        **entry,
    }
    after = expires + timedelta(seconds=1)
    assert consent.profile(BLUE_BADGE, after)["consents"][BLUE_BADGE] == {
        "state": "expired",
        **entry,
    }


async def test_opting_out_and_back_in_bumps_the_version(store: ConsentStore) -> None:
    await store.give(NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen")
    assert await store.set_opted_out(NIN, True, actor="citizen") == 2
    consent = (await store.read([NIN]))[NIN]
    assert consent.opted_out is True
    assert consent.profile(BLUE_BADGE, datetime.now(UTC)) == {
        "self": False,
        "opted_out": True,
        "consents": {BLUE_BADGE: {"state": "given"}},
    }
    assert await store.set_opted_out(NIN, False, actor="citizen") == 3
    assert (await store.read([NIN]))[NIN].opted_out is False


async def test_opting_out_before_any_consent_creates_the_citizen(store: ConsentStore) -> None:
    assert await store.set_opted_out(NIN, True, actor="citizen") == 1
    consent = (await store.read([NIN]))[NIN]
    assert (consent.version, consent.opted_out, dict(consent.records)) == (1, True, {})


async def test_citizens_versions_are_independent(store: ConsentStore) -> None:
    other = "CE654321A"
    await store.give(NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen")
    await store.give(NIN, GP, collection_method="web-portal", actor="citizen")
    await store.give(other, GP, collection_method="web-portal", actor="citizen")
    found = await store.read([NIN, other])
    assert (found[NIN].version, found[other].version) == (2, 1)
    assert set(found[other].records) == {GP}


async def test_a_change_through_one_store_is_seen_at_once_by_another(
    open_store: Callable[[], Awaitable[ConsentStore]],
) -> None:
    first, second = await open_store(), await open_store()
    assert await _version(second) == 0
    await first.give(NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen")
    seen = (await second.read([NIN]))[NIN]
    assert (seen.version, seen.records[BLUE_BADGE].state) == (1, ConsentState.GIVEN)
    await second.withdraw(NIN, BLUE_BADGE, actor="citizen")
    seen = (await first.read([NIN]))[NIN]
    assert (seen.version, seen.records[BLUE_BADGE].state) == (2, ConsentState.WITHDRAWN)
    await first.set_opted_out(NIN, True, actor="citizen")
    assert (await second.read([NIN]))[NIN].opted_out is True


_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
_PAST = datetime(2020, 1, 1, tzinfo=UTC)
_FAR_OFF = datetime(2300, 1, 1, tzinfo=UTC)  # past what the policy's date arithmetic can read
_CALENDAR_END = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-10)))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s: s.give("AB12345C", BLUE_BADGE, collection_method="w", actor="a"), "INVALID_NIN"),
        (
            lambda s: s.give("ab123456c", GP, collection_method="w", actor="a"),
            "INVALID_NIN",
        ),
        (lambda s: s.withdraw("QQ123456C", BLUE_BADGE, actor="a"), "INVALID_NIN"),
        (lambda s: s.set_opted_out("", True, actor="a"), "INVALID_NIN"),
        (lambda s: s.give(NIN, "marketing", collection_method="w", actor="a"), "UNKNOWN_PURPOSE"),
        (lambda s: s.refuse(NIN, "marketing", actor="a"), "UNKNOWN_PURPOSE"),
        (
            lambda s: s.give(NIN, "universal-credit-assessment", collection_method="w", actor="a"),
            "NOT_CONSENT_BASED",
        ),
        (lambda s: s.withdraw(NIN, "fraud-prevention", actor="a"), "NOT_CONSENT_BASED"),
        (lambda s: s.refuse(NIN, "citizen-access", actor="a"), "NOT_CONSENT_BASED"),
        (lambda s: s.withdraw(NIN, GP, actor="a"), "NOT_GIVEN"),
        (lambda s: s.give(NIN, GP, collection_method="w", actor=" "), "INVALID_ACTOR"),
        (lambda s: s.set_opted_out(NIN, True, actor=""), "INVALID_ACTOR"),
        (lambda s: s.set_opted_out(NIN, "no", actor="a"), "INVALID_OPT_OUT"),
        (lambda s: s.give(NIN, GP, collection_method="", actor="a"), "INVALID_COLLECTION_METHOD"),
        (
            lambda s: s.give(
                NIN,
                GP,
                collection_method="w",
                actor="a",
                expires_at=_PAST,
            ),
            "INVALID_EXPIRY",
        ),
        (
            lambda s: s.give(
                NIN, GP, collection_method="w", actor="a", expires_at=_FUTURE.replace(tzinfo=None)
            ),
            "INVALID_EXPIRY",
        ),
        (
            lambda s: s.give(NIN, GP, collection_method="w", actor="a", expires_at=_FAR_OFF),
            "INVALID_EXPIRY",
        ),
        (
            lambda s: s.give(NIN, GP, collection_method="w", actor="a", expires_at=_CALENDAR_END),
            "INVALID_EXPIRY",
        ),
    ],
)
async def test_a_bad_change_is_refused_and_changes_nothing(
    store: ConsentStore, change: Callable[[ConsentStore], Awaitable[object]], code: str
) -> None:
    await store.give(NIN, BLUE_BADGE, collection_method="web-portal", actor="citizen")
    await store.refuse(NIN, "council-tax-reduction", actor="citizen")
    before = await store.read([NIN])
    history = await store.history(NIN)
    with pytest.raises(ConsentError) as raised:
        await change(store)
    assert raised.value.code == code
    assert raised.value.message
    assert await store.read([NIN]) == before
    assert await store.history(NIN) == history
    # The next change still takes the next version: the refused one left no gap.
    assert (await store.give(NIN, GP, collection_method="w", actor="a")).version == 3


async def test_withdrawing_a_consent_only_ever_refused_is_refused(store: ConsentStore) -> None:
    await store.refuse(NIN, GP, actor="citizen")
    with pytest.raises(ConsentError) as raised:
        await store.withdraw(NIN, GP, actor="citizen")
    assert raised.value.code == "NOT_GIVEN"
    assert await _version(store) == 1
