"""What the consent service does: who may change a citizen's consent, the changes, receipts.

Every operation checks who is asking before it writes anything, so a
refusal changes nothing. A change is made in the consent store, then its
history entry is turned into a signed receipt and kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subgraphs.consent.receipts import (
    Service,
    jwks,
    receipt_claims,
    sign_receipt,
    verify_receipt,
)
from subgraphs.consent.records import (
    PURPOSES_FILE,
    CitizenConsent,
    ConsentRecord,
    ConsentState,
    Purpose,
    Purposes,
)
from subgraphs.consent.requests import ConsentRequest, Proxy, RequestStore, StoredReceipt
from subgraphs.consent.store import ConsentError, ConsentStore, check_nin
from subgraphs.grant_check import Caller

CLIENTS_FILE = PURPOSES_FILE.with_name("clients.json")

SELF_SERVICE = "self-service"
BY_PROXY = "proxy"
SERVICE_REQUEST = "service-request"
MAX_EXPLANATION = 2000
MAX_REASON = 200


@dataclass(frozen=True, slots=True)
class PurposeInfo:
    """A purpose as citizens read it: the store's facts plus plain-English text."""

    facts: Purpose
    description: str
    benefit: str


@dataclass(frozen=True, slots=True)
class Client:
    """A registered service: who it is and the purposes it may declare."""

    client_id: str
    name: str
    organisation: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class Registry:
    """The purpose and client registries (`policies/data/purposes.json`, `clients.json`)."""

    purposes: Mapping[str, PurposeInfo]
    clients: Mapping[str, Client]

    @property
    def facts(self) -> Purposes:
        return MappingProxyType({p: info.facts for p, info in self.purposes.items()})

    def services(self) -> dict[str, tuple[Service, ...]]:
        """Purpose id → the services that may use it."""
        users: dict[str, list[Service]] = {p: [] for p in self.purposes}
        for client in self.clients.values():
            for purpose in client.purposes:
                users.setdefault(purpose, []).append(Service(client.name, client.organisation))
        return {p: tuple(s) for p, s in users.items()}


def load_registry(purposes: Mapping[str, Any], clients: Mapping[str, Any]) -> Registry:
    """The registries from the `purposes` and `clients` objects of their JSON files."""
    try:
        infos = {
            purpose_id: PurposeInfo(
                facts=Purpose(
                    purpose_id=purpose_id,
                    name=str(facts["name"]),
                    lawful_basis=str(facts["lawful_basis"]),
                    controller=str(facts["controller"]),
                    departments=tuple(map(str, facts["departments"])),
                    categories=tuple(map(str, facts["categories"])),
                ),
                description=str(facts.get("description", "")),
                benefit=str(facts.get("benefit", "")),
            )
            for purpose_id, facts in purposes.items()
        }
        registered = {
            client_id: Client(
                client_id=client_id,
                name=str(entry["name"]),
                organisation=str(entry.get("organisation", "")),
                purposes=tuple(map(str, entry.get("purposes", ()))),
            )
            for client_id, entry in clients.items()
        }
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"the purpose or client registry is malformed: {error!r}") from None
    return Registry(MappingProxyType(infos), MappingProxyType(registered))


def read_registry(
    purposes_file: Path = PURPOSES_FILE, clients_file: Path = CLIENTS_FILE
) -> Registry:
    return load_registry(
        orjson.loads(purposes_file.read_bytes())["purposes"],
        orjson.loads(clients_file.read_bytes())["clients"],
    )


@dataclass(frozen=True)
class Deps:
    """What the operations need, opened once by the app."""

    store: ConsentStore
    requests: RequestStore
    registry: Registry
    receipt_key: Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class Receipt:
    jws: str
    claims: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    """A purpose's record after a change, and the receipt for it."""

    record: ConsentRecord
    receipt: Receipt


@dataclass(frozen=True, slots=True)
class OptOutChange:
    nin: str
    opted_out: bool
    version: int
    receipt: Receipt


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change (`actor` in history) and how the consent was collected."""

    actor: str
    method: str


def _forbidden(message: str) -> ConsentError:
    return ConsentError("FORBIDDEN", message)


async def authorise(deps: Deps, caller: Caller, nin: str) -> Actor:
    """The citizen themselves, or a proxy they authorised; refuse anyone else."""
    check_nin(nin)
    if caller.citizen is None:
        raise _forbidden("only the citizen, or someone they authorised, may change their consent")
    if caller.citizen == nin:
        return Actor(f"citizen:{nin}", SELF_SERVICE)
    if await deps.requests.is_proxy(caller.citizen, nin):
        return Actor(f"proxy:{caller.citizen}", BY_PROXY)
    raise _forbidden(f"{caller.citizen} may not change the consent of {nin}")


def purpose_info(deps: Deps, purpose: str) -> PurposeInfo:
    info = deps.registry.purposes.get(purpose)
    if info is None:
        raise ConsentError("UNKNOWN_PURPOSE", f"there is no purpose {purpose!r}")
    return info


async def issue_receipt(
    deps: Deps, nin: str, version: int, purposes: Sequence[Purpose], method: str
) -> Receipt:
    """Sign the receipt for the history entry that made `nin`'s version `version`, and keep it."""
    event = await deps.requests.event(nin, version)
    if event is None:
        raise RuntimeError(f"the history of {nin} has no version {version}")
    claims = receipt_claims(
        event,
        purposes,
        deps.registry.services(),
        collection_method=method,
        key=deps.receipt_key.public_key(),
    )
    jws = sign_receipt(claims, deps.receipt_key)
    await deps.requests.save_receipt(StoredReceipt(event.event_id, nin, version, method, jws))
    return Receipt(jws, claims)


def read_receipt(deps: Deps, jws: str) -> Receipt:
    """A kept receipt, checked against this service's own key before it is shown."""
    return Receipt(jws, verify_receipt(jws, jwks(deps.receipt_key.public_key())))


async def _changed(deps: Deps, record: ConsentRecord, method: str) -> Change:
    facts = purpose_info(deps, record.purpose).facts
    receipt = await issue_receipt(deps, record.nin, record.version, [facts], method)
    return Change(record, receipt)


async def give(
    deps: Deps, caller: Caller, nin: str, purpose: str, expires_at: datetime | None
) -> Change:
    actor = await authorise(deps, caller, nin)
    record = await deps.store.give(
        nin, purpose, collection_method=actor.method, actor=actor.actor, expires_at=expires_at
    )
    return await _changed(deps, record, actor.method)


async def withdraw(deps: Deps, caller: Caller, nin: str, purpose: str) -> Change:
    actor = await authorise(deps, caller, nin)
    record = await deps.store.withdraw(nin, purpose, actor=actor.actor)
    return await _changed(deps, record, actor.method)


async def refuse(deps: Deps, caller: Caller, nin: str, purpose: str) -> Change:
    actor = await authorise(deps, caller, nin)
    record = await deps.store.refuse(nin, purpose, actor=actor.actor)
    return await _changed(deps, record, actor.method)


async def set_opted_out(deps: Deps, caller: Caller, nin: str, opted_out: bool) -> OptOutChange:
    actor = await authorise(deps, caller, nin)
    version = await deps.store.set_opted_out(nin, opted_out, actor=actor.actor)
    covered = [i.facts for i in deps.registry.purposes.values() if i.facts.consent_based]
    receipt = await issue_receipt(deps, nin, version, covered, actor.method)
    return OptOutChange(nin, opted_out, version, receipt)


def _text(value: str, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConsentError("BAD_USER_INPUT", f"{what} must not be empty")
    if len(value) > limit:
        raise ConsentError("BAD_USER_INPUT", f"{what} must be at most {limit} characters")
    if "\x00" in value:  # PostgreSQL text cannot hold one
        raise ConsentError("BAD_USER_INPUT", f"{what} must not contain NUL characters")
    return value.strip()


async def request_consent(
    deps: Deps, caller: Caller, nin: str, purpose: str, explanation: str
) -> ConsentRequest:
    """A service asks a citizen for consent to a purpose it is registered for."""
    check_nin(nin)
    client = deps.registry.clients.get(caller.client or "")
    if client is None:
        raise _forbidden("only a registered service may ask a citizen for consent")
    info = purpose_info(deps, purpose)
    if purpose not in client.purposes:
        raise _forbidden(f"{client.client_id!r} is not registered for purpose {purpose!r}")
    if not info.facts.consent_based:
        basis = info.facts.lawful_basis.replace("_", " ")
        raise ConsentError(
            "NOT_CONSENT_BASED", f"{purpose!r} rests on {basis}, not consent: there is none to ask"
        )
    text = _text(explanation, "the explanation", MAX_EXPLANATION)
    return await deps.requests.create(nin, purpose, client.client_id, text)


async def respond(
    deps: Deps, caller: Caller, request_id: str, accept: bool, nin: str | None = None
) -> Change:
    """The citizen (or their proxy) accepts or refuses a pending request, once.

    `nin`, when given, must be the citizen the request is for (through the gateway it
    names whose consent decides the call).
    """
    if not isinstance(accept, bool):
        raise ConsentError("BAD_USER_INPUT", "accept must be true or false")
    request = await deps.requests.get(request_id)
    if request is None or (nin is not None and request.nin != nin):
        raise ConsentError("NOT_FOUND", f"there is no consent request {request_id!r}")
    actor = await authorise(deps, caller, request.nin)
    purpose_info(deps, request.purpose)  # a purpose since dropped from the register
    await deps.requests.claim(request.request_id, accept, actor.actor)
    try:
        if accept:
            record = await deps.store.give(
                request.nin, request.purpose, collection_method=SERVICE_REQUEST, actor=actor.actor
            )
        else:
            record = await deps.store.refuse(request.nin, request.purpose, actor=actor.actor)
    except BaseException:
        await deps.requests.reopen(request.request_id)
        raise
    await deps.requests.settle(request.request_id, record.version)
    return await _changed(deps, record, SERVICE_REQUEST)


async def add_proxy(deps: Deps, caller: Caller, nin: str, proxy_nin: str, reason: str) -> Proxy:
    """The citizen authorises someone to manage their consent for them."""
    check_nin(nin)
    if caller.citizen != nin:
        raise _forbidden("only the citizen themselves may choose who acts for them")
    check_nin(proxy_nin)
    if proxy_nin == nin:
        raise ConsentError("BAD_USER_INPUT", "a citizen already acts for themselves")
    return await deps.requests.add_proxy(nin, proxy_nin, _text(reason, "the reason", MAX_REASON))


async def remove_proxy(deps: Deps, caller: Caller, nin: str, proxy_nin: str) -> Proxy:
    check_nin(nin)
    if caller.citizen != nin:
        raise _forbidden("only the citizen themselves may choose who acts for them")
    check_nin(proxy_nin)
    removed = await deps.requests.remove_proxy(nin, proxy_nin)
    if removed is None:
        raise ConsentError("NOT_FOUND", f"{proxy_nin} does not act for {nin}")
    return removed


@dataclass(frozen=True, slots=True)
class ConsentView:
    """One purpose as the citizen sees it: their record, if any, or why none is needed."""

    info: PurposeInfo
    record: ConsentRecord | None
    state: str  # a ConsentState value, "not_asked" or "not_consent_based"
    in_force: bool
    can_withdraw: bool


NOT_ASKED = "not_asked"
NOT_CONSENT_BASED = "not_consent_based"


def consent_view(
    info: PurposeInfo, record: ConsentRecord | None, opted_out: bool, now: datetime
) -> ConsentView:
    """One purpose for one citizen: their record for it, if any, at `now`."""
    if not info.facts.consent_based:
        return ConsentView(info, None, NOT_CONSENT_BASED, True, False)
    if record is None:
        return ConsentView(info, None, NOT_ASKED, False, False)
    state = record.state_at(now)
    given = state is ConsentState.GIVEN
    return ConsentView(info, record, state.value, given and not opted_out, given)


def consent_views(registry: Registry, citizen: CitizenConsent, now: datetime) -> list[ConsentView]:
    """Every purpose of the registry, in registry order, for one citizen."""
    return [
        consent_view(info, citizen.records.get(purpose_id), citizen.opted_out, now)
        for purpose_id, info in registry.purposes.items()
    ]
