"""Operation features: fragments, aliases, variables, @skip/@include and mutations."""

from __future__ import annotations

from .case import MUTATION, QUERY, Case, keyed, request_error

_SKIP_INCLUDE = (
    'query ($withReviews: Boolean!, $hideStock: Boolean!) { product(upc: "1") { name '
    "reviews @include(if: $withReviews) { id } inStock @skip(if: $hideStock) } }"
)


# The same text planned for each operation name (the plan cache must tell them apart).
_TWO_OPERATIONS = "query Me { me { name } } query Top { topProducts(first: 1) { name } }"

CASES = [
    Case(
        "inline_fragments",
        '{ product(upc: "1") { ... on Product { name } ... @include(if: true) { inStock } } }',
        None,
        {"data": {"product": {"name": "Table", "inStock": True}}},
        {"products": [QUERY], "inventory": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "named_fragments_spanning_subgraphs",
        "query { topProducts(first: 1) { ...Card } } "
        "fragment Card on Product { name ...Stock reviews { ...ReviewBits } } "
        "fragment Stock on Product { inStock stockLevel } "
        "fragment ReviewBits on Review { body }",
        None,
        {
            "data": {
                "topProducts": [
                    {
                        "name": "Table",
                        "inStock": True,
                        "stockLevel": 12,
                        "reviews": [{"body": "Love it!"}, {"body": "Too expensive."}],
                    }
                ]
            }
        },
        {
            "products": [QUERY],
            "inventory": [keyed("Product", "upc", "1")],
            "reviews": [keyed("Product", "upc", "1")],
        },
    ),
    Case(
        "aliases_same_root_field_different_arguments",
        '{ first: product(upc: "1") { title: name } second: product(upc: "2") { title: name } }',
        None,
        {"data": {"first": {"title": "Table"}, "second": {"title": "Couch"}}},
        {"products": [QUERY]},
    ),
    Case(
        "aliases_same_entity_field_different_arguments",
        '{ product(upc: "1") { asc: reviews(order: ASC) { id } '
        "desc: reviews(order: DESC) { id } } }",
        None,
        {
            "data": {
                "product": {
                    "asc": [{"id": "r1"}, {"id": "r2"}],
                    "desc": [{"id": "r2"}, {"id": "r1"}],
                }
            }
        },
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "variables_at_root",
        "query ($upc: String!, $first: Int!) { product(upc: $upc) { name } "
        "topProducts(first: $first) { upc } }",
        {"upc": "4", "first": 1},
        {"data": {"product": {"name": "Lamp"}, "topProducts": [{"upc": "1"}]}},
        {"products": [QUERY]},
    ),
    Case(
        "variables_default_value",
        'query ($upc: String! = "2") { product(upc: $upc) { name } }',
        {},
        {"data": {"product": {"name": "Couch"}}},
        {"products": [QUERY]},
    ),
    Case(
        "variables_in_entity_fetch",
        'query ($order: SortOrder!) { product(upc: "1") { reviews(order: $order) { id } } }',
        {"order": "DESC"},
        {"data": {"product": {"reviews": [{"id": "r2"}, {"id": "r1"}]}}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "skip_include_literal",
        '{ product(upc: "1") { name inStock @skip(if: true) reviews @include(if: false) { id } } }',
        None,
        {"data": {"product": {"name": "Table"}}},
        {"products": [QUERY]},
    ),
    Case(
        "skip_include_variables_excluding",
        _SKIP_INCLUDE,
        {"withReviews": False, "hideStock": True},
        {"data": {"product": {"name": "Table"}}},
        {"products": [QUERY]},
    ),
    Case(
        "skip_include_variables_including",
        _SKIP_INCLUDE,
        {"withReviews": True, "hideStock": False},
        {
            "data": {
                "product": {
                    "name": "Table",
                    "reviews": [{"id": "r1"}, {"id": "r2"}],
                    "inStock": True,
                }
            }
        },
        {
            "products": [QUERY],
            "reviews": [keyed("Product", "upc", "1")],
            "inventory": [keyed("Product", "upc", "1")],
        },
    ),
    Case(
        "include_on_inline_fragment_with_variable",
        'query ($full: Boolean!) { product(upc: "2") { name '
        "... @include(if: $full) { inStock } } }",
        {"full": False},
        {"data": {"product": {"name": "Couch"}}},
        {"products": [QUERY]},
    ),
    Case(
        "mutations_run_in_order_across_subgraphs",
        'mutation { first: signIn(journal: "order", username: "ada") '
        'second: postReview(journal: "order", body: "great") '
        'third: signIn(journal: "order", username: "alan") }',
        None,
        {
            "data": {
                "first": ["signIn ada"],
                "second": ["signIn ada", "postReview great"],
                "third": ["signIn ada", "postReview great", "signIn alan"],
            }
        },
        {"accounts": [MUTATION, MUTATION], "reviews": [MUTATION]},
    ),
    Case(
        "variables_input_object",
        "query ($f: ProductFilter) { products(filter: $f) { name } }",
        {"f": {"namePrefix": "S"}},
        {"data": {"products": [{"name": "Stool"}, {"name": "Shelf"}]}},
        {"products": [QUERY]},
    ),
    Case(
        "variables_input_object_field_of_one_subgraph_rejected",
        "query ($f: ProductFilter) { products(filter: $f) { name } }",
        {"f": {"maxPrice": 100}},
        request_error(
            "Variable '$f' has invalid value: Expected value of type 'ProductFilter' not to "
            "include unknown field 'maxPrice', found: {'maxPrice': 100}.",
            1,
            8,
            "BAD_USER_INPUT",
        ),
        {},
    ),
    Case(
        "variables_enum_value_of_one_subgraph_rejected",
        "query ($o: SortOrder!) { products(order: $o) { name } }",
        {"o": "RANDOM"},
        request_error(
            "Variable '$o' has invalid value: Value 'RANDOM' does not exist in 'SortOrder' enum.",
            1,
            8,
            "BAD_USER_INPUT",
        ),
        {},
    ),
    Case(
        "operation_name_selects_the_operation",
        _TWO_OPERATIONS,
        None,
        {"data": {"topProducts": [{"name": "Table"}]}},
        {"products": [QUERY]},
        operation_name="Top",
    ),
    Case(
        "operation_name_selects_the_other_operation",
        _TWO_OPERATIONS,
        None,
        {"data": {"me": {"name": "Ada Lovelace"}}},
        {"accounts": [QUERY]},
        operation_name="Me",
    ),
    Case(
        "same_field_selected_twice_is_merged",
        '{ product(upc: "1") { reviews { id } '
        "... on Product { reviews { body author { name } } } } }",
        None,
        {
            "data": {
                "product": {
                    "reviews": [
                        {"id": "r1", "body": "Love it!", "author": {"name": "Ada Lovelace"}},
                        {"id": "r2", "body": "Too expensive.", "author": {"name": "Alan Turing"}},
                    ]
                }
            }
        },
        {
            "products": [QUERY],
            "reviews": [keyed("Product", "upc", "1")],
            "accounts": [keyed("User", "id", "u1", "u2")],
        },
    ),
    Case(
        "mutation_result_completed_from_other_subgraphs",
        'mutation { draftReview(upc: "3", body: "Wobbly") { id body '
        "product { name price inStock } } }",
        None,
        {
            "data": {
                "draftReview": {
                    "id": "draft",
                    "body": "Wobbly",
                    "product": {"name": "Chair", "price": 54, "inStock": True},
                }
            }
        },
        {
            "reviews": [MUTATION],
            "products": [keyed("Product", "upc", "3")],
            "inventory": [keyed("Product", "upc", "3")],
        },
    ),
    Case(
        "consecutive_mutations_to_one_subgraph_in_order",
        'mutation { a: signIn(journal: "pair", username: "ada") '
        'b: signIn(journal: "pair", username: "grace") '
        'c: postReview(journal: "pair", body: "ok") }',
        None,
        {
            "data": {
                "a": ["signIn ada"],
                "b": ["signIn ada", "signIn grace"],
                "c": ["signIn ada", "signIn grace", "postReview ok"],
            }
        },
    ),
    Case(
        "variables_split_between_fetches",
        "query ($upc: String!, $order: SortOrder!) { product(upc: $upc) { name "
        "reviews(order: $order) { id } } }",
        {"upc": "1", "order": "DESC"},
        {"data": {"product": {"name": "Table", "reviews": [{"id": "r2"}, {"id": "r1"}]}}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "variable_condition_inside_an_entity_fetch",
        'query ($full: Boolean!) { product(upc: "1") { reviews { id body @include(if: $full) } } }',
        {"full": False},
        {"data": {"product": {"reviews": [{"id": "r1"}, {"id": "r2"}]}}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "a_field_selected_plainly_and_in_a_conditional_fragment_keeps_each_ones_condition",
        'query ($full: Boolean!) { product(upc: "1") { reviews { id } '
        "... @include(if: $full) { reviews { body } } } }",
        {"full": False},
        {"data": {"product": {"reviews": [{"id": "r1"}, {"id": "r2"}]}}},
    ),
    Case(
        "skipped_requires_field_needs_no_fetch",
        '{ product(upc: "1") { name deliveryEstimate(zone: NEAR) @skip(if: true) } }',
        None,
        {"data": {"product": {"name": "Table"}}},
        {"products": [QUERY]},
    ),
    Case(
        "client_alias_named_like_the_entities_field",
        "{ _entities: topProducts(first: 1) { inStock } }",
        None,
        {"data": {"_entities": [{"inStock": True}]}},
        {"products": [QUERY], "inventory": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "variable_default_used_in_an_entity_fetch",
        'query ($order: SortOrder! = DESC) { product(upc: "1") { reviews(order: $order) { id } } }',
        None,
        {"data": {"product": {"reviews": [{"id": "r2"}, {"id": "r1"}]}}},
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "variable_null_for_a_nullable_argument",
        "query ($f: ProductFilter) { products(filter: $f) { name } }",
        {"f": None},
        {
            "data": {
                "products": [
                    {"name": name}
                    for name in (
                        "Lamp",
                        "Clock",
                        "Stool",
                        "Chair",
                        "Mirror",
                        "Shelf",
                        "Rug",
                        "Desk",
                        "Table",
                        "Couch",
                    )
                ]
            }
        },
        {"products": [QUERY]},
    ),
    Case(
        "variable_inside_a_list_literal",
        'query ($u: String!) { lookup(upcs: ["2", $u]) { name } }',
        {"u": "3"},
        {"data": {"lookup": [{"name": "Couch"}, {"name": "Chair"}]}},
        {"products": [QUERY]},
    ),
    Case(
        "variable_inside_an_object_literal",
        "query ($p: String) { products(filter: {namePrefix: $p}, order: DESC) { name } }",
        {"p": "S"},
        {"data": {"products": [{"name": "Shelf"}, {"name": "Stool"}]}},
        {"products": [QUERY]},
    ),
    Case(
        "variable_used_in_a_fragment_of_an_entity_fetch",
        'query ($full: Boolean!) { product(upc: "1") { ...Bodies } } '
        "fragment Bodies on Product { reviews { id body @include(if: $full) } }",
        {"full": True},
        {
            "data": {
                "product": {
                    "reviews": [
                        {"id": "r1", "body": "Love it!"},
                        {"id": "r2", "body": "Too expensive."},
                    ]
                }
            }
        },
        {"products": [QUERY], "reviews": [keyed("Product", "upc", "1")]},
    ),
    Case(
        "skipped_root_field_sends_nothing_to_its_subgraph",
        "{ me @skip(if: true) { name } topProducts(first: 1) { name } }",
        None,
        {"data": {"topProducts": [{"name": "Table"}]}},
        {"products": [QUERY]},
    ),
    Case(
        "every_root_field_excluded_gives_empty_data",
        "query ($on: Boolean!) { me @include(if: $on) { name } }",
        {"on": False},
        {"data": {}},
        {},
    ),
    Case(
        "fragment_on_the_root_type_spanning_subgraphs",
        "{ ...Home } fragment Home on Query { me { name } topProducts(first: 1) { name } }",
        None,
        {"data": {"me": {"name": "Ada Lovelace"}, "topProducts": [{"name": "Table"}]}},
        {"accounts": [QUERY], "products": [QUERY]},
    ),
]
