"""The access ledger's records and the rules of its hash chain, apart from any storage.

Each entry is chained as `hash = SHA-256(prev_hash || canonical JSON of the entry)`,
starting from 32 zero bytes. The canonical form is orjson with sorted keys and
UTC timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ`; the sequence number is not part
of it, because the chain itself fixes each entry's place. A checkpoint signs
`{"at", "hash", "sequence"}` (same canonical form, hash in hex) with Ed25519.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = bytes(32)
_MAX_INT = 2**63 - 1
Row = TypeVar("Row")


@dataclass(frozen=True)
class LedgerEntry:
    """One release and/or refusal of one department's fields about one subject.

    `sequence` is set on entries read back from the ledger; `record` ignores it.
    """

    at: datetime
    request_id: str
    client_id: str
    organisation: str
    purpose: str
    subject: str  # citizen NIN; "" for data about no citizen
    department: str
    released: tuple[str, ...]  # field coordinates such as "Citizen.taxCode"
    refused: tuple[tuple[str, str], ...]  # (coordinate, reason code)
    decision_id: str
    policy_revision: str
    consent_version: int
    sequence: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    checkpoints: int
    problem: str | None = None
    first_bad_sequence: int | None = None


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: bytes
    at: str
    signature: str


@dataclass(frozen=True)
class Chained:
    """An entry with its place in the chain, ready to store."""

    sequence: int
    entry: LedgerEntry
    prev_hash: bytes
    hash: bytes


@functools.lru_cache(maxsize=256)
def timestamp(at: datetime) -> str:
    # Cached: every entry of one request carries the same time.
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return at.astimezone(UTC)


def canonical(entry: LedgerEntry) -> bytes:
    return orjson.dumps(
        {
            "at": timestamp(entry.at),
            "request_id": entry.request_id,
            "client_id": entry.client_id,
            "organisation": entry.organisation,
            "purpose": entry.purpose,
            "subject": entry.subject,
            "department": entry.department,
            "released": list(entry.released),
            "refused": [list(pair) for pair in entry.refused],
            "decision_id": entry.decision_id,
            "policy_revision": entry.policy_revision,
            "consent_version": entry.consent_version,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def link(prev_hash: bytes, entry: LedgerEntry) -> bytes:
    return hashlib.sha256(prev_hash + canonical(entry)).digest()


def chain(head_sequence: int, head_hash: bytes, entries: Sequence[LedgerEntry]) -> list[Chained]:
    """Place `entries` after the chain head, in order."""
    chained = []
    prev = head_hash
    for offset, entry in enumerate(entries, start=1):
        digest = link(prev, entry)
        chained.append(Chained(head_sequence + offset, entry, prev, digest))
        prev = digest
    return chained


def _checkpoint_payload(sequence: int, digest: bytes, at: str) -> bytes:
    return orjson.dumps(
        {"at": at, "hash": digest.hex(), "sequence": sequence}, option=orjson.OPT_SORT_KEYS
    )


def sign_checkpoint(key: Ed25519PrivateKey, sequence: int, digest: bytes) -> Checkpoint:
    at = timestamp(datetime.now(UTC))
    signature = key.sign(_checkpoint_payload(sequence, digest, at))
    return Checkpoint(sequence, digest, at, base64.b64encode(signature).decode("ascii"))


def checkpoints_due(chained: Sequence[Chained], every: int) -> list[Chained]:
    """The entries of a batch that end a run of `every` entries."""
    return [c for c in chained if c.sequence % every == 0]


def signature_valid(checkpoint: Checkpoint, key: Ed25519PublicKey) -> bool:
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        payload = _checkpoint_payload(checkpoint.sequence, checkpoint.hash, checkpoint.at)
        key.verify(signature, payload)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _plain(value: object) -> bool:
    # ASCII without NUL always encodes; anything else takes the careful path below.
    return type(value) is str and value.isascii() and "\x00" not in value


def _well_formed(entry: object) -> bool:
    """The common case, checked without building any message."""
    if type(entry) is not LedgerEntry:
        return False
    version = entry.consent_version
    return (
        type(entry.at) is datetime
        and entry.at.utcoffset() is not None
        and 1 < entry.at.year < 9999  # converting to UTC cannot overflow
        and all(
            _plain(v)
            for v in (
                entry.request_id,
                entry.client_id,
                entry.organisation,
                entry.purpose,
                entry.subject,
                entry.department,
                entry.decision_id,
                entry.policy_revision,
            )
        )
        and bool(entry.request_id and entry.client_id and entry.department)
        and type(entry.released) is tuple
        and all(_plain(c) for c in entry.released)
        and type(entry.refused) is tuple
        and all(
            type(p) is tuple and len(p) == 2 and _plain(p[0]) and _plain(p[1])
            for p in entry.refused
        )
        and type(version) is int
        and 0 <= version <= _MAX_INT
    )


def check_entry(entry: object, index: int) -> None:
    """Refuse, with a clear message, anything that is not a well-formed entry."""
    if _well_formed(entry):
        return
    where = f"entry {index}"
    if not isinstance(entry, LedgerEntry):
        raise TypeError(f"{where} is a {type(entry).__name__}, not a LedgerEntry")
    if not isinstance(entry.at, datetime) or entry.at.utcoffset() is None:
        raise ValueError(f"{where}: `at` must be a timezone-aware datetime")
    texts = {
        "request_id": entry.request_id,
        "client_id": entry.client_id,
        "organisation": entry.organisation,
        "purpose": entry.purpose,
        "subject": entry.subject,
        "department": entry.department,
        "decision_id": entry.decision_id,
        "policy_revision": entry.policy_revision,
    }
    for name, value in texts.items():
        _check_text(value, f"{where}: `{name}`")
    for name in ("request_id", "client_id", "department"):
        if not texts[name]:
            raise ValueError(f"{where}: `{name}` must not be empty")
    if not isinstance(entry.released, tuple):
        raise ValueError(f"{where}: `released` must be a tuple of field coordinates")
    for coordinate in entry.released:
        _check_text(coordinate, f"{where}: a released coordinate")
    if not isinstance(entry.refused, tuple):
        raise ValueError(f"{where}: `refused` must be a tuple of (coordinate, reason) pairs")
    for pair in entry.refused:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"{where}: each refusal must be a (coordinate, reason) pair")
        _check_text(pair[0], f"{where}: a refused coordinate")
        _check_text(pair[1], f"{where}: a refusal reason")
    version = entry.consent_version
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= _MAX_INT:
        raise ValueError(f"{where}: `consent_version` must be a non-negative integer")
    # Whatever would stop the writer from chaining this entry must fail here, in its own
    # request, never in the batch it would share with other requests.
    try:
        canonical(entry)
    except (orjson.JSONEncodeError, OverflowError) as error:
        raise ValueError(f"{where} cannot be recorded: {error}") from None


def _check_text(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL characters")


async def check_chain(
    checkpoints: Sequence[Checkpoint],
    rows: AsyncIterator[Sequence[Row]],
    decode: Callable[[Row], tuple[int, bytes, bytes, LedgerEntry]],
    key: Ed25519PublicKey,
) -> VerifyReport:
    """Recompute the chain from `rows` (in sequence order, in chunks) against `checkpoints`.

    Reports the first problem by sequence: a gap (removed entry), an entry chained
    after a different one (reordered), an entry whose contents no longer match its
    hash (altered), or a checkpoint that is unsigned or disagrees with the chain.
    """
    pending = sorted(checkpoints, key=lambda c: c.sequence)
    position = 0  # next checkpoint to check
    count = 0
    expected = 1
    prev = GENESIS

    def bad(problem: str, sequence: int) -> VerifyReport:
        return VerifyReport(False, count, len(pending), problem, sequence)

    if pending and pending[0].sequence < 1:
        return bad(f"checkpoint at sequence {pending[0].sequence} is not in the chain", 0)
    async for chunk in rows:
        for row in chunk:
            try:
                sequence, stored_prev, stored_hash, entry = decode(row)
            except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as error:
                return bad(f"entry {expected} is unreadable ({error}): altered", expected)
            if sequence != expected:
                if sequence < expected:
                    return bad(f"entry {sequence} appears twice or out of order", sequence)
                missing = (
                    f"entry {expected} is missing"
                    if sequence == expected + 1
                    else f"entries {expected} to {sequence - 1} are missing"
                )
                return bad(f"{missing}: the sequence jumps to {sequence}", expected)
            digest = link(stored_prev, entry)
            if stored_prev != prev:
                if digest == stored_hash:
                    return bad(
                        f"entry {sequence} is out of place: it was chained after a different"
                        " entry (reordered, or an earlier entry was replaced)",
                        sequence,
                    )
                return bad(
                    f"entry {sequence} was altered: its link to the chain is broken", sequence
                )
            if digest != stored_hash:
                return bad(
                    f"entry {sequence} was altered: its contents do not match its hash", sequence
                )
            count += 1
            prev = digest
            expected += 1
            while position < len(pending) and pending[position].sequence == sequence:
                problem = _checkpoint_problem(pending[position], digest, key)
                if problem:
                    return bad(problem, sequence)
                position += 1
    if position < len(pending):
        beyond = pending[position]
        if not signature_valid(beyond, key):
            return bad(
                f"checkpoint at sequence {beyond.sequence} has an invalid signature",
                beyond.sequence,
            )
        return bad(
            f"entries after {expected - 1} are missing: a signed checkpoint covers up to"
            f" sequence {beyond.sequence}",
            expected,
        )
    return VerifyReport(True, count, len(pending))


def _checkpoint_problem(checkpoint: Checkpoint, digest: bytes, key: Ed25519PublicKey) -> str:
    if not signature_valid(checkpoint, key):
        return f"checkpoint at sequence {checkpoint.sequence} has an invalid signature"
    if checkpoint.hash != digest:
        return (
            f"checkpoint at sequence {checkpoint.sequence} does not match the chain:"
            " entries up to it were rewritten"
        )
    return ""
