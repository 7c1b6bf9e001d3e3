"""Several writers, one chain: other processes' ledgers, and a writer killed mid-run."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.ledger import open_ledger, verify
from tests.ledger.conftest import Database, entry

ROOT = Path(__file__).resolve().parents[2]


async def test_two_ledgers_on_one_database_keep_one_chain(
    database: Database, signing_key: Ed25519PrivateKey
) -> None:
    async with (
        await open_ledger(database.url, signing_key, checkpoint_every=7) as one,
        await open_ledger(database.url, signing_key, checkpoint_every=7) as two,
    ):
        for round_ in range(25):
            await asyncio.gather(
                *(
                    one.record([entry(f"one-{round_}-{i}"), entry(f"one-{round_}-{i}b")])
                    for i in range(4)
                ),
                *(two.record([entry(f"two-{round_}-{i}")]) for i in range(4)),
            )
        assert one.commits >= 25 and two.commits >= 25

    report = await verify(database.url, signing_key.public_key())
    assert report.ok, report
    assert report.entries == 25 * 12
    sequences = [row[0] for row in await database.query("SELECT sequence FROM ledger_entry")]
    assert sorted(sequences) == list(range(1, 301))


async def test_a_killed_writer_leaves_a_valid_ledger_holding_every_acknowledged_entry(
    database: Database, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    key_path = tmp_path / "gateway.pem"
    key_path.write_bytes(
        signing_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.ledger.appender",
        database.url,
        str(key_path),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    acknowledged: list[str] = []
    try:
        while len(acknowledged) < 400:
            line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
            assert line, "the appender stopped before it was killed"
            acknowledged.append(line.decode().strip())
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    # Ids it acknowledged after the last line we read were flushed before the kill too.
    acknowledged += [line.decode().strip() for line in (await child.stdout.read()).splitlines()]
    assert child.returncode == -signal.SIGKILL

    report = await verify(database.url, signing_key.public_key())
    assert report.ok, report
    stored = {row[0] for row in await database.query("SELECT request_id FROM ledger_entry")}
    assert set(acknowledged) <= stored
    assert report.entries >= 2 * len(acknowledged)

    # A new process carries the chain on from where the killed one stopped.
    async with await open_ledger(database.url, signing_key) as ledger:
        await ledger.record([entry("after-the-crash")])
    assert (await verify(database.url, signing_key.public_key())).ok
