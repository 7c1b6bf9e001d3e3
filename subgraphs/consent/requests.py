"""The consent service's own tables: services' pending consent requests, proxies, receipts.

They live in the consent store's database (migration 2) but are reached
through connections of their own, on SQLite or PostgreSQL alike. Answering a
request is a claim (`pending` → answered, in one conditional UPDATE), so two
answers racing for one request cannot both win.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from subgraphs.consent.records import ConsentEvent, parse_rfc3339, rfc3339
from subgraphs.consent.store import ConsentError

PENDING = "pending"
ACCEPTED = "accepted"
REFUSED = "refused"

_REQUEST_COLUMNS = (
    "request_id, nin, purpose, client, explanation, status, requested_at, answered_at,"
    " answered_by, answer_version"
)
_EVENT_COLUMNS = (
    "event_id, nin, version, purpose, state, opted_out, expires_at, at, actor, prev_hash, hash"
)


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """A service's request that a citizen give consent for one purpose."""

    request_id: str
    nin: str
    purpose: str
    client: str
    explanation: str
    status: str
    requested_at: datetime
    answered_at: datetime | None
    answered_by: str | None
    answer_version: int | None


@dataclass(frozen=True, slots=True)
class Proxy:
    """Someone a citizen has authorised to manage their consent (`proxy_nin` acts for them)."""

    principal_nin: str
    proxy_nin: str
    reason: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    receipt_id: str
    nin: str
    version: int
    collection_method: str
    jws: str


class _Engine(Protocol):
    """SQL with `?` placeholders, on one engine; the store above it is engine-blind."""

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]: ...

    def time_in(self, moment: datetime | None) -> Any: ...

    def time_out(self, value: Any) -> datetime | None: ...

    def event(self, row: dict[str, Any]) -> ConsentEvent: ...

    async def close(self) -> None: ...


class _Sqlite:
    def __init__(self, connection: Any) -> None:
        self._connection = connection
        # One statement at a time, run to its end: a half-read SELECT would hold a
        # snapshot that a write on the same connection cannot upgrade once another
        # connection has committed (SQLITE_BUSY_SNAPSHOT, which never waits).
        self._turn = asyncio.Lock()

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        async with self._turn, self._connection.execute(sql, args) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    def time_in(self, moment: datetime | None) -> Any:
        return None if moment is None else rfc3339(moment)

    def time_out(self, value: Any) -> datetime | None:
        return None if value is None else parse_rfc3339(value)

    def event(self, row: dict[str, Any]) -> ConsentEvent:
        from subgraphs.consent.sqlite import event_from_row

        return event_from_row(row)  # type: ignore[arg-type]

    async def close(self) -> None:
        await self._connection.close()


_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class _Postgres:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return [dict(row) for row in await self._pool.fetch(_numbered(sql), *args)]

    def time_in(self, moment: datetime | None) -> Any:
        return moment

    def time_out(self, value: Any) -> datetime | None:
        return value if value is None or isinstance(value, datetime) else parse_rfc3339(value)

    def event(self, row: dict[str, Any]) -> ConsentEvent:
        from subgraphs.consent.postgres import event_from_row

        return event_from_row(row)

    async def close(self) -> None:
        await self._pool.close()


def _in_list(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


class RequestStore:
    """Pending consent requests, proxies and issued receipts, on either engine."""

    def __init__(self, engine: _Engine) -> None:
        self._db = engine
        self.queries = 0
        """Statements sent to the database so far (each batched read adds exactly one)."""

    async def _fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        self.queries += 1
        return await self._db.fetch(sql, *args)

    def _request(self, row: dict[str, Any]) -> ConsentRequest:
        answered_at = self._db.time_out(row["answered_at"])
        requested_at = self._db.time_out(row["requested_at"])
        assert requested_at is not None
        return ConsentRequest(
            request_id=str(row["request_id"]),
            nin=row["nin"],
            purpose=row["purpose"],
            client=row["client"],
            explanation=row["explanation"],
            status=row["status"],
            requested_at=requested_at,
            answered_at=answered_at,
            answered_by=row["answered_by"],
            answer_version=row["answer_version"],
        )

    async def create(self, nin: str, purpose: str, client: str, explanation: str) -> ConsentRequest:
        """A new pending request; a second one from the same service for the same purpose waits."""
        pending = await self._fetch(
            f"SELECT {_REQUEST_COLUMNS} FROM consent_request"
            " WHERE nin = ? AND purpose = ? AND client = ? AND status = 'pending'",
            nin,
            purpose,
            client,
        )
        if pending:
            raise _already_pending(str(pending[0]["request_id"]))
        request_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        try:
            rows = await self._fetch(
                f"INSERT INTO consent_request ({_REQUEST_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?, NULL, NULL, NULL)"
                f" RETURNING {_REQUEST_COLUMNS}",
                request_id,
                nin,
                purpose,
                client,
                explanation,
                self._db.time_in(now),
            )
        except Exception as error:  # a racing request won the unique pending index
            if "unique" not in str(error).lower():
                raise
            raise _already_pending(None) from None
        return self._request(rows[0])

    async def get(self, request_id: str) -> ConsentRequest | None:
        if not _is_uuid(request_id):
            return None
        rows = await self._fetch(
            f"SELECT {_REQUEST_COLUMNS} FROM consent_request WHERE request_id = ?", request_id
        )
        return self._request(rows[0]) if rows else None

    async def pending(self, nins: Sequence[str]) -> dict[str, list[ConsentRequest]]:
        """Every pending request of each citizen in `nins`, oldest first, in one query."""
        found: dict[str, list[ConsentRequest]] = {nin: [] for nin in nins}
        wanted = list(dict.fromkeys(nins))
        if not wanted:
            return found
        rows = await self._fetch(
            f"SELECT {_REQUEST_COLUMNS} FROM consent_request"
            f" WHERE nin IN ({_in_list(wanted)}) AND status = 'pending'"
            " ORDER BY requested_at, request_id",
            *wanted,
        )
        for row in rows:
            found[row["nin"]].append(self._request(row))
        return found

    async def claim(self, request_id: str, accept: bool, actor: str) -> ConsentRequest:
        """Mark a pending request answered; refuse one already answered or unknown."""
        rows = await self._fetch(
            "UPDATE consent_request SET status = ?, answered_at = ?, answered_by = ?"
            f" WHERE request_id = ? AND status = 'pending' RETURNING {_REQUEST_COLUMNS}",
            ACCEPTED if accept else REFUSED,
            self._db.time_in(datetime.now(UTC)),
            actor,
            request_id,
        )
        if rows:
            return self._request(rows[0])
        current = await self.get(request_id)
        if current is None:
            raise ConsentError("NOT_FOUND", f"there is no consent request {request_id!r}")
        raise ConsentError(
            "ALREADY_ANSWERED",
            f"consent request {request_id} was already {current.status}"
            f" at {current.answered_at.isoformat() if current.answered_at else 'some time'}",
        )

    async def settle(self, request_id: str, version: int) -> ConsentRequest:
        """Note the consent version that the answer produced."""
        rows = await self._fetch(
            f"UPDATE consent_request SET answer_version = ? WHERE request_id = ?"
            f" RETURNING {_REQUEST_COLUMNS}",
            version,
            request_id,
        )
        return self._request(rows[0])

    async def reopen(self, request_id: str) -> None:
        """Undo a claim whose consent change failed, so the request can still be answered."""
        await self._fetch(
            "UPDATE consent_request SET status = 'pending', answered_at = NULL,"
            " answered_by = NULL, answer_version = NULL WHERE request_id = ?",
            request_id,
        )

    def _proxy(self, row: dict[str, Any]) -> Proxy:
        added_at = self._db.time_out(row["added_at"])
        assert added_at is not None
        return Proxy(row["principal_nin"], row["proxy_nin"], row["reason"], added_at)

    async def add_proxy(self, principal: str, proxy: str, reason: str) -> Proxy:
        """Authorise `proxy` to act for `principal`; adding again updates the reason."""
        rows = await self._fetch(
            "INSERT INTO consent_proxy (principal_nin, proxy_nin, reason, added_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (principal_nin, proxy_nin)"
            " DO UPDATE SET reason = excluded.reason"
            " RETURNING principal_nin, proxy_nin, reason, added_at",
            principal,
            proxy,
            reason,
            self._db.time_in(datetime.now(UTC)),
        )
        return self._proxy(rows[0])

    async def remove_proxy(self, principal: str, proxy: str) -> Proxy | None:
        rows = await self._fetch(
            "DELETE FROM consent_proxy WHERE principal_nin = ? AND proxy_nin = ?"
            " RETURNING principal_nin, proxy_nin, reason, added_at",
            principal,
            proxy,
        )
        return self._proxy(rows[0]) if rows else None

    async def is_proxy(self, proxy: str, principal: str) -> bool:
        rows = await self._fetch(
            "SELECT 1 AS found FROM consent_proxy WHERE principal_nin = ? AND proxy_nin = ?",
            principal,
            proxy,
        )
        return bool(rows)

    async def proxies(self, principals: Sequence[str]) -> dict[str, list[Proxy]]:
        """Everyone authorised to act for each citizen in `principals`, in one query."""
        found: dict[str, list[Proxy]] = {nin: [] for nin in principals}
        wanted = list(dict.fromkeys(principals))
        if not wanted:
            return found
        rows = await self._fetch(
            "SELECT principal_nin, proxy_nin, reason, added_at FROM consent_proxy"
            f" WHERE principal_nin IN ({_in_list(wanted)}) ORDER BY added_at, proxy_nin",
            *wanted,
        )
        for row in rows:
            found[row["principal_nin"]].append(self._proxy(row))
        return found

    async def event(self, nin: str, version: int) -> ConsentEvent | None:
        """The history entry that made `nin`'s consent version `version`."""
        rows = await self._fetch(
            f"SELECT {_EVENT_COLUMNS} FROM consent_event WHERE nin = ? AND version = ?",
            nin,
            version,
        )
        return self._db.event(rows[0]) if rows else None

    async def histories(self, nins: Sequence[str]) -> dict[str, list[ConsentEvent]]:
        """Each citizen's history, newest first, for every NIN in `nins`, in one query."""
        found: dict[str, list[ConsentEvent]] = {nin: [] for nin in nins}
        wanted = list(dict.fromkeys(nins))
        if not wanted:
            return found
        rows = await self._fetch(
            f"SELECT {_EVENT_COLUMNS} FROM consent_event"
            f" WHERE nin IN ({_in_list(wanted)}) ORDER BY nin, version DESC",
            *wanted,
        )
        for row in rows:
            found[row["nin"]].append(self._db.event(row))
        return found

    async def save_receipt(self, receipt: StoredReceipt) -> None:
        await self._fetch(
            "INSERT INTO consent_receipt (receipt_id, nin, version, collection_method, jws)"
            " VALUES (?, ?, ?, ?, ?)",
            receipt.receipt_id,
            receipt.nin,
            receipt.version,
            receipt.collection_method,
            receipt.jws,
        )

    async def receipts(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The receipt (JWS) issued for each (nin, version) in `keys` that has one, in one query."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        nins = list(dict.fromkeys(nin for nin, _ in wanted))
        versions = list(dict.fromkeys(version for _, version in wanted))
        rows = await self._fetch(
            "SELECT nin, version, jws FROM consent_receipt"
            f" WHERE nin IN ({_in_list(nins)}) AND version IN ({_in_list(versions)})",
            *nins,
            *versions,
        )
        asked = set(wanted)
        return {
            (row["nin"], row["version"]): row["jws"]
            for row in rows
            if (row["nin"], row["version"]) in asked
        }

    async def close(self) -> None:
        await self._db.close()


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except (ValueError, TypeError, AttributeError):
        return False


def _already_pending(request_id: str | None) -> ConsentError:
    which = f" ({request_id})" if request_id else ""
    return ConsentError(
        "ALREADY_PENDING",
        f"this service already has a pending request{which} for that purpose:"
        " wait for the citizen to answer it",
    )


async def open_request_store(url: str) -> RequestStore:
    """Connect to the consent database at `url`; open the consent store first, it migrates."""
    if url.startswith("sqlite:///"):
        import aiosqlite

        connection = await aiosqlite.connect(
            url.removeprefix("sqlite:///"), isolation_level=None, timeout=30.0
        )
        connection.row_factory = sqlite3.Row
        return RequestStore(_Sqlite(connection))
    if url.startswith(("postgresql://", "postgres://")):
        import asyncpg

        pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
        return RequestStore(_Postgres(pool))
    raise ValueError(f"unsupported consent store URL {url!r}: use sqlite:/// or postgresql://")
