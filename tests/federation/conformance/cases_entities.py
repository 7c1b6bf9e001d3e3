"""Keys and entity fetches: single, multiple, composite, nested and non-resolvable keys,
entity and parent-entity calls, null entities, circular references and batching."""

from __future__ import annotations

from typing import Any

from .case import QUERY, Case, entities, keyed
from .data import PRODUCT_BY_UPC, STOCK, USERS, feed_review


def _feed_item(n: int) -> dict[str, Any]:
    row = feed_review(n)
    product = PRODUCT_BY_UPC[row.product or ""]
    return {
        "id": row.id,
        "author": {"name": USERS[row.author or ""][1]},
        "product": {"price": product.price, "inStock": STOCK[product.sku].in_stock},
    }


CASES = [
    Case(
        "key_single_entity_call",
        "{ me { id name reviews { body } } }",
        None,
        {
            "data": {
                "me": {
                    "id": "u1",
                    "name": "Ada Lovelace",
                    "reviews": [{"body": "Love it!"}, {"body": "Prefer something else."}],
                }
            }
        },
        {"accounts": [QUERY], "reviews": [keyed("User", "id", "u1")]},
    ),
    Case(
        "key_composite",
        "{ warehouses { region code name dispatchHours } }",
        None,
        {
            "data": {
                "warehouses": [
                    {
                        "region": "EU",
                        "code": 1,
                        "name": "Rotterdam",
                        "dispatchHours": "08:00-18:00",
                    },
                    {"region": "EU", "code": 2, "name": "Hamburg", "dispatchHours": "06:00-22:00"},
                    {"region": "US", "code": 1, "name": "Newark", "dispatchHours": "09:00-17:00"},
                ]
            }
        },
        {
            "inventory": [QUERY],
            "shipping": [
                entities(
                    {"__typename": "Warehouse", "region": "EU", "code": 1},
                    {"__typename": "Warehouse", "region": "EU", "code": 2},
                    {"__typename": "Warehouse", "region": "US", "code": 1},
                )
            ],
        },
    ),
    Case(
        "key_nested",
        "{ bins { label warehouse { region code } capacity pickerCount } }",
        None,
        {
            "data": {
                "bins": [
                    {
                        "label": "A1",
                        "warehouse": {"region": "EU", "code": 1},
                        "capacity": 40,
                        "pickerCount": 3,
                    },
                    {
                        "label": "B2",
                        "warehouse": {"region": "EU", "code": 1},
                        "capacity": 25,
                        "pickerCount": 1,
                    },
                    {
                        "label": "A1",
                        "warehouse": {"region": "US", "code": 1},
                        "capacity": 10,
                        "pickerCount": 2,
                    },
                ]
            }
        },
        {
            "inventory": [QUERY],
            "shipping": [
                entities(
                    {"__typename": "Bin", "label": "A1", "warehouse": {"region": "EU", "code": 1}},
                    {"__typename": "Bin", "label": "B2", "warehouse": {"region": "EU", "code": 1}},
                    {"__typename": "Bin", "label": "A1", "warehouse": {"region": "US", "code": 1}},
                )
            ],
        },
    ),
    Case(
        "key_non_resolvable_reference_resolved_by_owner",
        "{ shipments { id recipient { id name } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"id": "s1", "recipient": {"id": "u1", "name": "Ada Lovelace"}},
                    {"id": "s2", "recipient": None},
                    {"id": "s3", "recipient": {"id": "u3", "name": "Grace Hopper"}},
                ]
            }
        },
        {"shipping": [QUERY], "accounts": [keyed("User", "id", "u1", "u3")]},
    ),
    Case(
        "key_non_resolvable_key_fields_need_no_fetch",
        "{ shipments { recipient { id } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"recipient": {"id": "u1"}},
                    {"recipient": None},
                    {"recipient": {"id": "u3"}},
                ]
            }
        },
        {"shipping": [QUERY]},
    ),
    Case(
        "entity_calls_to_two_subgraphs",
        '{ product(upc: "1") { name inStock reviews { id } } }',
        None,
        {
            "data": {
                "product": {
                    "name": "Table",
                    "inStock": True,
                    "reviews": [{"id": "r1"}, {"id": "r2"}],
                }
            }
        },
        {
            "products": [QUERY],
            "inventory": [keyed("Product", "upc", "1")],
            "reviews": [keyed("Product", "upc", "1")],
        },
    ),
    Case(
        "parent_entity_calls_chain",
        "{ topProducts(first: 2) { name reviews { body author { name } } } }",
        None,
        {
            "data": {
                "topProducts": [
                    {
                        "name": "Table",
                        "reviews": [
                            {"body": "Love it!", "author": {"name": "Ada Lovelace"}},
                            {"body": "Too expensive.", "author": {"name": "Alan Turing"}},
                        ],
                    },
                    {
                        "name": "Couch",
                        "reviews": [
                            {"body": "Could be better.", "author": {"name": "Grace Hopper"}}
                        ],
                    },
                ]
            }
        },
        {
            "products": [QUERY],
            "reviews": [keyed("Product", "upc", "1", "2")],
            "accounts": [keyed("User", "id", "u1", "u2", "u3")],
        },
    ),
    Case(
        "parent_entity_from_entity_fields",
        '{ review(id: "r3") { body product { upc inStock price } } }',
        None,
        {
            "data": {
                "review": {
                    "body": "Could be better.",
                    "product": {"upc": "2", "inStock": False, "price": 1299},
                }
            }
        },
        {
            "reviews": [QUERY],
            "inventory": [keyed("Product", "upc", "2")],
            "products": [keyed("Product", "upc", "2")],
        },
    ),
    Case(
        "null_entity_is_not_sent",
        "{ shipments { id product { name } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"id": "s1", "product": {"name": "Table"}},
                    {"id": "s2", "product": {"name": "Chair"}},
                    {"id": "s3", "product": None},
                ]
            }
        },
        {"shipping": [QUERY], "products": [keyed("Product", "upc", "1", "3")]},
    ),
    Case(
        "circular_reference_back_to_first_subgraph",
        "{ me { name reviews { body author { name reviews { id } } } } }",
        None,
        {
            "data": {
                "me": {
                    "name": "Ada Lovelace",
                    "reviews": [
                        {
                            "body": "Love it!",
                            "author": {
                                "name": "Ada Lovelace",
                                "reviews": [{"id": "r1"}, {"id": "r4"}],
                            },
                        },
                        {
                            "body": "Prefer something else.",
                            "author": {
                                "name": "Ada Lovelace",
                                "reviews": [{"id": "r1"}, {"id": "r4"}],
                            },
                        },
                    ],
                }
            }
        },
        {
            "accounts": [QUERY, keyed("User", "id", "u1")],
            "reviews": [keyed("User", "id", "u1")],
        },
    ),
    Case(
        "circular_reference_through_entity",
        '{ product(upc: "2") { name reviews { product { name price } } } }',
        None,
        {
            "data": {
                "product": {
                    "name": "Couch",
                    "reviews": [{"product": {"name": "Couch", "price": 1299}}],
                }
            }
        },
        {
            "products": [QUERY, keyed("Product", "upc", "2")],
            "reviews": [keyed("Product", "upc", "2")],
        },
    ),
    Case(
        "batching_one_call_per_subgraph_per_step_deduplicated",
        "{ feed(count: 50) { id author { name } product { price inStock } } }",
        None,
        {"data": {"feed": [_feed_item(n) for n in range(1, 51)]}},
        {
            "reviews": [QUERY],
            "accounts": [keyed("User", "id", "u1", "u2", "u3")],
            "products": [keyed("Product", "upc", *(str(n) for n in range(1, 11)))],
            "inventory": [keyed("Product", "upc", *(str(n) for n in range(1, 11)))],
        },
    ),
    Case(
        "representation_uses_key_field_not_client_alias",
        "{ topProducts(first: 1) { upc: name reviews { id } } }",
        None,
        {"data": {"topProducts": [{"upc": "Table", "reviews": [{"id": "r1"}, {"id": "r2"}]}]}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "key_field_aliased_by_client",
        "{ topProducts(first: 1) { id: upc reviews { id } } }",
        None,
        {"data": {"topProducts": [{"id": "1", "reviews": [{"id": "r1"}, {"id": "r2"}]}]}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "empty_list_needs_no_further_fetch",
        '{ product(upc: "3") { name reviews { id author { name } } } }',
        None,
        {"data": {"product": {"name": "Chair", "reviews": []}}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "3")]},
    ),
    Case(
        "typename_of_referenced_entity_needs_no_fetch",
        "{ shipments { recipient { __typename } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"recipient": {"__typename": "User"}},
                    {"recipient": None},
                    {"recipient": {"__typename": "User"}},
                ]
            }
        },
        {"shipping": [QUERY]},
    ),
    Case(
        "nested_lists_flattened_into_one_fetch",
        "{ users { reviews { editor { name } } } }",
        None,
        {
            "data": {
                "users": [
                    {"reviews": [{"editor": {"name": "Alan Turing"}}, {"editor": None}]},
                    {"reviews": [{"editor": None}, {"editor": {"name": "Grace Hopper"}}]},
                    {"reviews": [{"editor": {"name": "Ada Lovelace"}}]},
                ]
            }
        },
        {
            "accounts": [QUERY, keyed("User", "id", "u1", "u2", "u3")],
            "reviews": [keyed("User", "id", "u1", "u2", "u3")],
        },
    ),
    Case(
        "null_items_in_an_entity_list_keep_their_positions",
        '{ lookup(upcs: ["1", "nope", "3", "nope", "4"]) { upc inStock } }',
        None,
        {
            "data": {
                "lookup": [
                    {"upc": "1", "inStock": True},
                    None,
                    {"upc": "3", "inStock": True},
                    None,
                    {"upc": "4", "inStock": True},
                ]
            }
        },
        {"products": [QUERY], "inventory": [keyed("Product", "upc", "1", "3", "4")]},
    ),
    Case(
        "skipped_key_field_still_sent_but_not_returned",
        "{ topProducts(first: 1) { upc @skip(if: true) reviews { id } } }",
        None,
        {"data": {"topProducts": [{"reviews": [{"id": "r1"}, {"id": "r2"}]}]}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "batching_deduplicates_across_nested_lists",
        "{ users { reviews { author { name } } } }",
        None,
        {
            "data": {
                "users": [
                    {
                        "reviews": [
                            {"author": {"name": "Ada Lovelace"}},
                            {"author": {"name": "Ada Lovelace"}},
                        ]
                    },
                    {
                        "reviews": [
                            {"author": {"name": "Alan Turing"}},
                            {"author": {"name": "Alan Turing"}},
                        ]
                    },
                    {"reviews": [{"author": {"name": "Grace Hopper"}}]},
                ]
            }
        },
        {
            "accounts": [QUERY, keyed("User", "id", "u1", "u2", "u3")],
            "reviews": [keyed("User", "id", "u1", "u2", "u3")],
        },
    ),
    Case(
        "nested_key_fields_fetched_but_only_selected_ones_returned",
        "{ bins { warehouse { region } pickerCount } }",
        None,
        {
            "data": {
                "bins": [
                    {"warehouse": {"region": "EU"}, "pickerCount": 3},
                    {"warehouse": {"region": "EU"}, "pickerCount": 1},
                    {"warehouse": {"region": "US"}, "pickerCount": 2},
                ]
            }
        },
        {
            "inventory": [QUERY],
            "shipping": [
                entities(
                    {"__typename": "Bin", "label": "A1", "warehouse": {"region": "EU", "code": 1}},
                    {"__typename": "Bin", "label": "B2", "warehouse": {"region": "EU", "code": 1}},
                    {"__typename": "Bin", "label": "A1", "warehouse": {"region": "US", "code": 1}},
                )
            ],
        },
    ),
]

# Cases against the parcels subgraphs (a key chain: claims -id-> labels -barcode-> tracking).
PARCEL_CASES = [
    Case(
        "key_multiple_chain_through_owner_and_null_keys_not_sent",
        "{ claims { id parcel { id status } } }",
        None,
        {
            "data": {
                "claims": [
                    {"id": "c1", "parcel": {"id": "p1", "status": "delivered"}},
                    {"id": "c2", "parcel": {"id": "p2", "status": "in transit"}},
                    {"id": "c3", "parcel": {"id": "p9", "status": None}},
                    {"id": "c4", "parcel": None},
                ]
            }
        },
        {
            "claims": [QUERY],
            "labels": [keyed("Parcel", "id", "p1", "p2", "p9")],
            "tracking": [keyed("Parcel", "barcode", "BC-1", "BC-2")],
        },
    ),
    Case(
        "key_multiple_second_key_from_owner",
        "{ parcels { destination status } }",
        None,
        {
            "data": {
                "parcels": [
                    {"destination": "Leeds", "status": "delivered"},
                    {"destination": "York", "status": "in transit"},
                ]
            }
        },
        {"labels": [QUERY], "tracking": [keyed("Parcel", "barcode", "BC-1", "BC-2")]},
    ),
]

# Cases against the crates subgraphs (a value type's field known to one subgraph only).
CRATE_CASES = [
    Case(
        "parent_entity_call_for_a_value_type_field",
        "{ crates { id box { weight handling } } }",
        None,
        {
            "data": {
                "crates": [
                    {"id": "k1", "box": {"weight": 3, "handling": "standard"}},
                    {"id": "k2", "box": {"weight": 12, "handling": "heavy"}},
                ]
            }
        },
        {"depots": [QUERY], "handling": [keyed("Crate", "id", "k1", "k2")]},
    ),
]
