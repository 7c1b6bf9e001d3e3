"""Fixture subgraphs of a small shop, each a strawberry federation schema."""

import strawberry

from . import accounts, catalog, inventory, products, ratings, reviews, search, shipping

SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "accounts": accounts.schema,
    "catalog": catalog.schema,
    "inventory": inventory.schema,
    "products": products.schema,
    "ratings": ratings.schema,
    "reviews": reviews.schema,
    "search": search.schema,
    "shipping": shipping.schema,
}
