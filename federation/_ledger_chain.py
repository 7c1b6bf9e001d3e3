"""The access ledger's records and the rules of its hash chain, apart from any storage.

Each entry is chained as `hash = SHA-256(prev_hash || canonical JSON of the entry)`,
starting from 32 zero bytes. The canonical form is orjson with sorted keys and
UTC timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ`; the sequence number is not part
of it, because the chain itself fixes each entry's place. A checkpoint signs
`{"at", "hash", "sequence"}` (same canonical form, hash in hex) with Ed25519.

`canonical` and `check_entry` define an entry's bytes and what is refused;
`Encoder` produces the same bytes, and the stored fields, from pieces it keeps
for values that recur (a request's entries share most of theirs).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = bytes(32)
_MAX_INT = 2**63 - 1
Row = TypeVar("Row")

# What the stores write for each entry, in this order: its fields as stored (the time as
# text, `released` and `refused` as JSON text), then its place in the chain.
FIELDS = (
    "at",
    "request_id",
    "client_id",
    "organisation",
    "purpose",
    "decision_id",
    "policy_revision",
    "subject",
    "department",
    "released",
    "refused",
    "consent_version",
)
ROW_COLUMNS = (*FIELDS, "sequence", "prev_hash", "hash")
Stored = list[Any]  # a row in `ROW_COLUMNS` order


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
    attested: int = 0
    """The last sequence a signed checkpoint covers. Entries after it hang on the hash
    chain alone: whoever can write the store could rewrite or drop them unseen."""


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: bytes
    at: str
    signature: str


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


class Batch:
    """Encoded entries: their canonical bytes, and their rows.

    Each row's last three places (`sequence`, `prev_hash`, `hash`) are left for
    `chain` to fill.
    """

    __slots__ = ("bodies", "rows")

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.rows: list[Stored] = []

    def __len__(self) -> int:
        return len(self.rows)

    def extend(self, other: Batch) -> None:
        self.bodies.extend(other.bodies)
        self.rows.extend(other.rows)


def chain(head_sequence: int, head_hash: bytes, batch: Batch) -> list[Stored]:
    """Place the batch after the chain head, in order; return its completed rows.

    The hashes are bytearrays: Python's sqlite3 binds those directly, while each
    `bytes` value costs it an adapter lookup (about a microsecond).
    """
    sequence = head_sequence
    digest = bytearray(head_hash)
    for body, row in zip(batch.bodies, batch.rows, strict=True):
        prev = digest
        digest = bytearray(hashlib.sha256(prev + body).digest())
        sequence += 1
        row[-3] = sequence
        row[-2] = prev
        row[-1] = digest
    return batch.rows


def _checkpoint_payload(sequence: int, digest: bytes, at: str) -> bytes:
    return orjson.dumps(
        {"at": at, "hash": digest.hex(), "sequence": sequence}, option=orjson.OPT_SORT_KEYS
    )


def sign_checkpoint(key: Ed25519PrivateKey, sequence: int, digest: bytes) -> Checkpoint:
    at = timestamp(datetime.now(UTC))
    signature = key.sign(_checkpoint_payload(sequence, digest, at))
    return Checkpoint(sequence, digest, at, base64.b64encode(signature).decode("ascii"))


def checkpoints_due(
    head_sequence: int, rows: Sequence[Stored], every: int
) -> list[tuple[int, bytes]]:
    """(sequence, hash) of the rows chained after `head_sequence` that end a run of `every`."""
    first = head_sequence - head_sequence % every + every
    last = head_sequence + len(rows)
    return [(s, rows[s - head_sequence - 1][-1]) for s in range(first, last + 1, every)]


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


def _plain_time(at: object) -> bool:
    return (
        type(at) is datetime
        and at.utcoffset() is not None
        and 1 < at.year < 9999  # converting to UTC cannot overflow
    )


def _plain_pair(pair: object) -> bool:
    return type(pair) is tuple and len(pair) == 2 and _plain(pair[0]) and _plain(pair[1])


def _well_formed(entry: object) -> bool:
    """The common case, checked without building any message."""
    if type(entry) is not LedgerEntry:
        return False
    version = entry.consent_version
    return (
        _plain_time(entry.at)
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
        and all(_plain_pair(p) for p in entry.refused)
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


_CACHE_LIMIT = 4096  # distinct values an encoder keeps of each kind before starting afresh


class Encoder:
    """Checks and encodes entries exactly as `check_entry` and `canonical` define.

    The canonical form sorts its keys, so an entry's canonical bytes are a few pieces
    in a fixed order, each standing for one value or a few that travel together (the
    time and client, the organisation, policy and purpose). Each distinct piece is
    checked and serialised once, then found by equality; anything out of the ordinary
    (not plain ASCII, an unusual type, a malformed value) goes through `check_entry`
    and `canonical` instead.
    """

    def __init__(self) -> None:
        self._openings: dict[tuple[Any, ...], tuple[bytes, str]] = {}  # with the time as text
        self._versions: dict[int, bytes] = {}
        self._decisions: dict[str, bytes] = {}
        self._departments: dict[str, bytes] = {}
        self._middles: dict[tuple[Any, ...], bytes] = {}
        self._refused: dict[tuple[tuple[str, str], ...], tuple[bytes, str]] = {}
        self._released: dict[tuple[str, ...], tuple[bytes, str]] = {}
        self._requests: dict[str, bytes] = {}
        self._subjects: dict[str, bytes] = {}

    def encode(self, entries: Iterable[object]) -> Batch:
        """The entries encoded; raise as `check_entry` does on the first bad one."""
        batch = Batch()
        known = self._known
        for index, entry in enumerate(entries):
            if not known(entry, batch):
                check_entry(entry, index)
                _encode_one(cast(LedgerEntry, entry), batch)
        return batch

    def _known(self, entry: object, batch: Batch) -> bool:
        """Add the entry from known or plain values; False to take the careful way."""
        if type(entry) is not LedgerEntry:
            return False
        version = entry.consent_version
        if type(version) is not int or not 0 <= version <= _MAX_INT:
            return False
        at = entry.at
        request_id = entry.request_id
        client_id = entry.client_id
        organisation = entry.organisation
        purpose = entry.purpose
        subject = entry.subject
        department = entry.department
        decision_id = entry.decision_id
        policy_revision = entry.policy_revision
        try:
            opening = self._openings.get((at, client_id)) or self._new_opening(at, client_id)
            decision = self._decisions.get(decision_id) or self._new_decision(decision_id)
            department_json = self._departments.get(department) or self._new_department(department)
            middle = self._middles.get(
                (organisation, policy_revision, purpose)
            ) or self._new_middle(organisation, policy_revision, purpose)
            refused = self._refused.get(entry.refused) or self._new_refused(entry.refused)
            released = self._released.get(entry.released) or self._new_released(entry.released)
            request = self._requests.get(request_id) or self._new_request(request_id)
            subject_json = self._subjects.get(subject) or self._new_subject(subject)
        except Exception:  # unhashable or odd values: `check_entry` names the problem
            return False
        if opening is None or decision is None or department_json is None or middle is None:
            return False
        if refused is None or released is None or request is None or subject_json is None:
            return False
        opening_json, at_text = opening
        refused_json, refused_text = refused
        released_json, released_text = released
        batch.bodies.append(
            b"".join(
                (
                    opening_json,
                    self._versions.get(version) or self._new_version(version),
                    decision,
                    department_json,
                    middle,
                    refused_json,
                    released_json,
                    request,
                    subject_json,
                )
            )
        )
        batch.rows.append(
            [
                at_text,
                request_id,
                client_id,
                organisation,
                purpose,
                decision_id,
                policy_revision,
                subject,
                department,
                released_text,
                refused_text,
                version,
                0,  # sequence, prev_hash and hash: `chain` fills them
                None,
                None,
            ]
        )
        return True

    # The pieces carry the keys around their values: joined in order, they spell out
    # the canonical object.

    def _new_opening(self, at: object, client_id: object) -> tuple[bytes, str] | None:
        if not (_plain_time(at) and _plain(client_id) and client_id):
            return None
        text = timestamp(cast(datetime, at))
        opening = b'{"at":' + _json(text) + b',"client_id":' + _json(client_id)
        return _remember(self._openings, (at, client_id), (opening + b',"consent_version":', text))

    def _new_version(self, version: int) -> bytes:
        return _remember(self._versions, version, b"%d" % version)

    def _new_decision(self, decision_id: object) -> bytes | None:
        if not _plain(decision_id):
            return None
        piece = b',"decision_id":' + _json(decision_id) + b',"department":'
        return _remember(self._decisions, decision_id, piece)

    def _new_department(self, department: object) -> bytes | None:
        if not (_plain(department) and department):
            return None
        return _remember(self._departments, department, _json(department))

    def _new_middle(
        self, organisation: object, policy_revision: object, purpose: object
    ) -> bytes | None:
        if not (_plain(organisation) and _plain(policy_revision) and _plain(purpose)):
            return None
        piece = (
            b',"organisation":'
            + _json(organisation)
            + b',"policy_revision":'
            + _json(policy_revision)
            + b',"purpose":'
            + _json(purpose)
            + b',"refused":'
        )
        return _remember(self._middles, (organisation, policy_revision, purpose), piece)

    def _new_refused(self, refused: object) -> tuple[bytes, str] | None:
        if not (type(refused) is tuple and all(_plain_pair(p) for p in refused)):
            return None
        text = _json([list(pair) for pair in refused])
        return _remember(self._refused, refused, (text + b',"released":', text.decode()))

    def _new_released(self, released: object) -> tuple[bytes, str] | None:
        if not (type(released) is tuple and all(_plain(c) for c in released)):
            return None
        text = _json(list(released))
        return _remember(self._released, released, (text, text.decode()))

    def _new_request(self, request_id: object) -> bytes | None:
        if not (_plain(request_id) and request_id):
            return None
        piece = b',"request_id":' + _json(request_id) + b',"subject":'
        return _remember(self._requests, request_id, piece)

    def _new_subject(self, subject: object) -> bytes | None:
        if not _plain(subject):
            return None
        return _remember(self._subjects, subject, _json(subject) + b"}")


def _json(value: object) -> bytes:
    return orjson.dumps(value)


_V = TypeVar("_V")


def _remember(cache: dict[Any, _V], key: object, value: _V) -> _V:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _encode_one(entry: LedgerEntry, batch: Batch) -> None:
    """Add an entry `check_entry` accepted, encoded by the definitions themselves."""
    batch.bodies.append(canonical(entry))
    batch.rows.append(
        [
            timestamp(entry.at),
            entry.request_id,
            entry.client_id,
            entry.organisation,
            entry.purpose,
            entry.decision_id,
            entry.policy_revision,
            entry.subject,
            entry.department,
            orjson.dumps(list(entry.released)).decode(),
            orjson.dumps([list(pair) for pair in entry.refused]).decode(),
            entry.consent_version,
            0,
            None,
            None,
        ]
    )


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
    attested = 0
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
                attested = sequence
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
    return VerifyReport(True, count, len(pending), attested=attested)


def _checkpoint_problem(checkpoint: Checkpoint, digest: bytes, key: Ed25519PublicKey) -> str:
    if not signature_valid(checkpoint, key):
        return f"checkpoint at sequence {checkpoint.sequence} has an invalid signature"
    if checkpoint.hash != digest:
        return (
            f"checkpoint at sequence {checkpoint.sequence} does not match the chain:"
            " entries up to it were rewritten"
        )
    return ""
