"""A commit that fails raises in every request waiting on it; the ledger then recovers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import Ledger, LedgerError, latest_entries, open_ledger, verify
from tests.ledger.conftest import Database, entry

OpenLedger = Callable[..., Awaitable[Ledger]]

_SQLITE_FAIL = (
    "CREATE TRIGGER ledger_test_fail BEFORE INSERT ON ledger_entry"
    " BEGIN SELECT RAISE(ABORT, 'storage refused the write'); END"
)
_POSTGRES_FAIL = (
    """CREATE FUNCTION ledger_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'storage refused the write'; END $$""",
    """CREATE TRIGGER ledger_test_fail BEFORE INSERT ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_test_fail()""",
)


async def test_a_failed_commit_raises_in_every_waiting_caller(
    database: Database, open_one: OpenLedger, signing_key: Ed25519PrivateKey
) -> None:
    ledger = await open_one()
    await ledger.record([entry("before")])
    if database.engine == "sqlite":
        await database.tamper(_SQLITE_FAIL)
    else:
        await database.tamper(*_POSTGRES_FAIL)

    results = await asyncio.gather(
        *(ledger.record([entry(f"lost{i}")]) for i in range(20)), return_exceptions=True
    )
    assert all(isinstance(r, LedgerError) for r in results), results
    assert "storage refused the write" in str(results[0])

    await database.tamper(
        "DROP TRIGGER ledger_test_fail" + ("" if database.path else " ON ledger_entry")
    )
    await ledger.record([entry("after")])
    ids = [e.request_id for e in await latest_entries(database.url, first=100)]
    assert ids == ["after", "before"]
    await ledger.close()
    assert (await verify(database.url, signing_key.public_key())).ok


async def test_a_killed_postgres_connection_raises_in_waiting_callers(
    postgres_database: Database, signing_key: Ed25519PrivateKey
) -> None:
    database = postgres_database
    async with await open_ledger(database.url, signing_key) as ledger:
        await ledger.record([entry("before")])

        # Hold the chain head so the next batch waits inside its transaction, then kill it there.
        blocker = await asyncpg.connect(database.url.split("&application_name")[0])
        try:
            holding = blocker.transaction()
            await holding.start()
            await blocker.execute("SELECT * FROM ledger_head FOR UPDATE")
            waiting = [asyncio.create_task(ledger.record([entry(f"lost{i}")])) for i in range(20)]
            while not await blocker.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = $1 AND wait_event_type = 'Lock'",
                database.application_name,
            ):
                await asyncio.sleep(0.02)
            killed = await blocker.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = $1",
                database.application_name,
            )
            assert killed == 1
            results = await asyncio.gather(*waiting, return_exceptions=True)
            await holding.rollback()
        finally:
            await blocker.close()

        assert all(isinstance(r, LedgerError) for r in results), results
        await ledger.record([entry("after")])  # on a fresh connection
        ids = [e.request_id for e in await latest_entries(database.url, first=100)]
        assert ids == ["after", "before"]
    assert (await verify(database.url, signing_key.public_key())).ok
