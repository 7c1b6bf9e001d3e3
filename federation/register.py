"""The public data register: what each department holds, who may use it, and how often they do.

Built from the supergraph's `@dataCategory` directives (so a department's new
field appears as soon as the gateway composes it), the purpose and client
registries (matching categories by prefix, as the policy does) and aggregate
counts from the access ledger. It never holds a NIN or a request id: the
ledger is read only through `GROUP BY` month, department and purpose.

Served without authentication as JSON (`/register`), CSV (`/register.csv`)
and a plain HTML page (`/register.html`).
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from federation.enforce import field_catalog
from federation.registry import POLICY_DIR
from federation.supergraph import Supergraph

LAWFUL_BASES = {
    "consent": "your consent",
    "public_task": "a public task set in law",
    "legal_obligation": "a legal obligation",
    "data_subject_access": "your right to see your own data",
}
PUBLIC = "PUBLIC"

# Entries after a sequence number, grouped; the caller adds them to what it counted before.
_SQLITE_COUNTS = """SELECT substr(at, 1, 7), department, purpose,
       sum(released <> '[]'), sum(refused <> '[]'), max(sequence)
FROM ledger_entry WHERE sequence > ? GROUP BY 1, 2, 3"""
_POSTGRES_COUNTS = """SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM'), department, purpose,
       count(*) FILTER (WHERE cardinality(released) > 0),
       count(*) FILTER (WHERE jsonb_array_length(refused) > 0), max(sequence)
FROM ledger_entry WHERE sequence > $1 GROUP BY 1, 2, 3"""

Counts = list[tuple[str, str, str, int, int]]  # month, department, purpose, releases, refusals


def covers(categories: list[str], category: str) -> bool:
    """Whether a purpose naming `categories` covers `category` (`user.financial` covers
    `user.financial.tax`), as `policies/joinedup/decision.rego` decides it."""
    return any(category == c or category.startswith(c + ".") for c in categories)


def _holdings(supergraph: Supergraph) -> dict[str, dict[str, dict[str, Any]]]:
    """department → category → {sensitivity, fields}, from the supergraph alone."""
    catalog = field_catalog(supergraph)
    held: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in supergraph.subgraph_urls}
    for coordinate, (category, sensitivity) in sorted(catalog.items()):
        if category is None:
            continue
        type_name, _, field_name = coordinate.partition(".")
        info = supergraph.types[type_name].fields[field_name]
        if info.inaccessible:
            continue
        for graph in info.graphs:
            slot = held.setdefault(graph, {}).setdefault(
                category, {"sensitivity": sensitivity, "fields": []}
            )
            slot["fields"].append(coordinate)
    return held


def _users(
    department: str,
    category: str,
    purposes: Mapping[str, Any],
    services: Mapping[str, list[dict[str, str]]],
) -> list[dict[str, Any]]:
    users = []
    for purpose_id, purpose in sorted(purposes.items()):
        if department not in purpose.get("departments", ()):
            continue
        if not covers(list(purpose.get("categories", ())), category):
            continue
        basis = str(purpose.get("lawful_basis", ""))
        users.append(
            {
                "purpose": purpose_id,
                "name": purpose.get("name", purpose_id),
                "lawfulBasis": basis,
                "lawfulBasisText": LAWFUL_BASES.get(basis, basis),
                "services": services.get(purpose_id, []),
            }
        )
    return users


def _services(clients: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    by_purpose: dict[str, list[dict[str, str]]] = {}
    for client_id, client in sorted(clients.items()):
        for purpose in client.get("purposes", ()):
            by_purpose.setdefault(purpose, []).append(
                {
                    "client": client_id,
                    "name": str(client.get("name", client_id)),
                    "organisation": str(client.get("organisation", "")),
                }
            )
    return by_purpose


_Rows = list[tuple[str, str, str, int, int, int]]


async def _rows_after(ledger_url: str, after: int) -> _Rows:
    if ledger_url.startswith(("postgresql://", "postgres://")):
        connection = await asyncpg.connect(ledger_url)
        try:
            rows = await connection.fetch(_POSTGRES_COUNTS, after)
        except asyncpg.UndefinedTableError:
            return []
        finally:
            await connection.close()
        return [(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]
    if not ledger_url.startswith("sqlite:///"):
        raise ValueError(f"unsupported ledger URL {ledger_url!r}")
    path = Path(ledger_url.removeprefix("sqlite:///"))

    def read() -> _Rows:
        if not path.is_file():
            return []
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True)
        try:
            rows = connection.execute(_SQLITE_COUNTS, (after,)).fetchall()
        except sqlite3.OperationalError:  # no ledger table yet
            return []
        finally:
            connection.close()
        return [(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]

    return await asyncio.to_thread(read)


class LedgerCounts:
    """Running monthly counts of one ledger: each update reads only the entries added since.

    The ledger is append-only and its sequence numbers follow commit order, so
    what was counted stays counted; one update runs at a time.
    """

    def __init__(self, ledger_url: str | None) -> None:
        self.ledger_url = ledger_url
        self._totals: dict[tuple[str, str, str], list[int]] = {}
        self._last = 0
        self._lock = asyncio.Lock()

    async def current(self) -> Counts:
        if not self.ledger_url:
            return []
        async with self._lock:
            rows = await _rows_after(self.ledger_url, self._last)
            for month, department, purpose, releases, refusals, last in rows:
                totals = self._totals.setdefault((month, department, purpose), [0, 0])
                totals[0] += releases
                totals[1] += refusals
                self._last = max(self._last, last)
            return [(m, d, p, t[0], t[1]) for (m, d, p), t in sorted(self._totals.items())]


async def ledger_counts(ledger_url: str | None) -> Counts:
    """Entries that released and that refused something, by month, department and purpose."""
    return await LedgerCounts(ledger_url).current()


async def build_register(
    supergraph: Supergraph,
    purposes: Mapping[str, Any],
    clients: Mapping[str, Any],
    ledger_url: str | None,
    *,
    counts: LedgerCounts | None = None,
) -> dict[str, Any]:
    """The register as one JSON-ready object (see the module docstring).

    `counts` keeps running totals between calls; without it the ledger is counted afresh.
    """
    services = _services(clients)
    if counts is not None and counts.ledger_url != ledger_url:
        raise ValueError("counts belong to another ledger")
    usage_counts = await (counts or LedgerCounts(ledger_url)).current()
    usage: dict[str, list[dict[str, Any]]] = {}
    for month, department, purpose_id, releases, refusals in usage_counts:
        purpose = purposes.get(purpose_id) or {}
        usage.setdefault(department, []).append(
            {
                "month": month,
                "purpose": purpose_id,
                "name": purpose.get("name", purpose_id),
                "releases": releases,
                "refusals": refusals,
            }
        )
    departments = []
    for department, categories in sorted(_holdings(supergraph).items()):
        departments.append(
            {
                "department": department,
                "categories": [
                    {
                        "category": category,
                        "sensitivity": held["sensitivity"],
                        "fields": held["fields"],
                        "openToAll": held["sensitivity"] == PUBLIC,
                        "purposes": _users(department, category, purposes, services),
                    }
                    for category, held in sorted(categories.items())
                ],
                "usage": usage.get(department, []),
            }
        )
    return {
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "departments": departments,
    }


CSV_COLUMNS = (
    "department",
    "category",
    "sensitivity",
    "purpose",
    "purpose_name",
    "lawful_basis",
    "services",
    "month",
    "releases",
    "refusals",
)


def register_csv(register: Mapping[str, Any]) -> str:
    """One row per (department, category, purpose) and one per (department, month, purpose)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for department in register["departments"]:
        name = department["department"]
        for category in department["categories"]:
            base = [name, category["category"], category["sensitivity"]]
            if not category["purposes"]:
                writer.writerow([*base, "", "", "", "", "", "", ""])
            for purpose in category["purposes"]:
                services = "; ".join(
                    f"{s['name']} ({s['organisation']})" for s in purpose["services"]
                )
                writer.writerow(
                    [
                        *base,
                        purpose["purpose"],
                        purpose["name"],
                        purpose["lawfulBasis"],
                        services,
                        "",
                        "",
                        "",
                    ]
                )
        for row in department["usage"]:
            usage = [row["month"], row["releases"], row["refusals"]]
            writer.writerow([name, "", "", row["purpose"], row["name"], "", "", *usage])
    return out.getvalue()


def register_html(register: Mapping[str, Any]) -> str:
    """A plain page a person can read: one section per department."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Public data register</title></head><body>",
        "<h1>Public data register</h1>",
        f"<p>What each department holds, who may use it and how often they did. "
        f"Generated {e(register['generatedAt'])}. "
        "Also as <a href='/register'>JSON</a> and <a href='/register.csv'>CSV</a>.</p>",
    ]
    for department in register["departments"]:
        parts.append(f"<h2>{e(department['department'])}</h2>")
        parts.append(
            "<table><tr><th>Data category</th><th>Sensitivity</th>"
            "<th>Used for</th><th>Lawful basis</th><th>By</th></tr>"
        )
        for category in department["categories"]:
            users = category["purposes"] or [None]
            for purpose in users:
                if purpose is None:
                    used = "any service" if category["openToAll"] else "no purpose"
                    cells = [used, "", ""]
                else:
                    by = ", ".join(
                        f"{s['name']} ({s['organisation']})" for s in purpose["services"]
                    )
                    cells = [purpose["name"], purpose["lawfulBasisText"], by]
                row = [category["category"], category["sensitivity"], *cells]
                parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
        parts.append("</table>")
        if department["usage"]:
            parts.append(
                "<h3>Use by month</h3><table><tr><th>Month</th><th>Purpose</th>"
                "<th>Released</th><th>Refused</th></tr>"
            )
            for row in department["usage"]:
                cells = [row["month"], row["name"], row["releases"], row["refusals"]]
                parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in cells) + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _registry(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((POLICY_DIR / "data" / f"{name}.json").read_bytes())
    return dict(loaded[name])


def register_routes(
    supergraph: Callable[[], Supergraph],
    ledger_url: str | None,
    purposes: Mapping[str, Any] | None = None,
    clients: Mapping[str, Any] | None = None,
) -> list[Route]:
    """`/register`, `/register.csv` and `/register.html`, built afresh for each request.

    `supergraph` returns the gateway's current supergraph, so a recomposed graph
    shows at once; the ledger is counted incrementally (only entries added since
    the last request are read); `purposes` and `clients` default to `policies/data`.
    """
    purpose_registry = purposes if purposes is not None else _registry("purposes")
    client_registry = clients if clients is not None else _registry("clients")
    counts = LedgerCounts(ledger_url)

    async def current() -> dict[str, Any]:
        return await build_register(
            supergraph(), purpose_registry, client_registry, ledger_url, counts=counts
        )

    async def as_json(request: Request) -> Response:
        return Response(orjson.dumps(await current()), media_type="application/json")

    async def as_csv(request: Request) -> Response:
        return Response(
            register_csv(await current()),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": "inline; filename=register.csv"},
        )

    async def as_html(request: Request) -> Response:
        return HTMLResponse(register_html(await current()))

    return [
        Route("/register", as_json, methods=["GET"]),
        Route("/register.csv", as_csv, methods=["GET"]),
        Route("/register.html", as_html, methods=["GET"]),
    ]
