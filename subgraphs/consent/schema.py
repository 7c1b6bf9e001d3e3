"""The consent service's subgraph: citizens' choices per purpose, their history and receipts.

`Citizen` (keyed by NI number) gains the citizen's consent for every purpose
in the registry; the mutations change it, each answering with a signed
receipt. Every object field carries `@dataCategory`: consent data is
`user.privacy_preferences.consent`, the purpose register is public.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Self, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from subgraphs.consent import service
from subgraphs.consent.receipt_schema import ConsentReceipt, receipt_from
from subgraphs.consent.receipts import ReceiptError
from subgraphs.consent.records import CitizenConsent, ConsentEvent
from subgraphs.consent.requests import ConsentRequest as StoredRequest
from subgraphs.consent.requests import Proxy
from subgraphs.consent.store import ConsentError
from subgraphs.directives import PUBLIC, data
from subgraphs.federated import federated_schema
from subgraphs.grant_check import Caller
from subgraphs.people import is_valid_nin

NIN = "user.government_id.national_identification_number"
CONSENT = "user.privacy_preferences.consent"
REGISTER = "public.purpose_register"
# A service may ask a citizen for consent (and see its own request) before consent exists.
REQUEST = "user.privacy_preferences.consent_request"

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """What a resolver may use: the operations' dependencies, the caller and batch loaders."""

    deps: service.Deps
    caller: Caller
    consent: DataLoader[str, CitizenConsent]
    pending: DataLoader[str, list[StoredRequest]]
    proxies: DataLoader[str, list[Proxy]]
    receipts: DataLoader[tuple[str, int], str | None]
    history: DataLoader[str, list[ConsentEvent]]


def make_context(deps: service.Deps, caller: Caller) -> Context:
    """A request's context: fresh loaders, so nothing is cached beyond one request."""

    async def consent(nins: list[str]) -> list[CitizenConsent]:
        found = await deps.store.read(nins)
        return [found[nin] for nin in nins]

    async def pending(nins: list[str]) -> list[list[StoredRequest]]:
        found = await deps.requests.pending(nins)
        return [found[nin] for nin in nins]

    async def proxies(nins: list[str]) -> list[list[Proxy]]:
        found = await deps.requests.proxies(nins)
        return [found[nin] for nin in nins]

    async def receipts(keys: list[tuple[str, int]]) -> list[str | None]:
        found = await deps.requests.receipts(keys)
        return [found.get(key) for key in keys]

    async def history(nins: list[str]) -> list[list[ConsentEvent]]:
        found = await deps.requests.histories(nins)
        return [found[nin] for nin in nins]

    return Context(
        deps=deps,
        caller=caller,
        consent=DataLoader(consent),
        pending=DataLoader(pending),
        proxies=DataLoader(proxies),
        receipts=DataLoader(receipts),
        history=DataLoader(history),
    )


def context(info: strawberry.Info) -> Context:
    ctx: Context = info.context
    return ctx


async def _answer(work: Awaitable[T]) -> T:
    """Run an operation; a refusal becomes a GraphQL error with its code."""
    try:
        return await work
    except ConsentError as error:
        raise GraphQLError(error.message, extensions={"code": error.code}) from None


def _bad_nin(nin: object) -> GraphQLError:
    return GraphQLError(
        f"{nin!r} is not a National Insurance number", extensions={"code": "BAD_USER_INPUT"}
    )


@strawberry.enum(description="Where a citizen's consent for a purpose stands (W3C DPV states).")
class ConsentStatus(Enum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"
    EXPIRED = "expired"
    NOT_ASKED = "not_asked"
    NOT_CONSENT_BASED = "not_consent_based"


@strawberry.enum(description="Where a service's request for consent stands.")
class ConsentRequestStatus(Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


@strawberry.type(description="A service that may use a purpose, and who runs it.")
class PurposeService:
    id: str = data(REGISTER, PUBLIC, description="The service's client id.")
    name: str = data(REGISTER, PUBLIC)
    organisation: str = data(REGISTER, PUBLIC)


@strawberry.type(description="A purpose for which departments share data, in plain English.")
class Purpose:
    id: str = data(REGISTER, PUBLIC)
    name: str = data(REGISTER, PUBLIC)
    description: str = data(REGISTER, PUBLIC)
    benefit: str = data(REGISTER, PUBLIC, description="What the citizen gains from it.")
    lawful_basis: str = data(
        REGISTER, PUBLIC, description="UK GDPR Article 6 basis, e.g. `consent`, `public_task`."
    )
    consent_based: bool = data(REGISTER, PUBLIC, description="Whether a citizen can say no.")
    controller: str = data(REGISTER, PUBLIC, description="The accountable department.")
    departments: list[str] = data(REGISTER, PUBLIC)
    data_categories: list[str] = data(REGISTER, PUBLIC)
    services: list[PurposeService] = data(REGISTER, PUBLIC)


def purpose_from(registry: service.Registry, purpose_id: str) -> Purpose:
    info = registry.purposes[purpose_id]
    facts = info.facts
    return Purpose(
        id=facts.purpose_id,
        name=facts.name,
        description=info.description,
        benefit=info.benefit,
        lawful_basis=facts.lawful_basis,
        consent_based=facts.consent_based,
        controller=facts.controller,
        departments=list(facts.departments),
        data_categories=list(facts.categories),
        services=[
            PurposeService(id=c.client_id, name=c.name, organisation=c.organisation)
            for c in registry.clients.values()
            if purpose_id in c.purposes
        ],
    )


async def _kept_receipt(info: strawberry.Info, nin: str, version: int) -> ConsentReceipt | None:
    ctx = context(info)
    jws = await ctx.receipts.load((nin, version))
    if jws is None:
        return None
    try:
        return receipt_from(service.read_receipt(ctx.deps, jws))
    except ReceiptError as error:
        # Kept, but no longer verifiable with the published key: say so, show nothing.
        raise GraphQLError(str(error), extensions={"code": "RECEIPT_UNVERIFIABLE"}) from None


@strawberry.type(description="A citizen's consent for one purpose, as it stands now.")
class Consent:
    purpose: Purpose = data(CONSENT)
    state: ConsentStatus = data(CONSENT)
    lawful_basis: str = data(CONSENT)
    can_withdraw: bool = data(
        CONSENT, description="False for a purpose that does not rest on consent."
    )
    in_force: bool = data(
        CONSENT, description="Whether departments may share data for it now (opt-out counted)."
    )
    record_id: str | None = data(CONSENT)
    collection_method: str | None = data(CONSENT)
    given_at: datetime | None = data(CONSENT)
    state_changed_at: datetime | None = data(CONSENT)
    expires_at: datetime | None = data(CONSENT)
    version: int | None = data(CONSENT, description="The consent version of its last change.")
    nin: strawberry.Private[str]
    issued: strawberry.Private[ConsentReceipt | None] = None

    @data(
        CONSENT,
        description="The receipt of the change that set this state: always present in a"
        " mutation's answer; null for a purpose never answered or not consent-based.",
    )
    async def receipt(self, info: strawberry.Info) -> ConsentReceipt | None:
        if self.issued is not None:
            return self.issued
        if self.version is None:
            return None
        return await _kept_receipt(info, self.nin, self.version)


def consent_from(registry: service.Registry, nin: str, view: service.ConsentView) -> Consent:
    record = view.record
    return Consent(
        purpose=purpose_from(registry, view.info.facts.purpose_id),
        state=ConsentStatus(view.state),
        lawful_basis=view.info.facts.lawful_basis,
        can_withdraw=view.can_withdraw,
        in_force=view.in_force,
        record_id=None if record is None else record.record_id,
        collection_method=None if record is None else record.collection_method,
        given_at=None if record is None else record.given_at,
        state_changed_at=None if record is None else record.state_changed_at,
        expires_at=None if record is None else record.expires_at,
        version=None if record is None else record.version,
        nin=nin,
    )


def consents_of(registry: service.Registry, citizen: CitizenConsent) -> list[Consent]:
    views = service.consent_views(registry, citizen, datetime.now(UTC))
    return [consent_from(registry, citizen.nin, view) for view in views]


async def changed_consent(info: strawberry.Info, change: service.Change) -> Consent:
    """The consent as the change left it (not as later changes left it), with its receipt."""
    ctx = context(info)
    record = change.record
    registry = ctx.deps.registry
    opted_out = (await ctx.deps.store.read([record.nin]))[record.nin].opted_out
    view = service.consent_view(
        service.purpose_info(ctx.deps, record.purpose), record, opted_out, datetime.now(UTC)
    )
    consent = consent_from(registry, record.nin, view)
    return dataclasses.replace(consent, issued=receipt_from(change.receipt))


@strawberry.type(description="One change to a citizen's consent, chained to the one before.")
class ConsentHistoryEntry:
    event_id: str = data(CONSENT)
    version: int = data(CONSENT)
    at: datetime = data(CONSENT)
    purpose_id: str | None = data(CONSENT, description="Null for the opt-out switch.")
    purpose: Purpose | None = data(
        CONSENT, description="Null for the opt-out switch, or a purpose no longer registered."
    )
    state: ConsentStatus | None = data(CONSENT)
    opted_out: bool | None = data(CONSENT, description="Set for the opt-out switch only.")
    expires_at: datetime | None = data(CONSENT)
    actor: str = data(CONSENT, description="Who made the change: the citizen or their proxy.")
    hash: str = data(CONSENT, description="SHA-256 of this entry, the previous hash included.")
    prev_hash: str = data(CONSENT)
    nin: strawberry.Private[str]

    @data(CONSENT, description="The receipt issued for this change, if this service issued one.")
    async def receipt(self, info: strawberry.Info) -> ConsentReceipt | None:
        return await _kept_receipt(info, self.nin, self.version)


def history_entry(registry: service.Registry, event: ConsentEvent) -> ConsentHistoryEntry:
    known = event.purpose is not None and event.purpose in registry.purposes
    return ConsentHistoryEntry(
        event_id=event.event_id,
        version=event.version,
        at=event.at,
        purpose_id=event.purpose,
        purpose=purpose_from(registry, event.purpose) if known and event.purpose else None,
        state=None if event.state is None else ConsentStatus(event.state.value),
        opted_out=event.opted_out,
        expires_at=event.expires_at,
        actor=event.actor,
        hash=event.hash,
        prev_hash=event.prev_hash,
        nin=event.nin,
    )


@strawberry.type(description="A service's request that the citizen give consent for a purpose.")
class ConsentRequest:
    id: strawberry.ID = data(REQUEST)
    purpose: Purpose = data(REQUEST)
    explanation: str = data(REQUEST, description="Why the service asks, in its own words.")
    client: str = data(REQUEST, description="The asking service's client id.")
    client_name: str = data(REQUEST)
    organisation: str = data(REQUEST)
    status: ConsentRequestStatus = data(REQUEST)
    requested_at: datetime = data(REQUEST)
    answered_at: datetime | None = data(REQUEST)


def request_from(registry: service.Registry, request: StoredRequest) -> ConsentRequest:
    client = registry.clients.get(request.client)
    return ConsentRequest(
        id=strawberry.ID(request.request_id),
        purpose=purpose_from(registry, request.purpose),
        explanation=request.explanation,
        client=request.client,
        client_name=client.name if client else request.client,
        organisation=client.organisation if client else "",
        status=ConsentRequestStatus(request.status),
        requested_at=request.requested_at,
        answered_at=request.answered_at,
    )


@strawberry.type(description="Someone a citizen has authorised to manage their consent.")
class ConsentProxy:
    principal_nin: str = data(NIN, description="The citizen acted for.")
    proxy_nin: str = data(NIN, description="The citizen who acts for them.")
    reason: str = data(CONSENT, description='Why, e.g. "parent of a child under 13".')
    added_at: datetime = data(CONSENT)


def proxy_from(proxy: Proxy) -> ConsentProxy:
    return ConsentProxy(
        principal_nin=proxy.principal_nin,
        proxy_nin=proxy.proxy_nin,
        reason=proxy.reason,
        added_at=proxy.added_at,
    )


@strawberry.type(description="The one switch for all optional sharing, after a change.")
class OptOutChange:
    opted_out_of_all_sharing: bool = data(CONSENT)
    consent_version: int = data(CONSENT, description="The version this change made.")
    consents: list[Consent] = data(CONSENT, description="Every purpose, as it now stands.")
    receipt: ConsentReceipt = data(CONSENT)


@strawberry.federation.type(keys=["nin"], description="A citizen, keyed by NI number.")
class Citizen:
    nin: strawberry.ID = data(NIN)

    @data(
        CONSENT,
        description="The citizen's consent for every purpose in the register, including"
        " those that rest on another lawful basis (shown, but not withdrawable).",
    )
    async def consents(self, info: strawberry.Info) -> list[Consent]:
        ctx = context(info)
        return consents_of(ctx.deps.registry, await ctx.consent.load(self.nin))

    @data(CONSENT, description="Every change, newest first, each with its hash chain link.")
    async def consent_history(self, info: strawberry.Info) -> list[ConsentHistoryEntry]:
        ctx = context(info)
        events = await ctx.history.load(self.nin)
        return [history_entry(ctx.deps.registry, event) for event in events]

    @data(CONSENT, description="The one switch: no optional sharing for any purpose.")
    async def opted_out_of_all_sharing(self, info: strawberry.Info) -> bool:
        return (await context(info).consent.load(self.nin)).opted_out

    @data(CONSENT, description="Increases with every change; 0 for a citizen never asked.")
    async def consent_version(self, info: strawberry.Info) -> int:
        return (await context(info).consent.load(self.nin)).version

    @data(CONSENT, description="Services' requests for consent awaiting the citizen's answer.")
    async def pending_consent_requests(self, info: strawberry.Info) -> list[ConsentRequest]:
        ctx = context(info)
        pending = await ctx.pending.load(self.nin)
        return [request_from(ctx.deps.registry, r) for r in pending if _listed(ctx, r)]

    @data(CONSENT, description="Who the citizen has authorised to manage their consent.")
    async def consent_proxies(self, info: strawberry.Info) -> list[ConsentProxy]:
        return [proxy_from(p) for p in await context(info).proxies.load(self.nin)]

    @classmethod
    def resolve_reference(cls, nin: str | None = None) -> Self:
        if not isinstance(nin, str) or not is_valid_nin(nin):
            raise _bad_nin(nin)
        return cls(nin=strawberry.ID(nin))


def _listed(ctx: Context, request: StoredRequest) -> bool:
    return request.purpose in ctx.deps.registry.purposes


@strawberry.type
class Query:
    @strawberry.field(description="Every purpose in the register, with who may use it.")
    def purposes(self, info: strawberry.Info) -> list[Purpose]:
        registry = context(info).deps.registry
        return [purpose_from(registry, purpose_id) for purpose_id in registry.purposes]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="The citizen gives consent for a purpose.")
    async def give_consent(
        self,
        info: strawberry.Info,
        nin: strawberry.ID,
        purpose: str,
        expires_at: datetime | None = None,
    ) -> Consent:
        ctx = context(info)
        change = await _answer(service.give(ctx.deps, ctx.caller, nin, purpose, expires_at))
        return await changed_consent(info, change)

    @strawberry.mutation(description="The citizen withdraws a consent they gave.")
    async def withdraw_consent(
        self, info: strawberry.Info, nin: strawberry.ID, purpose: str
    ) -> Consent:
        ctx = context(info)
        change = await _answer(service.withdraw(ctx.deps, ctx.caller, nin, purpose))
        return await changed_consent(info, change)

    @strawberry.mutation(description="The citizen says no to a purpose.")
    async def refuse_consent(
        self, info: strawberry.Info, nin: strawberry.ID, purpose: str
    ) -> Consent:
        ctx = context(info)
        change = await _answer(service.refuse(ctx.deps, ctx.caller, nin, purpose))
        return await changed_consent(info, change)

    @strawberry.mutation(description="The one switch: all optional sharing off (or back on).")
    async def set_opt_out_of_all_sharing(
        self, info: strawberry.Info, nin: strawberry.ID, opted_out: bool
    ) -> OptOutChange:
        ctx = context(info)
        change = await _answer(service.set_opted_out(ctx.deps, ctx.caller, nin, opted_out))
        citizen = (await ctx.deps.store.read([nin]))[nin]
        return OptOutChange(
            opted_out_of_all_sharing=change.opted_out,
            consent_version=change.version,
            consents=consents_of(ctx.deps.registry, citizen),
            receipt=receipt_from(change.receipt),
        )

    @strawberry.mutation(description="A service asks the citizen for consent to a purpose.")
    async def request_consent(
        self, info: strawberry.Info, nin: strawberry.ID, purpose: str, explanation: str
    ) -> ConsentRequest:
        ctx = context(info)
        request = await _answer(
            service.request_consent(ctx.deps, ctx.caller, nin, purpose, explanation)
        )
        return request_from(ctx.deps.registry, request)

    @strawberry.mutation(description="The citizen accepts or refuses a service's request, once.")
    async def respond_to_consent_request(
        self,
        info: strawberry.Info,
        request_id: strawberry.ID,
        accept: bool,
        nin: strawberry.ID | None = None,
    ) -> Consent:
        ctx = context(info)
        change = await _answer(service.respond(ctx.deps, ctx.caller, request_id, accept, nin))
        return await changed_consent(info, change)

    @strawberry.mutation(description="The citizen authorises someone to manage their consent.")
    async def add_proxy(
        self, info: strawberry.Info, nin: strawberry.ID, proxy_nin: strawberry.ID, reason: str
    ) -> ConsentProxy:
        ctx = context(info)
        proxy = await _answer(service.add_proxy(ctx.deps, ctx.caller, nin, proxy_nin, reason))
        return proxy_from(proxy)

    @strawberry.mutation(description="The citizen takes that authority back.")
    async def remove_proxy(
        self, info: strawberry.Info, nin: strawberry.ID, proxy_nin: strawberry.ID
    ) -> ConsentProxy:
        ctx = context(info)
        proxy = await _answer(service.remove_proxy(ctx.deps, ctx.caller, nin, proxy_nin))
        return proxy_from(proxy)


schema = federated_schema(query=Query, mutation=Mutation, types=[Citizen])
