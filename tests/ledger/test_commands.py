"""`joinedup ledger verify` and `joinedup ledger show`, run as the CLI would run them."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation import ledger_commands
from federation.ledger import Ledger
from tests.ledger.conftest import Database, entry

OpenLedger = Callable[..., Awaitable[Ledger]]


async def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="joinedup")
    ledger_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    # The handlers run their own event loop, as they do from the command line.
    code: int = await asyncio.to_thread(args.handler, args)
    return code


@pytest.fixture
def public_key_path(tmp_path: Path, signing_key: Ed25519PrivateKey) -> str:
    path = tmp_path / "gateway.pub"
    path.write_bytes(
        signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


async def _verify(url: str, public_key: str) -> int:
    """`joinedup ledger verify` on the ledger at `url`: its exit status."""
    return await run("ledger", "verify", "--ledger", url, "--public-key", public_key)


async def test_verify_exits_zero_when_intact_and_one_naming_the_bad_entry(
    database: Database,
    open_one: OpenLedger,
    public_key_path: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = await open_one(checkpoint_every=4)
    await ledger.record([entry(f"r{i}") for i in range(10)])
    await ledger.close()

    assert await _verify(database.url, public_key_path) == 0
    assert "intact, 10 entries, 3 signed checkpoints" in capsys.readouterr().out

    await database.tamper(
        "UPDATE ledger_entry SET released = '{}' WHERE sequence = 6"
        if database.engine == "postgresql"
        else "UPDATE ledger_entry SET released = '[]' WHERE sequence = 6"
    )
    assert await _verify(database.url, public_key_path) == 1
    out = capsys.readouterr().out
    assert "NOT intact: entry 6 was altered" in out
    assert "first bad entry: 6" in out


async def test_verify_reports_a_missing_ledger_or_key(
    tmp_path: Path, public_key_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert await _verify(missing, public_key_path) == 2
    assert "no ledger" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
    no_key = str(tmp_path / "none.pub")
    assert await _verify(missing, no_key) == 2
    assert "none.pub" in capsys.readouterr().err


async def test_show_prints_the_last_entries_or_one_subjects(
    database: Database, open_one: OpenLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = await open_one()
    await ledger.record(
        [
            entry("r1", subject="AB123456C", refused=(("Citizen.income", "consent_missing"),)),
            entry("r2", subject="CD654321A", department="dvla", released=("Citizen.licence",)),
            entry("r3", subject="AB123456C", department="nhs", released=("Citizen.gp",)),
        ]
    )

    assert await run("ledger", "show", "--ledger", database.url, "--last", "2") == 0
    out = capsys.readouterr().out
    assert "request r1" not in out
    assert out.index("#2 ") < out.index("#3 ")
    assert "released: Citizen.licence" in out

    assert await run("ledger", "show", "--ledger", database.url, "--subject", "AB123456C") == 0
    out = capsys.readouterr().out
    assert "request r1" in out and "request r3" in out and "r2" not in out
    assert "refused: Citizen.income (consent_missing)" in out

    with pytest.raises(SystemExit):
        await run("ledger", "show", "--ledger", database.url, "--last", "0")


async def test_verify_says_how_many_entries_no_signed_checkpoint_covers(
    database: Database,
    open_one: OpenLedger,
    public_key_path: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A tail whose checkpoints were deleted hangs on the hash chain alone: it could have been
    # rewritten unseen, so verify says so instead of only "intact".
    ledger = await open_one(checkpoint_every=4)
    await ledger.record([entry(f"r{i}") for i in range(10)])
    await ledger.close()
    await database.tamper("DELETE FROM ledger_checkpoint WHERE sequence > 4")
    assert await _verify(database.url, public_key_path) == 0
    out = capsys.readouterr().out
    assert "intact, 10 entries, 1 signed checkpoints" in out
    assert "6 entries after #4 are not yet covered by a signed checkpoint" in out


async def test_a_password_in_the_urls_query_is_never_shown(
    database: Database,
    open_one: OpenLedger,
    public_key_path: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if database.engine != "postgresql":
        pytest.skip("a SQLite ledger's URL is a path")
    ledger = await open_one(checkpoint_every=4)
    await ledger.record([entry("r1")])
    await ledger.close()
    url = database.url + ("&" if "?" in database.url else "?") + "password=hunter3"
    assert await _verify(url, public_key_path) == 0
    out = capsys.readouterr().out
    assert "hunter3" not in out and "password=***" in out
