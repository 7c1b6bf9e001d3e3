"""A gateway stand-in for the crash test: appends until killed, printing each acknowledged id.

Usage: python -m tests.ledger.appender LEDGER_URL PRIVATE_KEY_PEM
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from federation.ledger import open_ledger
from joinedup.grants import load_or_create_private_key
from tests.ledger.conftest import entry

WRITERS = 8


async def main(url: str, key_path: str) -> None:
    ledger = await open_ledger(url, load_or_create_private_key(Path(key_path)), checkpoint_every=50)
    numbers = itertools.count()

    async def writer(name: int) -> None:
        while True:
            request_id = f"w{name}-{next(numbers)}"
            await ledger.record([entry(request_id), entry(request_id, department="dwp")])
            sys.stdout.write(f"{request_id}\n")
            sys.stdout.flush()

    await asyncio.gather(*(writer(n) for n in range(WRITERS)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
