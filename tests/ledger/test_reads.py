"""Reads: a department sees releases of its own data; a citizen sees entries about them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from federation.ledger import Ledger, entries_for_subject, releases_for_department
from tests.ledger.conftest import Database, entry

OpenLedger = Callable[..., Awaitable[Ledger]]


async def _fill(ledger: Ledger) -> None:
    await ledger.record(
        [
            entry("r1", subject="AB123456C", department="hmrc"),
            entry(
                "r1",
                subject="AB123456C",
                department="nhs",
                released=(),
                refused=(("Citizen.bloodPressure", "consent_withdrawn"),),
            ),
            entry("r2", subject="CD654321A", department="dvla", released=("Citizen.licence",)),
            entry(
                "r3",
                subject="CD654321A",
                department="hmrc",
                refused=(("Citizen.selfAssessment", "purpose_not_allowed"),),
            ),
            entry("r4", subject="", department="council", released=("Council.name",)),
            entry("r5", subject="AB123456C", department="dvla", released=("Citizen.licence",)),
        ]
    )


async def test_a_department_sees_only_releases_of_its_own_data(
    database: Database, open_one: OpenLedger
) -> None:
    await _fill(await open_one())

    hmrc = await releases_for_department(database.url, "hmrc", first=10)
    assert [(e.request_id, e.subject) for e in hmrc] == [("r1", "AB123456C"), ("r3", "CD654321A")]
    assert all(e.department == "hmrc" and e.refused == () for e in hmrc)
    # The NHS refusal released nothing, so the NHS sees nothing.
    assert await releases_for_department(database.url, "nhs", first=10) == []
    dvla = await releases_for_department(database.url, "dvla", first=1)
    assert [e.request_id for e in dvla] == ["r2"]
    more = await releases_for_department(database.url, "dvla", first=10, after=dvla[0].sequence)
    assert [e.request_id for e in more] == ["r5"]


async def test_a_citizen_sees_every_entry_about_them_newest_first(
    database: Database, open_one: OpenLedger
) -> None:
    await _fill(await open_one())

    mine = await entries_for_subject(database.url, "AB123456C", first=10)
    assert [(e.request_id, e.department) for e in mine] == [
        ("r5", "dvla"),
        ("r1", "nhs"),
        ("r1", "hmrc"),
    ]
    assert mine[1].refused == (("Citizen.bloodPressure", "consent_withdrawn"),)
    page = await entries_for_subject(database.url, "AB123456C", first=2)
    rest = await entries_for_subject(database.url, "AB123456C", first=2, after=page[-1].sequence)
    assert page + rest == mine
    assert await entries_for_subject(database.url, "ZZ999999Z", first=10) == []
