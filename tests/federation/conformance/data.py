"""The fixture shop's data, shared by the fixture subgraphs and the expected responses."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class ProductRow:
    upc: str
    sku: str
    name: str
    price: int
    weight: int
    dimensions: tuple[int, int, int]
    condition: str


@dataclass(frozen=True)
class StockRow:
    in_stock: bool
    level: int | None  # None: the stock level is unknown and the field errors
    warehouse: tuple[str, int] | None


@dataclass(frozen=True)
class ReviewRow:
    id: str
    body: str
    author: str | None
    editor: str | None
    product: str | None
    condition: str


@dataclass(frozen=True)
class MediaRow:
    id: str
    kind: str  # "Book" or "Movie"
    title: str
    author: str = ""
    pages: int = 0
    minutes: int = 0


USERS: dict[str, tuple[str, str]] = {
    "u1": ("ada", "Ada Lovelace"),
    "u2": ("alan", "Alan Turing"),
    "u3": ("grace", "Grace Hopper"),
}
ME = "u1"

PRODUCTS: tuple[ProductRow, ...] = (
    ProductRow("1", "S1", "Table", 899, 20, (120, 80, 75), "NEW"),
    ProductRow("2", "S2", "Couch", 1299, 50, (200, 90, 85), "NEW"),
    ProductRow("3", "S3", "Chair", 54, 5, (45, 50, 90), "NEW"),
    ProductRow("4", "S4", "Lamp", 25, 2, (20, 20, 60), "OPEN_BOX"),
    ProductRow("5", "S5", "Rug", 120, 8, (160, 230, 1), "NEW"),
    ProductRow("6", "S6", "Shelf", 80, 15, (80, 30, 180), "NEW"),
    ProductRow("7", "S7", "Desk", 300, 30, (140, 70, 75), "NEW"),
    ProductRow("8", "S8", "Stool", 45, 4, (35, 35, 65), "NEW"),
    ProductRow("9", "S9", "Mirror", 60, 6, (50, 3, 90), "OPEN_BOX"),
    ProductRow("10", "S10", "Clock", 35, 1, (30, 5, 30), "NEW"),
)
PRODUCT_BY_UPC = {p.upc: p for p in PRODUCTS}
PRODUCT_BY_SKU = {p.sku: p for p in PRODUCTS}

# The product both the products and the reviews subgraphs serve at Query.featuredProduct.
FEATURED_PRODUCT = "1"

# Names the reviews subgraph holds itself (Product.name is shareable); "99" is a
# product the products subgraph no longer knows.
REVIEWED_PRODUCT_NAMES = {**{p.upc: p.name for p in PRODUCTS}, "99": "Brass Lamp"}

STOCK: dict[str, StockRow] = {
    "S1": StockRow(True, 12, ("EU", 1)),
    "S2": StockRow(False, 0, ("EU", 2)),
    "S3": StockRow(True, None, ("US", 1)),
    "S4": StockRow(True, 3, None),
    "S5": StockRow(False, 0, ("EU", 1)),
    **{f"S{n}": StockRow(True, 7, ("EU", 2)) for n in range(6, 11)},
}

# (region, code) -> (name, dispatch hours)
WAREHOUSES: dict[tuple[str, int], tuple[str, str]] = {
    ("EU", 1): ("Rotterdam", "08:00-18:00"),
    ("EU", 2): ("Hamburg", "06:00-22:00"),
    ("US", 1): ("Newark", "09:00-17:00"),
}
# (label, region, code) -> (capacity, picker count)
BINS: dict[tuple[str, str, int], tuple[int, int]] = {
    ("A1", "EU", 1): (40, 3),
    ("B2", "EU", 1): (25, 1),
    ("A1", "US", 1): (10, 2),
}

REVIEWS: tuple[ReviewRow, ...] = (
    ReviewRow("r1", "Love it!", "u1", "u2", "1", "NEW"),
    ReviewRow("r2", "Too expensive.", "u2", None, "1", "USED"),
    ReviewRow("r3", "Could be better.", "u3", "u1", "2", "NEW"),
    ReviewRow("r4", "Prefer something else.", "u1", None, None, "USED"),
    ReviewRow("r5", "Discontinued, sadly.", "u2", "u3", "99", "USED"),
)

# What a review mentions (the reviews subgraph's `Mention` union: User | Product) and
# what search lists as mentions (its own `Mention` union: Book | User).
REVIEW_MENTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "r1": (("User", "u3"), ("Product", "2")),
}
SEARCH_MENTIONS: tuple[tuple[str, str], ...] = (("Book", "b2"), ("User", "u1"))


def feed_review(n: int) -> ReviewRow:
    """The n-th (1-based) review of the synthetic feed: 10 products, 3 authors."""
    return ReviewRow(
        f"f{n}", f"Feed review {n}", f"u{(n - 1) % 3 + 1}", None, str((n - 1) % 10 + 1), "NEW"
    )


# Percent of the list price, by currency.
RATES = {"USD": 100, "EUR": 90, "GBP": 80}

# Products whose lookup in the products subgraph fails with an error.
QUARANTINED = frozenset({"E1"})

# (id, product upc, recipient)
SHIPMENTS: tuple[tuple[str, str | None, str | None], ...] = (
    ("s1", "1", "u1"),
    ("s2", "3", None),
    ("s3", None, "u3"),
)

MEDIA: tuple[MediaRow, ...] = (
    MediaRow("b1", "Book", "Dune", author="Frank Herbert", pages=412),
    MediaRow("m1", "Movie", "Alien", minutes=117),
    MediaRow("b2", "Book", "Emma", author="Jane Austen", pages=474),
    MediaRow("m2", "Movie", "Heat", minutes=170),
)
MEDIA_BY_ID = {m.id: m for m in MEDIA}
STARS = {"b1": 4, "m1": 5, "b2": 3, "m2": 2}
TOP_RATED = ("m1", "b1")

# (typename, id, keywords) in ranking order
SEARCH_INDEX: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Book", "b1", ("dune", "desert", "sand")),
    ("Movie", "m1", ("alien", "space")),
    ("User", "u2", ("alan", "computing")),
    ("Book", "b2", ("emma",)),
    ("User", "u3", ("grace", "computing")),
)
FEATURED = ("b1", "m2")
HIGHLIGHTS: tuple[tuple[str, str], ...] = (("Book", "b2"), ("Movie", "m1"), ("User", "u3"))


class Journal:
    """A log shared by the accounts and reviews mutations, so a response shows their order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, list[str]] = {}

    def append(self, journal: str, entry: str) -> list[str]:
        with self._lock:
            entries = self._entries.setdefault(journal, [])
            entries.append(entry)
            return list(entries)


JOURNAL = Journal()
