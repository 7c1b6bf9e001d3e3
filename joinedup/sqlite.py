"""SQLite details shared by every store that keeps a file."""

from __future__ import annotations

import sqlite3
import time


def switch_to_wal(connection: sqlite3.Connection, attempts: int = 200) -> None:
    """Put the database in WAL mode, waiting while another process does the same.

    Changing the journal mode needs the file to itself, and SQLite answers "locked"
    at once rather than waiting when several processes open a new file together.
    """
    for attempt in range(attempts):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.01 + 0.001 * attempt)
