"""A citizen's accesses, read from the access ledger and told in plain English.

An *access* is one gateway request about one citizen: the ledger entries that
share a request id and that citizen's NIN, one per department asked. Its id is
`<request id>:<NIN>`; a service that knows the request id it made (and the
citizen it asked about) can name the access to report its outcome.

The gateway records a request's entries in one call, so they sit next to each
other in the ledger: a page of accesses always ends on a request boundary, and
its cursor is the sequence number of the oldest entry of its last access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    StringValueNode,
    parse,
)

from federation.ledger import LedgerEntry, entries_for_subject

MAX_FIRST = 100
_READ_PAGE = 500
_MAX_SCAN_PAGES = 200  # at most 100,000 entries about one citizen are searched for an access

# Longest prefix wins. Small and explicit on purpose: each label is a promise to citizens.
CATEGORY_LABELS: Mapping[str, str] = {
    "user": "other personal information",
    "user.name": "your name",
    "user.demographic": "your household and home",
    "user.demographic.date_of_birth": "your date of birth",
    "user.contact": "your contact details",
    "user.government_id": "your identity numbers",
    "user.government_id.national_identification_number": "your National Insurance number",
    "user.government_id.nhs_number": "your NHS number",
    "user.government_id.driving_licence": "your driving licence",
    "user.government_id.drivers_license_number": "your driving licence",
    "user.government_id.vehicle_registration": "your vehicles",
    "user.health_and_medical": "your health records",
    "user.financial": "your income and money",
    "user.financial.tax": "your tax records",
    "user.financial.benefits": "your benefits",
    "user.financial.council_tax": "your council tax",
    "user.workplace": "your employment",
    "user.criminal_history": "your driving endorsements and convictions",
    "user.location": "the area you live in",
    "user.privacy_preferences": "your privacy choices",
    "public": "public information",
    "system": "service records",
}
UNKNOWN_CATEGORY = "other information"

REASONS: Mapping[str, str] = {
    "CONSENT_REQUIRED": "you have not given your consent for this",
    "CONSENT_WITHDRAWN": "you withdrew your consent",
    "CONSENT_REFUSED": "you refused your consent",
    "CONSENT_EXPIRED": "your consent had expired",
    "OPTED_OUT": "you have opted out of all optional sharing",
    "CATEGORY_NOT_IN_PURPOSE": "this purpose does not cover this information",
    "DEPARTMENT_NOT_IN_PURPOSE": "this purpose does not cover this department",
    "NOT_THE_DATA_SUBJECT": "only you may see this",
    "OTHER_CITIZEN": "it is about someone else",
    "POLICY_UNAVAILABLE": "the rules could not be checked, so nothing was shared",
    "OBLIGATION_UNSUPPORTED": "it could not be shared in the limited form the rules require",
    "UNKNOWN_CLIENT": "the service is not registered",
    "UNKNOWN_PURPOSE": "the purpose is not registered",
    "PURPOSE_NOT_PERMITTED_FOR_CLIENT": "the service may not use this purpose",
}
UNKNOWN_REASON = "the rules did not allow it"


def label(category: str | None) -> str:
    """The plain-English name of a data category (its longest listed prefix)."""
    if not category:
        return UNKNOWN_CATEGORY
    parts = category.split(".")
    for end in range(len(parts), 0, -1):
        found = CATEGORY_LABELS.get(".".join(parts[:end]))
        if found is not None:
            return found
    return UNKNOWN_CATEGORY


def reason_text(code: str) -> str:
    return REASONS.get(code, UNKNOWN_REASON)


Catalog = Mapping[tuple[str, str], str]  # (department, field coordinate) → data category


def catalog_from_sdl(subgraphs: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """Each department's field categories, read from the `@dataCategory` in its SDL."""
    catalog: dict[tuple[str, str], str] = {}
    for department, sdl in subgraphs.items():
        for definition in parse(sdl).definitions:
            if not isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
                continue
            for field in definition.fields or ():
                for directive in field.directives or ():
                    if directive.name.value != "dataCategory":
                        continue
                    for argument in directive.arguments or ():
                        if argument.name.value == "name" and isinstance(
                            argument.value, StringValueNode
                        ):
                            coordinate = f"{definition.name.value}.{field.name.value}"
                            catalog[(department, coordinate)] = argument.value.value
    return catalog


@dataclass(frozen=True)
class Refusal:
    data: str
    reason: str


@dataclass(frozen=True)
class Access:
    """One request about one citizen, as the citizen reads it."""

    id: str
    request_id: str
    at: datetime
    client_id: str
    organisation: str
    purpose: str
    departments: tuple[str, ...]
    released: tuple[str, ...]  # plain-English data labels
    refused: tuple[Refusal, ...]
    oldest_sequence: int


@dataclass(frozen=True)
class AccessPage:
    accesses: tuple[Access, ...]
    end_cursor: str | None
    has_next_page: bool


def access_id(request_id: str, nin: str) -> str:
    return f"{request_id}:{nin}"


def parse_access_id(text: str) -> tuple[str, str] | None:
    """(request id, NIN), or None when `text` is not an access id."""
    request_id, colon, nin = text.rpartition(":")
    if not colon or not request_id or not nin or len(text) > 200:
        return None
    return request_id, nin


def parse_cursor(after: str | None) -> int | None:
    if after is None:
        return None
    if not (after.isascii() and after.isdigit()) or len(after) > 18:
        raise ValueError("after must be a cursor from a previous page")
    return int(after)


def _access(nin: str, entries: list[LedgerEntry], catalog: Catalog) -> Access:
    newest = entries[0]
    released: dict[str, None] = {}
    refused: dict[tuple[str, str], None] = {}
    for entry in entries:
        for coordinate in entry.released:
            released[label(catalog.get((entry.department, coordinate)))] = None
        for coordinate, code in entry.refused:
            refused[(label(catalog.get((entry.department, coordinate))), code)] = None
    return Access(
        id=access_id(newest.request_id, nin),
        request_id=newest.request_id,
        at=min(e.at for e in entries),
        client_id=newest.client_id,
        organisation=newest.organisation,
        purpose=newest.purpose,
        departments=tuple(dict.fromkeys(sorted(e.department for e in entries))),
        released=tuple(released),
        refused=tuple(Refusal(data, reason_text(code)) for data, code in refused),
        oldest_sequence=min(e.sequence or 0 for e in entries),
    )


async def _grouped(
    ledger_url: str, nin: str, before: int | None, enough: int
) -> list[list[LedgerEntry]]:
    """Whole accesses, newest first, until more than `enough` are known or the ledger ends."""
    groups: list[list[LedgerEntry]] = []
    cursor = before
    for _ in range(_MAX_SCAN_PAGES):
        page = await entries_for_subject(ledger_url, nin, first=_READ_PAGE, after=cursor)
        for entry in page:
            if groups and groups[-1][0].request_id == entry.request_id:
                groups[-1].append(entry)
            else:
                groups.append([entry])
        if len(page) < _READ_PAGE or len(groups) > enough:
            break
        cursor = page[-1].sequence
    return groups


async def access_page(
    ledger_url: str, nin: str, catalog: Catalog, first: int, after: str | None
) -> AccessPage:
    """The citizen's accesses, newest first: `first` of them, older than cursor `after`."""
    if not 1 <= first <= MAX_FIRST:
        raise ValueError(f"first must be between 1 and {MAX_FIRST}")
    before = parse_cursor(after)
    groups = await _grouped(ledger_url, nin, before, first)
    shown = [_access(nin, group, catalog) for group in groups[:first]]
    more = len(groups) > first
    cursor = str(shown[-1].oldest_sequence) if shown and more else None
    return AccessPage(tuple(shown), cursor, more)


async def find_access(ledger_url: str, request_id: str, nin: str) -> list[LedgerEntry]:
    """The ledger entries of one access (empty when there is none)."""
    cursor: int | None = None
    found: list[LedgerEntry] = []
    for _ in range(_MAX_SCAN_PAGES):
        page = await entries_for_subject(ledger_url, nin, first=_READ_PAGE, after=cursor)
        found += [e for e in page if e.request_id == request_id]
        if found and page and page[-1].request_id != request_id:
            break  # an access's entries are contiguous: the rest is older
        if len(page) < _READ_PAGE:
            break
        cursor = page[-1].sequence
    return found


def describe(
    access: Access, purposes: Mapping[str, Any], clients: Mapping[str, Any]
) -> dict[str, str]:
    """The service's and purpose's names from the registries (their ids when unlisted)."""
    client = clients.get(access.client_id) or {}
    purpose = purposes.get(access.purpose) or {}
    return {
        "service": str(client.get("name") or access.client_id),
        "organisation": str(client.get("organisation") or access.organisation),
        "purpose": str(purpose.get("name") or access.purpose),
    }
