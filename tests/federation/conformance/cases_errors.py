"""Errors: null propagation for non-null fields and subgraph errors passed on with the
client's paths and `extensions.code`."""

from __future__ import annotations

from .case import MUTATION, QUERY, Case, Text, error, keyed
from .data import PRODUCTS, STOCK

_STOCK_S3 = "stock level unknown for S3"
_ARCHIVED = "price history is archived"
_OFFLINE = "sentiment model offline"


def _level(n: int) -> int | None:
    """The stock level of the product of the n-th feed review."""
    return STOCK[PRODUCTS[(n - 1) % 10].sku].level


CASES = [
    Case(
        "null_propagation_up_to_data",
        "{ topProducts { upc stockLevel } }",
        None,
        {
            "data": None,
            "errors": [
                error(_STOCK_S3, ["topProducts", 2, "stockLevel"], "STOCK_UNKNOWN", "inventory")
            ],
        },
        {"products": [QUERY], "inventory": [keyed("Product", "upc", "1", "2", "3")]},
    ),
    Case(
        "null_propagation_stops_at_nullable_parent",
        '{ product(upc: "3") { upc name stockLevel } }',
        None,
        {
            "data": {"product": None},
            "errors": [error(_STOCK_S3, ["product", "stockLevel"], "STOCK_UNKNOWN", "inventory")],
        },
        {"products": [QUERY], "inventory": [keyed("Product", "upc", "3")]},
    ),
    Case(
        "nullable_field_error_keeps_siblings",
        '{ p: product(upc: "2") { name history: priceHistory } }',
        None,
        {
            "data": {"p": {"name": "Couch", "history": None}},
            "errors": [error(_ARCHIVED, ["p", "history"], "ARCHIVED", "products")],
        },
        {"products": [QUERY]},
    ),
    Case(
        "errors_from_two_subgraphs",
        '{ product(upc: "1") { name priceHistory reviews { id sentiment } } }',
        None,
        {
            "data": {
                "product": {
                    "name": "Table",
                    "priceHistory": None,
                    "reviews": [{"id": "r1", "sentiment": None}, {"id": "r2", "sentiment": None}],
                }
            },
            "errors": [
                error(_ARCHIVED, ["product", "priceHistory"], "ARCHIVED", "products"),
                error(_OFFLINE, ["product", "reviews", 0, "sentiment"], "MODEL_OFFLINE", "reviews"),
                error(_OFFLINE, ["product", "reviews", 1, "sentiment"], "MODEL_OFFLINE", "reviews"),
            ],
        },
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "entity_errors_mapped_to_client_paths_and_aliases",
        "{ top: topProducts(first: 2) { upc notes: reviews { mood: sentiment } } }",
        None,
        {
            "data": {
                "top": [
                    {"upc": "1", "notes": [{"mood": None}, {"mood": None}]},
                    {"upc": "2", "notes": [{"mood": None}]},
                ]
            },
            "errors": [
                error(_OFFLINE, ["top", 0, "notes", 0, "mood"], "MODEL_OFFLINE", "reviews"),
                error(_OFFLINE, ["top", 0, "notes", 1, "mood"], "MODEL_OFFLINE", "reviews"),
                error(_OFFLINE, ["top", 1, "notes", 0, "mood"], "MODEL_OFFLINE", "reviews"),
            ],
        },
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1", "2")]},
    ),
    Case(
        "entity_lookup_error_mapped_to_the_entity_path",
        "{ damagedShipment { id product { name } } }",
        None,
        {
            "data": {"damagedShipment": {"id": "s9", "product": None}},
            "errors": [
                error(
                    "product E1 is quarantined",
                    ["damagedShipment", "product"],
                    "QUARANTINED",
                    "products",
                )
            ],
        },
        {"shipping": [QUERY], "products": [keyed("Product", "upc", "E1")]},
    ),
    Case(
        "deduplicated_entity_error_reported_at_every_client_path",
        "{ feed(count: 13) { id product { upc stockLevel } } }",
        None,
        {
            "data": {
                "feed": [
                    {
                        "id": f"f{n}",
                        "product": None
                        if n in (3, 13)
                        else {"upc": str((n - 1) % 10 + 1), "stockLevel": _level(n)},
                    }
                    for n in range(1, 14)
                ]
            },
            "errors": [
                error(
                    _STOCK_S3, ["feed", 2, "product", "stockLevel"], "STOCK_UNKNOWN", "inventory"
                ),
                error(
                    _STOCK_S3, ["feed", 12, "product", "stockLevel"], "STOCK_UNKNOWN", "inventory"
                ),
            ],
        },
        {
            "reviews": [QUERY],
            "inventory": [keyed("Product", "upc", *(str(n) for n in range(1, 11)))],
        },
    ),
    Case(
        "subgraph_error_without_a_code_gets_the_downstream_code",
        '{ review(id: "r1") { body translation } }',
        None,
        {
            "data": {"review": {"body": "Love it!", "translation": None}},
            "errors": [
                error(
                    "translation service unreachable",
                    ["review", "translation"],
                    "DOWNSTREAM_SERVICE_ERROR",
                    "reviews",
                )
            ],
        },
        {"reviews": [QUERY]},
    ),
    Case(
        "mutation_field_error_reaching_data_stops_the_later_ones",
        'mutation { a: signIn(journal: "stop", username: "") '
        'b: postReview(journal: "stop", body: "never") }',
        None,
        {
            "data": None,
            "errors": [error("username is required", ["a"], "BAD_USERNAME", "accounts")],
        },
        {"accounts": [MUTATION]},
    ),
    Case(
        "entity_unknown_to_its_owner_leaves_nullable_fields_null",
        '{ review(id: "r5") { product { upc warehouse { name } } } }',
        None,
        {"data": {"review": {"product": {"upc": "99", "warehouse": None}}}},
        {"reviews": [QUERY], "inventory": [keyed("Product", "upc", "99")]},
    ),
    Case(
        "entity_unknown_to_its_owner_nulls_a_non_null_field_with_an_error",
        '{ review(id: "r5") { body product { upc price } } }',
        None,
        {
            "data": {"review": {"body": "Discontinued, sadly.", "product": None}},
            "errors": [
                {
                    "message": "Cannot return null for non-nullable field Product.price.",
                    "path": ["review", "product", "price"],
                    "extensions": {"code": Text(r"^[A-Z][A-Z_]+$")},
                }
            ],
        },
        {"reviews": [QUERY], "products": [keyed("Product", "upc", "99")]},
    ),
]


# Cases against a gateway whose accounts subgraph does not answer.
DOWN_CASES = [
    Case(
        "subgraph_down_root_field_null_rest_returned",
        "{ topProducts(first: 1) { name } me { name } }",
        None,
        {
            "data": {"topProducts": [{"name": "Table"}], "me": None},
            "errors": [error(Text("accounts"), ["me"], "SUBGRAPH_UNAVAILABLE", "accounts")],
        },
        {"products": [QUERY]},
    ),
    Case(
        "subgraph_down_entity_fetch_null_rest_returned",
        '{ review(id: "r1") { body editor { name } } }',
        None,
        {
            "data": {"review": {"body": "Love it!", "editor": None}},
            "errors": [
                error(Text("accounts"), ["review", "editor"], "SUBGRAPH_UNAVAILABLE", "accounts")
            ],
        },
        {"reviews": [QUERY]},
    ),
    Case(
        "subgraph_down_for_a_list_of_entities_one_error",
        "{ shipments { id recipient { name } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"id": "s1", "recipient": None},
                    {"id": "s2", "recipient": None},
                    {"id": "s3", "recipient": None},
                ]
            },
            "errors": [error(Text("accounts"), ["shipments"], "SUBGRAPH_UNAVAILABLE", "accounts")],
        },
        {"shipping": [QUERY]},
    ),
    Case(
        "failed_non_null_mutation_field_stops_the_later_ones",
        'mutation { a: signIn(journal: "halt", username: "ada") '
        'b: postReview(journal: "halt", body: "never") }',
        None,
        {
            "data": None,
            "errors": [error(Text("accounts"), ["a"], "SUBGRAPH_UNAVAILABLE", "accounts")],
        },
        {},
    ),
]
