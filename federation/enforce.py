"""Enforce: decide each plan step before it is fetched, and say what was released.

For every step the executor hands over (its fetches and their representations),
`Guard.prepare` works out which citizen each part is about, reads their
current consent in one query, takes one policy decision for the whole step,
and turns each fetch into requests that ask a department only for allowed
fields, split by allowed field set, each carrying a signed grant. Refused
fields become errors with a reason code; every release and refusal becomes a
ledger entry, written before the response leaves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from graphql import (
    ArgumentNode,
    DocumentNode,
    StringValueNode,
    Undefined,
    ValueNode,
    Visitor,
    value_from_ast_untyped,
    visit,
)

from federation.auth import Caller
from federation.decide import DecisionCache, FieldInfo, StepDecision, Verdict, decide_step
from federation.execute import FetchInput, FetchRequest, Prepared
from federation.fetch_fields import (
    SUBJECT_KEY,
    SUBJECT_TYPE,
    FetchFields,
    Place,
    holds,
    read_fetch,
)
from federation.ledger import Ledger, LedgerEntry
from federation.obligations import OBLIGATION_UNSUPPORTED, rewriter, supported
from federation.plan import Fetch
from federation.policy import PolicyEngine
from federation.supergraph import Supergraph
from federation.types import GraphQLErrorDict
from joinedup import grants
from joinedup.identifiers import is_valid_nin
from subgraphs.consent.records import CitizenConsent
from subgraphs.consent.store import ConsentStore

OTHER_CITIZEN = "OTHER_CITIZEN"
NOTHING_TO_DECIDE = "NOTHING_TO_DECIDE"
NO_SUBJECT: dict[str, Any] = {"self": False, "opted_out": False, "consents": {}}
_CONSENT_REASONS = {"CONSENT_REQUIRED", "CONSENT_WITHDRAWN", "CONSENT_REFUSED", "CONSENT_EXPIRED"}

Outcome = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]
"""What a step did about one subject: coordinates released, and (coordinate, reason) refused."""


def field_catalog(supergraph: Supergraph) -> dict[str, tuple[str | None, str | None]]:
    """Each field coordinate's `@dataCategory` (name, sensitivity), read from the supergraph."""
    catalog: dict[str, tuple[str | None, str | None]] = {}
    for type_name, info in supergraph.types.items():
        for name in info.fields:
            for directive in supergraph.field_directives(type_name, name):
                if directive.name.value != "dataCategory":
                    continue
                args = {a.name.value: a.value for a in directive.arguments or ()}
                category = args.get("name")
                sensitivity = args.get("sensitivity")
                catalog[f"{type_name}.{name}"] = (
                    category.value if isinstance(category, StringValueNode) else None,
                    getattr(sensitivity, "value", None),
                )
    return catalog


@dataclass
class Enforcement:
    """What the gateway needs to decide and record, built once per process."""

    supergraph: Supergraph
    engine: PolicyEngine
    consents: ConsentStore
    signing_key: Ed25519PrivateKey
    ledger: Ledger | None = None
    consent_url: str = "http://127.0.0.1:4000/portal/consents"
    cache: DecisionCache = field(default_factory=DecisionCache)
    catalog: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    _fetches: dict[tuple[str, str], tuple[FetchFields, tuple[FieldInfo, ...]]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        if not self.catalog:
            self.catalog = field_catalog(self.supergraph)

    def fields_of(self, fetch: Fetch) -> tuple[FetchFields, tuple[FieldInfo, ...]]:
        """What `fetch` reads, and the policy's view of each field it reads."""
        key = (fetch.service, fetch.operation)
        known = self._fetches.get(key)
        if known is None:
            root = self.supergraph.root_types.get(fetch.kind, "Query")
            read = read_fetch(self.supergraph, fetch.operation, root)
            infos = tuple(
                FieldInfo(f"{fetch.service}|{c}", fetch.service, *self.catalog.get(c, (None, None)))
                for c in read.coordinates
            )
            known = (read, infos)
            if len(self._fetches) < 10_000:
                self._fetches[key] = known
        return known

    def guard(self, caller: Caller, request_id: str) -> Guard:
        return Guard(self, caller, request_id)


@dataclass
class _Part:
    """One fetch of the step: who each piece is about, and what it asks."""

    item: FetchInput
    read: FetchFields
    fields: tuple[FieldInfo, ...]
    subjects: list[str]  # per representation (entity) or per root field (root)
    places: Mapping[str, tuple[Place, ...]]  # those the request's `@skip`/`@include` leave in
    coordinates: frozenset[str]  # of `places`


class Guard:
    """One request's decisions: prepares each step, collects ledger entries."""

    def __init__(self, enforcement: Enforcement, caller: Caller, request_id: str) -> None:
        self.enforcement = enforcement
        self.caller = caller
        self.request_id = request_id
        self.entries: list[LedgerEntry] = []
        self.decisions: list[dict[str, Any]] = []
        # Consent as read at the request's first step about each citizen: later steps
        # decide on the same reading instead of asking the store again.
        self._consents: dict[str, CitizenConsent] = {}
        self._asked: set[str] = set()

    async def prepare(self, items: Sequence[FetchInput]) -> list[Prepared]:
        enforcement = self.enforcement
        now = datetime.now(UTC)
        parts = [self._part(item) for item in items]
        purpose = self.caller.purpose
        consents = await self._read_consents(parts)
        profiles: dict[str, dict[str, Any]] = {}
        for part in parts:
            for subject in part.subjects:
                if subject in profiles:
                    continue
                if subject and subject in consents:
                    profile = consents[subject].profile(purpose, now)
                    profiles[subject] = {**profile, "self": subject == self.caller.citizen}
                else:
                    profiles[subject] = NO_SUBJECT
        fields = [info for part in parts for info in part.fields]
        step = await decide_step(
            enforcement.engine, self.caller, fields, profiles, enforcement.cache, now
        )
        prepared = []
        for part in parts:
            if part.read.entity:
                requests, outcomes = self._entity(part, step)
            else:
                requests, outcomes = self._root(part, step)
            prepared.append(requests)
            self._record(part, step, outcomes, consents, now)
        if any(part.item.fetch.kind == "mutation" for part in parts):
            # A mutation may change consent (a withdrawal, say): what follows reads it afresh.
            self._consents.clear()
            self._asked.clear()
        return prepared

    async def _read_consents(self, parts: Sequence[_Part]) -> Mapping[str, CitizenConsent]:
        unread = sorted({s for part in parts for s in part.subjects if s} - self._asked)
        if unread:
            read = await self.enforcement.consents.read(unread, self.caller.purpose)
            self._asked.update(unread)
            self._consents.update(read)
        return self._consents

    def _part(self, item: FetchInput) -> _Part:
        read, fields = self.enforcement.fields_of(item.fetch)
        places, coordinates = read.places, read.coordinates
        if read.conditional:
            # A field the variables leave out is neither asked, decided nor recorded.
            places = read.places_for(item.variables)
            coordinates = frozenset(places)
            fields = tuple(f for f in fields if f.coordinate.partition("|")[2] in coordinates)
        if item.representations is not None:
            subjects = [_subject_of(r) for r in item.representations]
        else:
            subjects = []
            for root in read.root_fields:
                nin = root.nin_literal
                if root.nin_variable is not None:
                    value = item.variables.get(root.nin_variable)
                    nin = value if isinstance(value, str) else None
                subjects.append(nin or "")
        return _Part(item, read, fields, subjects, places, coordinates)

    # -- entity fetches ------------------------------------------------------------------------

    def _entity(self, part: _Part, step: StepDecision) -> tuple[Prepared, dict[str, Outcome]]:
        fetch, read = part.item.fetch, part.read
        representations = part.item.representations or ()
        groups: dict[frozenset[str], list[int]] = {}
        errors: list[GraphQLErrorDict] = []
        outcomes: dict[str, Outcome] = {}
        duties: dict[frozenset[str], dict[tuple[str, ...], tuple[str, ...]]] = {}
        # Citizens with the same consent profile share one verdict mapping: work each out once.
        seen: dict[int, tuple[frozenset[str], list[GraphQLErrorDict], Outcome]] = {}
        for index, subject in enumerate(part.subjects):
            shared = id(step.verdicts.get(subject))
            if shared not in seen:
                verdicts = self._verdicts(step, fetch.service, subject, part.coordinates)
                allowed = frozenset(c for c, v in verdicts.items() if v.allow)
                duties.setdefault(allowed, _duties(read, verdicts))
                refusals = self._refusals(fetch.service, part, verdicts, ())
                seen[shared] = (allowed, refusals, _outcome(verdicts))
            allowed, refusals, outcomes[subject] = seen[shared]
            groups.setdefault(allowed, []).append(index)
            errors += [{**e, "path": ["_entities", index, *e["path"]]} for e in refusals]
        requests = []
        for allowed, indices in groups.items():
            if not allowed:
                continue
            subjects = {part.subjects[i]: allowed for i in indices}
            variables = {
                **part.item.variables,
                "representations": [representations[i] for i in indices],
            }
            requests.append(
                FetchRequest(
                    self._operation(read, fetch, allowed),
                    variables,
                    tuple(indices),
                    headers=self._grant(fetch.service, step, subjects),
                    rewrite=rewriter(duties[allowed]),
                )
            )
        return Prepared(tuple(requests), tuple(errors)), outcomes

    # -- root fetches --------------------------------------------------------------------------

    def _root(self, part: _Part, step: StepDecision) -> tuple[Prepared, dict[str, Outcome]]:
        """Root fields go out grouped by what each may release about its own subject.

        A query's root fields about different citizens may go as separate requests; a
        mutation's stay in one request (their order matters) and a mutation field is
        only sent when everything it would release is allowed. A root field selecting
        no field a decision covers (only `__typename`) is never sent: nothing could
        allow what it would do or tell.
        """
        fetch, read = part.item.fetch, part.read
        service = fetch.service
        under: dict[str, set[str]] = {root.key: set() for root in read.root_fields}
        for coordinate, places in part.places.items():
            for place in places:
                under.setdefault(str(place.path[0]), set()).add(coordinate)
        mutation = fetch.kind == "mutation"
        errors: list[GraphQLErrorDict] = []
        released: dict[str, set[str]] = {}
        refusals: dict[str, set[tuple[str, str]]] = {}
        groups: dict[frozenset[str], list[tuple[str, str, dict[str, Verdict]]]] = {}
        for root, subject in zip(read.root_fields, part.subjects, strict=True):
            if root.conditions and not holds(root.conditions, part.item.variables):
                continue  # left out by the client's `@skip`/`@include`: not asked at all
            refused_here = refusals.setdefault(subject, set())
            released.setdefault(subject, set())
            if not under[root.key]:
                nothing = Verdict(False, NOTHING_TO_DECIDE)
                errors.append(self._error(service, None, nothing, [root.key]))
                refused_here.add((f"{read.root_type}.{root.name}", NOTHING_TO_DECIDE))
                continue
            verdicts = self._verdicts(step, service, subject, under[root.key])
            allowed = frozenset(c for c, v in verdicts.items() if v.allow)
            refused = [v for v in verdicts.values() if not v.allow]
            refused_here.update((c, v.reason) for c, v in verdicts.items() if not v.allow)
            if refused and (not allowed or mutation):
                # Nothing to release, or a change whose result the caller may not see.
                errors.append(self._error(service, None, refused[0], [root.key]))
                continue
            released[subject].update(allowed)
            errors += self._refusals(service, part, verdicts, (), only_root=root.key)
            groups.setdefault(frozenset() if mutation else allowed, []).append(
                (root.key, subject, verdicts)
            )
        requests = []
        for members in groups.values():
            allowed = frozenset(
                c for _, _, verdicts in members for c, v in verdicts.items() if v.allow
            )
            grant: dict[str, frozenset[str]] = {}
            duties: dict[tuple[str, ...], tuple[str, ...]] = {}
            for key, subject, verdicts in members:
                mine = frozenset(c for c, v in verdicts.items() if v.allow)
                grant[subject] = grant.get(subject, frozenset()) | mine
                duties.update(_duties(read, verdicts, only_root=key))
            keys = frozenset(key for key, _, _ in members)
            requests.append(
                FetchRequest(
                    read.narrowed(allowed, keys),
                    part.item.variables,
                    headers=self._grant(service, step, grant),
                    rewrite=rewriter(duties),
                )
            )
        outcomes = {
            subject: (tuple(sorted(released[subject])), tuple(sorted(refusals[subject])))
            for subject in released
        }
        return Prepared(tuple(requests), tuple(errors)), outcomes

    # -- shared --------------------------------------------------------------------------------

    def _verdicts(
        self, step: StepDecision, service: str, subject: str, coordinates: frozenset[str] | set[str]
    ) -> dict[str, Verdict]:
        """Verdicts by coordinate; a release on a condition the gateway cannot meet is refused."""
        per_field = step.verdicts.get(subject, {})
        denied = Verdict(False, "POLICY_UNAVAILABLE")
        verdicts = {c: per_field.get(f"{service}|{c}", denied) for c in coordinates}
        for coordinate, verdict in verdicts.items():
            if verdict.allow and not supported(verdict.obligations):
                verdicts[coordinate] = Verdict(False, OBLIGATION_UNSUPPORTED)
        return verdicts

    def _operation(self, read: FetchFields, fetch: Fetch, allowed: frozenset[str]) -> str:
        if allowed == read.coordinates and not read.nested:
            return fetch.operation
        return read.narrowed(allowed)

    def _grant(
        self, service: str, step: StepDecision, subjects: Mapping[str, frozenset[str]]
    ) -> dict[str, str]:
        grant = grants.Grant(
            client=self.caller.client_id,
            purpose=self.caller.purpose,
            decision_id=step.decision_id,
            department=service,
            subjects=dict(subjects),
            citizen=self.caller.citizen,
        )
        return {grants.HEADER: grants.sign(grant, self.enforcement.signing_key)}

    def _refusals(
        self,
        service: str,
        part: _Part,
        verdicts: Mapping[str, Verdict],
        prefix: tuple[str | int, ...],
        only_root: str | None = None,
    ) -> list[GraphQLErrorDict]:
        read = part.read
        refused_paths: dict[tuple[str, ...], tuple[str, Verdict]] = {}
        for coordinate, verdict in verdicts.items():
            if verdict.allow:
                continue
            for place in part.places.get(coordinate, ()):
                if only_root is None or place.path[0] == only_root:
                    refused_paths.setdefault(place.error_path, (coordinate, verdict))
        for coordinate, places in read.nested.items():
            for place in places:
                if only_root is None or place.path[0] == only_root:
                    other = Verdict(False, OTHER_CITIZEN)
                    refused_paths.setdefault(place.error_path, (coordinate, other))
        errors = []
        for path, (coordinate, verdict) in sorted(refused_paths.items()):
            if any(path[:n] in refused_paths for n in range(1, len(path))):
                continue  # an enclosing field is refused already
            errors.append(self._error(service, coordinate, verdict, [*prefix, *path]))
        return errors

    def _error(
        self, service: str, coordinate: str | None, verdict: Verdict, path: list[Any]
    ) -> GraphQLErrorDict:
        category = self.enforcement.catalog.get(coordinate or "", (None, None))[0]
        if verdict.reason == OTHER_CITIZEN:
            message = (
                f"{coordinate} is about another citizen: ask for it with their NIN "
                "so that their own consent decides it."
            )
        elif verdict.reason == NOTHING_TO_DECIDE:
            message = (
                f"`{path[-1]}` selects no field a decision covers (only `__typename`, or "
                "fields `@skip`/`@include` leave out), so no decision can allow it: select "
                "at least one of its fields."
            )
        elif coordinate is None:
            message = (
                f"Nothing in `{path[-1]}` may be released for purpose "
                f"{self.caller.purpose}: {verdict.reason}."
            )
        else:
            message = f"{coordinate} was not released: {verdict.reason}."
        extensions: dict[str, Any] = {
            "code": verdict.reason,
            "department": service,
            "category": category,
            "purpose": self.caller.purpose,
        }
        if coordinate is not None:
            extensions["field"] = coordinate
        if verdict.reason in _CONSENT_REASONS | {"OPTED_OUT"}:
            extensions["consentUrl"] = f"{self.enforcement.consent_url}/{self.caller.purpose}"
        return {"message": message, "path": path, "extensions": extensions}

    def _record(
        self,
        part: _Part,
        step: StepDecision,
        outcomes: Mapping[str, Outcome],
        consents: Mapping[str, Any],
        now: datetime,
    ) -> None:
        """One ledger entry per subject of the part: what was sent about them, and what
        was refused. A field allowed but not sent (a mutation held back) is neither."""
        service = part.item.fetch.service
        caller = self.caller
        # One entry per subject, and a step has up to a few hundred: what they share is
        # looked up once here.
        request_id, client_id = self.request_id, caller.client_id
        organisation, purpose = caller.organisation, caller.purpose
        decision_id, revision = step.decision_id, step.revision
        append = self.entries.append
        for subject in dict.fromkeys(part.subjects):
            if subject not in outcomes:
                continue  # only asked about under a root field the variables left out
            released, refused = outcomes[subject]
            consent = consents.get(subject)
            version = consent.version if consent is not None else 0
            append(
                LedgerEntry(
                    at=now,
                    request_id=request_id,
                    client_id=client_id,
                    organisation=organisation,
                    purpose=purpose,
                    subject=subject,
                    department=service,
                    released=released,
                    refused=refused,
                    decision_id=decision_id,
                    policy_revision=revision,
                    consent_version=version,
                )
            )
            if caller.explain:
                verdicts = self._verdicts(step, service, subject, part.coordinates)
                self.decisions.append(
                    {
                        "department": service,
                        "subject": subject,
                        "decisionId": decision_id,
                        "policyRevision": revision,
                        "consentVersion": version,
                        "fields": {
                            c: {"allow": v.allow, "reason": v.reason}
                            for c, v in sorted(verdicts.items())
                        },
                    }
                )

    async def record(self) -> None:
        """Write this request's entries durably; raises when the ledger cannot."""
        ledger = self.enforcement.ledger
        if ledger is not None and self.entries:
            await ledger.record(self.entries)


def _duties(
    read: FetchFields, verdicts: Mapping[str, Verdict], only_root: str | None = None
) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Response path → obligations, for the allowed fields that carry some."""
    duties: dict[tuple[str, ...], tuple[str, ...]] = {}
    for coordinate, verdict in verdicts.items():
        if verdict.allow and verdict.obligations:
            for place in read.places.get(coordinate, ()):
                if only_root is None or place.path[0] == only_root:
                    duties[place.path] = verdict.obligations
    return duties


def nin_arguments(document: DocumentNode) -> tuple[ValueNode, ...]:
    """The value of every `nin` argument in the document: each names a subject."""
    found: list[ValueNode] = []

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if node.name.value == SUBJECT_KEY:
                found.append(node.value)

    visit(document, Arguments())
    return tuple(found)


def malformed_nin(arguments: Sequence[ValueNode], variables: dict[str, Any]) -> Any:
    """The first `nin` given that is not a National Insurance number (None when all are).

    A subject is read for consent and written to the ledger: one that cannot be a
    citizen is bad input, refused before anything is decided or fetched.
    """
    for node in arguments:
        value = value_from_ast_untyped(node, variables)
        if value is None or value is Undefined:
            continue  # null, or a variable of another operation in the document
        if not (isinstance(value, str) and is_valid_nin(value)):
            return value
    return None


def _outcome(verdicts: Mapping[str, Verdict]) -> Outcome:
    released = tuple(sorted(c for c, v in verdicts.items() if v.allow))
    return released, tuple(sorted((c, v.reason) for c, v in verdicts.items() if not v.allow))


def _subject_of(representation: Mapping[str, Any]) -> str:
    if representation.get("__typename") == SUBJECT_TYPE:
        nin = representation.get(SUBJECT_KEY)
        if isinstance(nin, str):
            return nin
    return ""
