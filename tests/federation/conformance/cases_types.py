"""Abstract types across subgraphs, `__typename`, introspection, and enums and input
objects that differ between subgraphs."""

from __future__ import annotations

from .case import QUERY, Case, entities, keyed, validation_error

CASES = [
    Case(
        "union_members_owned_by_different_subgraphs",
        '{ search(text: "a") { __typename ... on Book { title pages } ... on Movie { title } '
        "... on User { name } } }",
        None,
        {
            "data": {
                "search": [
                    {"__typename": "Book", "title": "Dune", "pages": 412},
                    {"__typename": "Movie", "title": "Alien"},
                    {"__typename": "User", "name": "Alan Turing"},
                    {"__typename": "Book", "title": "Emma", "pages": 474},
                    {"__typename": "User", "name": "Grace Hopper"},
                ]
            }
        },
        {
            "search": [QUERY],
            "catalog": [
                entities(
                    {"__typename": "Book", "id": "b1"},
                    {"__typename": "Movie", "id": "m1"},
                    {"__typename": "Book", "id": "b2"},
                )
            ],
            "accounts": [keyed("User", "id", "u2", "u3")],
        },
    ),
    Case(
        "interface_members_owned_by_different_subgraphs",
        '{ a: node(id: "b2") { id ... on Book { title } ... on User { name } } '
        'b: node(id: "u3") { id ... on Book { title } ... on User { name } } }',
        None,
        {"data": {"a": {"id": "b2", "title": "Emma"}, "b": {"id": "u3", "name": "Grace Hopper"}}},
        {
            "search": [QUERY],
            "catalog": [keyed("Book", "id", "b2")],
            "accounts": [keyed("User", "id", "u3")],
        },
    ),
    Case(
        "entity_interface_from_its_owner",
        "{ media { id title ... on Book { author } ... on Movie { minutes } } }",
        None,
        {
            "data": {
                "media": [
                    {"id": "b1", "title": "Dune", "author": "Frank Herbert"},
                    {"id": "m1", "title": "Alien", "minutes": 117},
                    {"id": "b2", "title": "Emma", "author": "Jane Austen"},
                    {"id": "m2", "title": "Heat", "minutes": 170},
                ]
            }
        },
        {"catalog": [QUERY]},
    ),
    Case("typename_at_root", "{ __typename }", None, {"data": {"__typename": "Query"}}, {}),
    Case(
        "typename_at_mutation_root",
        "mutation { __typename }",
        None,
        {"data": {"__typename": "Mutation"}},
        {},
    ),
    Case(
        "typename_in_entities",
        "{ __typename topProducts(first: 1) { __typename upc reviews { __typename id "
        "author { __typename name } } } }",
        None,
        {
            "data": {
                "__typename": "Query",
                "topProducts": [
                    {
                        "__typename": "Product",
                        "upc": "1",
                        "reviews": [
                            {
                                "__typename": "Review",
                                "id": "r1",
                                "author": {"__typename": "User", "name": "Ada Lovelace"},
                            },
                            {
                                "__typename": "Review",
                                "id": "r2",
                                "author": {"__typename": "User", "name": "Alan Turing"},
                            },
                        ],
                    }
                ],
            }
        },
        {
            "products": [QUERY],
            "reviews": [keyed("Product", "upc", "1")],
            "accounts": [keyed("User", "id", "u1", "u2")],
        },
    ),
    Case(
        "typename_in_union_aliased",
        '{ search(text: "computing") { kind: __typename ... on User { id } } }',
        None,
        {"data": {"search": [{"kind": "User", "id": "u2"}, {"kind": "User", "id": "u3"}]}},
        {"search": [QUERY]},
    ),
    Case(
        "introspection_answered_by_the_gateway",
        "{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }",
        None,
        {
            "data": {
                "__schema": {
                    "queryType": {"name": "Query"},
                    "mutationType": {"name": "Mutation"},
                    "subscriptionType": None,
                }
            }
        },
        {},
    ),
    Case(
        "enum_output_values_from_either_subgraph",
        '{ r2: review(id: "r2") { condition } p4: product(upc: "4") { condition } }',
        None,
        {"data": {"r2": {"condition": "USED"}, "p4": {"condition": "OPEN_BOX"}}},
        {"reviews": [QUERY], "products": [QUERY]},
    ),
    Case(
        "enum_output_values_are_the_union",
        '{ __type(name: "Condition") { enumValues { name } } }',
        None,
        {
            "data": {
                "__type": {"enumValues": [{"name": "NEW"}, {"name": "OPEN_BOX"}, {"name": "USED"}]}
            }
        },
        {},
    ),
    Case(
        "enum_input_values_are_the_intersection",
        '{ __type(name: "SortOrder") { enumValues { name } } }',
        None,
        {"data": {"__type": {"enumValues": [{"name": "ASC"}, {"name": "DESC"}]}}},
        {},
    ),
    Case(
        "enum_input_common_value_accepted",
        '{ products(order: DESC, filter: {namePrefix: "C"}) { name } }',
        None,
        {"data": {"products": [{"name": "Couch"}, {"name": "Chair"}, {"name": "Clock"}]}},
        {"products": [QUERY]},
    ),
    Case(
        "enum_input_value_of_one_subgraph_rejected",
        "{ products(order: RANDOM) { name } }",
        None,
        validation_error("Value 'RANDOM' does not exist in 'SortOrder' enum.", 1, 19),
        {},
    ),
    Case(
        "input_object_fields_are_the_intersection",
        '{ __type(name: "ProductFilter") { inputFields { name } } }',
        None,
        {"data": {"__type": {"inputFields": [{"name": "namePrefix"}]}}},
        {},
    ),
    Case(
        "input_object_common_field_accepted",
        '{ reviewedProducts(filter: {namePrefix: "C"}) { upc name } }',
        None,
        {"data": {"reviewedProducts": [{"upc": "2", "name": "Couch"}]}},
        {"reviews": [QUERY]},
    ),
    Case(
        "input_object_field_of_one_subgraph_rejected",
        "{ products(filter: {maxPrice: 100}) { name } }",
        None,
        validation_error(
            "Expected value of type 'ProductFilter' not to include unknown field 'maxPrice', "
            "found: { maxPrice: 100 }.",
            1,
            21,
        ),
        {},
    ),
    Case(
        "input_object_field_of_the_other_subgraph_rejected",
        "{ reviewedProducts(filter: {minReviews: 1}) { name } }",
        None,
        validation_error(
            "Expected value of type 'ProductFilter' not to include unknown field 'minReviews', "
            "found: { minReviews: 1 }.",
            1,
            29,
        ),
        {},
    ),
    Case(
        "federation_types_hidden_from_clients",
        '{ a: __type(name: "join__Graph") { name } b: __type(name: "_Service") { name } '
        'c: __type(name: "_Entity") { name } d: __type(name: "_Any") { name } }',
        None,
        {"data": {"a": None, "b": None, "c": None, "d": None}},
        {},
    ),
    Case(
        "subgraph_service_field_not_exposed",
        "{ _service { sdl } }",
        None,
        validation_error("Cannot query field '_service' on type 'Query'.", 1, 3),
        {},
    ),
    Case(
        "subgraph_entities_field_not_exposed",
        "{ _entities(representations: []) { __typename } }",
        None,
        validation_error(
            "Cannot query field '_entities' on type 'Query'. Did you mean 'mentions'?", 1, 3
        ),
        {},
    ),
    Case(
        "introspection_beside_subgraph_fields",
        "{ __schema { queryType { name } } topProducts(first: 1) { name } }",
        None,
        {
            "data": {
                "__schema": {"queryType": {"name": "Query"}},
                "topProducts": [{"name": "Table"}],
            }
        },
        {"products": [QUERY]},
    ),
    Case(
        "typename_of_abstract_field_from_the_resolving_subgraph",
        "{ featured { __typename } }",
        None,
        {"data": {"featured": [{"__typename": "Book"}, {"__typename": "Movie"}]}},
        {"search": [QUERY]},
    ),
    Case(
        "deprecated_field_still_queryable_and_introspected",
        '{ __type(name: "Shipment") { fields(includeDeprecated: true) { name isDeprecated '
        "deprecationReason } } shipments { trackingCode } }",
        None,
        {
            "data": {
                "__type": {
                    "fields": [
                        {"name": "id", "isDeprecated": False, "deprecationReason": None},
                        {"name": "product", "isDeprecated": False, "deprecationReason": None},
                        {"name": "recipient", "isDeprecated": False, "deprecationReason": None},
                        {
                            "name": "trackingCode",
                            "isDeprecated": True,
                            "deprecationReason": "Ask the carrier",
                        },
                    ]
                },
                "shipments": [
                    {"trackingCode": "TRK-1"},
                    {"trackingCode": None},
                    {"trackingCode": "TRK-3"},
                ],
            }
        },
        {"shipping": [QUERY]},
    ),
    Case(
        "union_with_other_members_in_each_subgraph_from_reviews",
        '{ review(id: "r1") { mentions { __typename ... on Product { name } '
        "... on User { name } ... on Book { title } } } }",
        None,
        {
            "data": {
                "review": {
                    "mentions": [
                        {"__typename": "User", "name": "Grace Hopper"},
                        {"__typename": "Product", "name": "Couch"},
                    ]
                }
            }
        },
        {"reviews": [QUERY], "accounts": [keyed("User", "id", "u3")]},
    ),
    Case(
        "union_with_other_members_in_each_subgraph_from_search",
        "{ mentions { ... on Product { name } ... on Book { title } ... on User { id } } }",
        None,
        {"data": {"mentions": [{"title": "Emma"}, {"id": "u1"}]}},
        {"search": [QUERY], "catalog": [keyed("Book", "id", "b2")]},
    ),
    Case(
        "typename_aliased_twice_at_root",
        "{ a: __typename b: __typename }",
        None,
        {"data": {"a": "Query", "b": "Query"}},
        {},
    ),
    Case(
        "introspection_through_a_named_fragment",
        '{ t: __type(name: "Zone") { ...Kind } } fragment Kind on __Type { name kind '
        "enumValues { name } }",
        None,
        {
            "data": {
                "t": {
                    "name": "Zone",
                    "kind": "ENUM",
                    "enumValues": [{"name": "NEAR"}, {"name": "FAR"}],
                }
            }
        },
        {},
    ),
]
