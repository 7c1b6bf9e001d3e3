"""Federation directives: @requires, @provides, @external, @shareable, @override,
@inaccessible and @interfaceObject."""

from __future__ import annotations

from .case import QUERY, Case, entities, keyed, validation_error

CASES = [
    Case(
        "requires_on_field_that_takes_arguments",
        "{ topProducts(first: 2) { upc deliveryEstimate(zone: NEAR) } }",
        None,
        {
            "data": {
                "topProducts": [
                    {"upc": "1", "deliveryEstimate": 21},
                    {"upc": "2", "deliveryEstimate": 51},
                ]
            }
        },
        {
            "products": [QUERY],
            "shipping": [
                entities(
                    {"__typename": "Product", "upc": "1", "weight": 20},
                    {"__typename": "Product", "upc": "2", "weight": 50},
                )
            ],
        },
    ),
    Case(
        "requires_field_aliased_twice_with_variable_argument",
        'query ($zone: Zone!) { product(upc: "3") { near: deliveryEstimate(zone: NEAR) '
        "far: deliveryEstimate(zone: $zone) } }",
        {"zone": "FAR"},
        {"data": {"product": {"near": 6, "far": 15}}},
        {
            "products": [QUERY],
            "shipping": [entities({"__typename": "Product", "upc": "3", "weight": 5})],
        },
    ),
    Case(
        "requires_a_field_with_arguments",
        '{ product(upc: "1") { insurance } }',
        None,
        {"data": {"product": {"insurance": 81}}},
        {
            "products": [QUERY],
            "shipping": [entities({"__typename": "Product", "upc": "1", "priceIn": 809})],
        },
    ),
    Case(
        "requires_a_field_with_arguments_the_client_selects_with_others",
        '{ product(upc: "2") { priceIn(currency: "GBP") insurance } }',
        None,
        {"data": {"product": {"priceIn": 1039, "insurance": 117}}},
        {
            "products": [QUERY],
            "shipping": [entities({"__typename": "Product", "upc": "2", "priceIn": 1169})],
        },
    ),
    Case(
        "requires_nested_selection",
        '{ product(upc: "4") { name packaging } }',
        None,
        {"data": {"product": {"name": "Lamp", "packaging": "box 20x20x60"}}},
        {
            "products": [QUERY],
            "shipping": [
                entities(
                    {
                        "__typename": "Product",
                        "upc": "4",
                        "dimensions": {"length": 20, "width": 20, "height": 60},
                    }
                )
            ],
        },
    ),
    Case(
        "requires_fetched_from_another_subgraph_then_back",
        "{ shipments { id product { deliveryEstimate(zone: FAR) } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"id": "s1", "product": {"deliveryEstimate": 45}},
                    {"id": "s2", "product": {"deliveryEstimate": 15}},
                    {"id": "s3", "product": None},
                ]
            }
        },
        {
            "shipping": [
                QUERY,
                entities(
                    {"__typename": "Product", "upc": "1", "weight": 20},
                    {"__typename": "Product", "upc": "3", "weight": 5},
                ),
            ],
            "products": [keyed("Product", "upc", "1", "3")],
        },
    ),
    Case(
        "provides_field_not_fetched_from_owner",
        '{ review(id: "r1") { author { id username } } }',
        None,
        {"data": {"review": {"author": {"id": "u1", "username": "ada"}}}},
        {"reviews": [QUERY]},
    ),
    Case(
        "external_field_without_provides_fetched_from_owner",
        '{ review(id: "r1") { editor { id username } } }',
        None,
        {"data": {"review": {"editor": {"id": "u2", "username": "alan"}}}},
        {"reviews": [QUERY], "accounts": [keyed("User", "id", "u2")]},
    ),
    Case(
        "provides_on_interface",
        "{ featured { title } }",
        None,
        {"data": {"featured": [{"title": "Dune"}, {"title": "Heat"}]}},
        {"search": [QUERY]},
    ),
    Case(
        "provides_on_interface_other_fields_from_owner",
        "{ featured { title ... on Book { pages } ... on Movie { minutes } } }",
        None,
        {
            "data": {
                "featured": [{"title": "Dune", "pages": 412}, {"title": "Heat", "minutes": 170}]
            }
        },
        {
            "search": [QUERY],
            "catalog": [
                entities({"__typename": "Book", "id": "b1"}, {"__typename": "Movie", "id": "m2"})
            ],
        },
    ),
    Case(
        "provides_on_union",
        "{ highlights { ... on Book { title } ... on Movie { id } } }",
        None,
        {"data": {"highlights": [{"title": "Emma"}, {"id": "m1"}, {}]}},
        {"search": [QUERY]},
    ),
    Case(
        "provides_on_union_only_for_the_named_member",
        "{ highlights { ... on Book { title } ... on Movie { title } } }",
        None,
        {"data": {"highlights": [{"title": "Emma"}, {"title": "Alien"}, {}]}},
        {"search": [QUERY], "catalog": [keyed("Movie", "id", "m1")]},
    ),
    Case(
        "shareable_field_from_the_subgraph_already_fetched",
        '{ review(id: "r2") { body product { name } } }',
        None,
        {"data": {"review": {"body": "Too expensive.", "product": {"name": "Table"}}}},
        {"reviews": [QUERY]},
    ),
    Case(
        "shareable_field_from_the_root_subgraph",
        "{ topProducts { name price } }",
        None,
        {
            "data": {
                "topProducts": [
                    {"name": "Table", "price": 899},
                    {"name": "Couch", "price": 1299},
                    {"name": "Chair", "price": 54},
                ]
            }
        },
        {"products": [QUERY]},
    ),
    Case(
        "shareable_value_type",
        '{ product(upc: "2") { dimensions { length width height } } }',
        None,
        {"data": {"product": {"dimensions": {"length": 200, "width": 90, "height": 85}}}},
        {"products": [QUERY]},
    ),
    Case(
        "override_field_served_by_new_owner",
        "{ topProducts(first: 2) { name inStock } }",
        None,
        {
            "data": {
                "topProducts": [
                    {"name": "Table", "inStock": True},
                    {"name": "Couch", "inStock": False},
                ]
            }
        },
        {"products": [QUERY], "inventory": [keyed("Product", "upc", "1", "2")]},
    ),
    Case(
        "inaccessible_field_rejected",
        "{ topProducts { upc internalCost } }",
        None,
        validation_error("Cannot query field 'internalCost' on type 'Product'.", 1, 21),
        {},
    ),
    Case(
        "inaccessible_field_of_returned_type_rejected",
        "{ shipments { id audit { note } } }",
        None,
        validation_error("Cannot query field 'audit' on type 'Shipment'.", 1, 18),
        {},
    ),
    Case(
        "inaccessible_hidden_from_introspection",
        '{ shipment: __type(name: "Shipment") { fields { name } } '
        'audit: __type(name: "AuditRecord") { name } }',
        None,
        {
            "data": {
                "shipment": {
                    "fields": [{"name": "id"}, {"name": "product"}, {"name": "recipient"}]
                },
                "audit": None,
            }
        },
        {},
    ),
    Case(
        "interface_object_fields_on_every_implementation",
        "{ media { __typename id title stars } }",
        None,
        {
            "data": {
                "media": [
                    {"__typename": "Book", "id": "b1", "title": "Dune", "stars": 4},
                    {"__typename": "Movie", "id": "m1", "title": "Alien", "stars": 5},
                    {"__typename": "Book", "id": "b2", "title": "Emma", "stars": 3},
                    {"__typename": "Movie", "id": "m2", "title": "Heat", "stars": 2},
                ]
            }
        },
        {"catalog": [QUERY], "ratings": [keyed("Media", "id", "b1", "m1", "b2", "m2")]},
    ),
    Case(
        "interface_object_root_resolves_concrete_types",
        "{ topRated { __typename id stars title ... on Book { author } } }",
        None,
        {
            "data": {
                "topRated": [
                    {"__typename": "Movie", "id": "m1", "stars": 5, "title": "Alien"},
                    {
                        "__typename": "Book",
                        "id": "b1",
                        "stars": 4,
                        "title": "Dune",
                        "author": "Frank Herbert",
                    },
                ]
            }
        },
        {"ratings": [QUERY], "catalog": [keyed("Media", "id", "m1", "b1")]},
    ),
    Case(
        "interface_object_own_fields_only",
        "{ topRated { id stars } }",
        None,
        {"data": {"topRated": [{"id": "m1", "stars": 5}, {"id": "b1", "stars": 4}]}},
        {"ratings": [QUERY]},
    ),
    Case(
        "provides_inside_an_entity_fetch",
        "{ me { reviews { author { username } } } }",
        None,
        {
            "data": {
                "me": {
                    "reviews": [
                        {"author": {"username": "ada"}},
                        {"author": {"username": "ada"}},
                    ]
                }
            }
        },
        {"accounts": [QUERY], "reviews": [keyed("User", "id", "u1")]},
    ),
    Case(
        "external_field_through_interface_fragment_fetched_from_owner",
        '{ node(id: "b1") { id ... on Titled { title } } }',
        None,
        {"data": {"node": {"id": "b1", "title": "Dune"}}},
        {"search": [QUERY], "catalog": [keyed("Book", "id", "b1")]},
    ),
    Case(
        "interface_object_fields_through_union_member",
        '{ search(text: "dune") { ... on Media { title stars } } }',
        None,
        {"data": {"search": [{"title": "Dune", "stars": 4}]}},
        {
            "search": [QUERY],
            "catalog": [keyed("Book", "id", "b1")],
            "ratings": [keyed("Media", "id", "b1")],
        },
    ),
    Case(
        "requires_a_field_that_itself_requires",
        "{ topProducts(first: 2) { upc shippingClass } }",
        None,
        {
            "data": {
                "topProducts": [
                    {"upc": "1", "shippingClass": "parcel"},
                    {"upc": "2", "shippingClass": "freight"},
                ]
            }
        },
        {
            "products": [QUERY],
            "shipping": [
                entities(
                    {"__typename": "Product", "upc": "1", "weight": 20},
                    {"__typename": "Product", "upc": "2", "weight": 50},
                )
            ],
            "inventory": [
                entities(
                    {"__typename": "Product", "upc": "1", "deliveryEstimate": 45},
                    {"__typename": "Product", "upc": "2", "deliveryEstimate": 105},
                )
            ],
        },
    ),
    Case(
        "inaccessible_argument_rejected",
        "{ topProducts(debug: true) { upc } }",
        None,
        validation_error("Unknown argument 'debug' on field 'Query.topProducts'.", 1, 15),
        {},
    ),
    Case(
        "shareable_root_field_from_the_subgraph_needing_no_more_fetches",
        "{ featuredProduct { name price } }",
        None,
        {"data": {"featuredProduct": {"name": "Table", "price": 899}}},
        {"products": [QUERY]},
    ),
    Case(
        "shareable_root_field_from_the_other_subgraph_when_cheaper",
        "{ featuredProduct { name reviews { id } } }",
        None,
        {"data": {"featuredProduct": {"name": "Table", "reviews": [{"id": "r1"}, {"id": "r2"}]}}},
        {"reviews": [QUERY]},
    ),
    Case(
        "interface_object_requires_a_field_of_the_interface_owner",
        "{ media { id blurb } }",
        None,
        {
            "data": {
                "media": [
                    {"id": "b1", "blurb": "Dune: 4 stars"},
                    {"id": "m1", "blurb": "Alien: 5 stars"},
                    {"id": "b2", "blurb": "Emma: 3 stars"},
                    {"id": "m2", "blurb": "Heat: 2 stars"},
                ]
            }
        },
        {
            "catalog": [QUERY],
            "ratings": [
                entities(
                    {"__typename": "Media", "id": "b1", "title": "Dune"},
                    {"__typename": "Media", "id": "m1", "title": "Alien"},
                    {"__typename": "Media", "id": "b2", "title": "Emma"},
                    {"__typename": "Media", "id": "m2", "title": "Heat"},
                )
            ],
        },
    ),
    Case(
        "interface_object_root_requires_a_field_of_the_interface_owner",
        "{ topRated { id blurb } }",
        None,
        {
            "data": {
                "topRated": [
                    {"id": "m1", "blurb": "Alien: 5 stars"},
                    {"id": "b1", "blurb": "Dune: 4 stars"},
                ]
            }
        },
        {
            "ratings": [
                QUERY,
                entities(
                    {"__typename": "Media", "id": "m1", "title": "Alien"},
                    {"__typename": "Media", "id": "b1", "title": "Dune"},
                ),
            ],
            "catalog": [keyed("Media", "id", "m1", "b1")],
        },
    ),
    Case(
        "typename_beside_a_provided_field_needs_no_fetch",
        '{ review(id: "r1") { author { __typename username } } }',
        None,
        {"data": {"review": {"author": {"__typename": "User", "username": "ada"}}}},
        {"reviews": [QUERY]},
    ),
    Case(
        "nested_provides_subfield_not_fetched_from_owner",
        "{ shipments { id product { dimensions { length } } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"id": "s1", "product": {"dimensions": {"length": 120}}},
                    {"id": "s2", "product": {"dimensions": {"length": 45}}},
                    {"id": "s3", "product": None},
                ]
            }
        },
        {"shipping": [QUERY]},
    ),
    Case(
        "nested_provides_sibling_subfield_fetched_from_owner",
        "{ shipments { product { dimensions { length width } } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"product": {"dimensions": {"length": 120, "width": 80}}},
                    {"product": {"dimensions": {"length": 45, "width": 50}}},
                    {"product": None},
                ]
            }
        },
        {"shipping": [QUERY], "products": [keyed("Product", "upc", "1", "3")]},
    ),
    Case(
        "requires_not_satisfied_by_a_partial_provides",
        "{ shipments { product { packaging } } }",
        None,
        {
            "data": {
                "shipments": [
                    {"product": {"packaging": "box 120x80x75"}},
                    {"product": {"packaging": "box 45x50x90"}},
                    {"product": None},
                ]
            }
        },
        {
            "shipping": [
                QUERY,
                entities(
                    {
                        "__typename": "Product",
                        "upc": "1",
                        "dimensions": {"length": 120, "width": 80, "height": 75},
                    },
                    {
                        "__typename": "Product",
                        "upc": "3",
                        "dimensions": {"length": 45, "width": 50, "height": 90},
                    },
                ),
            ],
            "products": [keyed("Product", "upc", "1", "3")],
        },
    ),
    Case(
        "provides_holds_only_on_its_own_path",
        '{ review(id: "r1") { author { username } editor { username } } }',
        None,
        {"data": {"review": {"author": {"username": "ada"}, "editor": {"username": "alan"}}}},
        {"reviews": [QUERY], "accounts": [keyed("User", "id", "u2")]},
    ),
    Case(
        "requires_fetches_more_than_the_client_sees",
        '{ product(upc: "4") { dimensions { length } packaging } }',
        None,
        {"data": {"product": {"dimensions": {"length": 20}, "packaging": "box 20x20x60"}}},
        {
            "products": [QUERY],
            "shipping": [
                entities(
                    {
                        "__typename": "Product",
                        "upc": "4",
                        "dimensions": {"length": 20, "width": 20, "height": 60},
                    }
                )
            ],
        },
    ),
    Case(
        "provides_on_union_member_with_more_fields_than_provided",
        "{ highlights { ... on Book { title pages } } }",
        None,
        {"data": {"highlights": [{"title": "Emma", "pages": 474}, {}, {}]}},
        {"search": [QUERY], "catalog": [keyed("Book", "id", "b2")]},
    ),
    Case(
        "provides_on_interface_covers_implementation_fragments",
        "{ featured { ... on Book { title } ... on Movie { minutes } } }",
        None,
        {"data": {"featured": [{"title": "Dune"}, {"minutes": 170}]}},
        {"search": [QUERY], "catalog": [keyed("Movie", "id", "m2")]},
    ),
    Case(
        "required_field_name_taken_by_a_client_alias",
        '{ product(upc: "4") { dimensions: name weight: price packaging '
        "deliveryEstimate(zone: NEAR) } }",
        None,
        {
            "data": {
                "product": {
                    "dimensions": "Lamp",
                    "weight": 25,
                    "packaging": "box 20x20x60",
                    "deliveryEstimate": 3,
                }
            }
        },
        {
            "products": [QUERY],
            "shipping": [
                entities(
                    {
                        "__typename": "Product",
                        "upc": "4",
                        "weight": 2,
                        "dimensions": {"length": 20, "width": 20, "height": 60},
                    }
                )
            ],
        },
    ),
]
