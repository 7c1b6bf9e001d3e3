"""Planning: the fetch tree for representative operations, printed with `format_plan`."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from federation.plan import PlanningError, QueryPlan, build_plan, format_plan, narrow
from federation.supergraph import Supergraph, parse_supergraph
from tests.federation.core_fixtures import departments
from tests.federation.core_fixtures.supergraphs import supergraph

CITIZENS_SDL = """
type Query @join__type(graph: IDENTITY) @join__type(graph: HMRC) @join__type(graph: NHS)
  @join__type(graph: DVLA) {
  citizen(nino: String!): Citizen @join__field(graph: IDENTITY)
  licences: [Licence!]! @join__field(graph: DVLA)
}
type Mutation @join__type(graph: IDENTITY) @join__type(graph: HMRC) {
  rename(nino: String!, name: String!): Citizen @join__field(graph: IDENTITY)
  moveHouse(nino: String!): Citizen @join__field(graph: IDENTITY)
  fileReturn(nino: String!): Boolean @join__field(graph: HMRC)
  verify(nino: String!): Boolean @join__field(graph: IDENTITY)
}
type Citizen
  @join__type(graph: IDENTITY, key: "nino")
  @join__type(graph: HMRC, key: "nino")
  @join__type(graph: NHS, key: "nino")
  @join__type(graph: DVLA, key: "nino", resolvable: false)
{
  nino: String!
  name: String! @join__field(graph: IDENTITY) @join__field(graph: NHS, external: true)
  taxCode: String @join__field(graph: HMRC) @join__field(graph: NHS, external: true)
  income(year: Int!): Int @join__field(graph: HMRC) @join__field(graph: NHS, external: true)
  gpPractice: String @join__field(graph: NHS)
  greeting: String @join__field(graph: NHS, requires: "name")
  benefitAdvice: String
    @join__field(graph: NHS, requires: "taxCode name")
    @join__field(graph: IDENTITY, external: true)
  careGrant: String @join__field(graph: NHS, requires: "income(year: 2024) address { postcode }")
  summary: String @join__field(graph: IDENTITY, requires: "benefitAdvice")
  address: Address @join__field(graph: IDENTITY) @join__field(graph: NHS)
  status: String @join__field(graph: NHS, override: "identity")
}
type Address @join__type(graph: IDENTITY) @join__type(graph: NHS) {
  line1: String!
  postcode: String!
  gpCatchment: String @join__field(graph: NHS)
}
type Licence @join__type(graph: DVLA, key: "number") {
  number: String!
  holder: Citizen!
  points: Int
}
"""
REVIEWS_SDL = """
type Query @join__type(graph: ACCOUNTS) @join__type(graph: REVIEWS) @join__type(graph: CATALOGUE) {
  me: User @join__field(graph: ACCOUNTS)
  latestReviews: [Review!]! @join__field(graph: REVIEWS)
  search(term: String!): [Result!]! @join__field(graph: CATALOGUE)
  featured: Media @join__field(graph: CATALOGUE)
  item(id: ID!): Item @join__field(graph: REVIEWS)
}
type User @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  name: String @join__field(graph: ACCOUNTS) @join__field(graph: REVIEWS, external: true)
  email: String @join__field(graph: ACCOUNTS)
  reviews: [Review!]! @join__field(graph: REVIEWS)
}
type Review @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  body: String!
  author: User! @join__field(graph: REVIEWS, provides: "name")
  about: Media @join__field(graph: REVIEWS)
}
union Result @join__type(graph: CATALOGUE)
  @join__unionMember(graph: CATALOGUE, member: "Book")
  @join__unionMember(graph: CATALOGUE, member: "Film") = Book | Film
interface Media
  @join__type(graph: CATALOGUE, key: "id")
  @join__type(graph: REVIEWS, key: "id", isInterfaceObject: true)
{
  id: ID!
  title: String! @join__field(graph: CATALOGUE)
  reviewCount: Int @join__field(graph: REVIEWS)
}
type Book implements Media
  @join__implements(graph: CATALOGUE, interface: "Media")
  @join__type(graph: CATALOGUE, key: "id")
{
  id: ID!
  title: String! @join__field(graph: CATALOGUE)
  pages: Int @join__field(graph: CATALOGUE)
  reviewCount: Int @join__field
}
type Film implements Media
  @join__implements(graph: CATALOGUE, interface: "Media")
  @join__type(graph: CATALOGUE, key: "id")
{
  id: ID!
  title: String! @join__field(graph: CATALOGUE)
  minutes: Int @join__field(graph: CATALOGUE)
  reviewCount: Int @join__field
}
type Item @join__type(graph: REVIEWS, key: "sku") @join__type(graph: INVENTORY, key: "sku")
  @join__type(graph: INVENTORY, key: "upc") @join__type(graph: PRICES, key: "upc")
  @join__type(graph: PRICES, key: "vendor { code } upc") {
  sku: String! @join__field(graph: REVIEWS) @join__field(graph: INVENTORY)
  upc: String! @join__field(graph: INVENTORY) @join__field(graph: PRICES)
  vendor: Vendor @join__field(graph: INVENTORY) @join__field(graph: PRICES)
  stock: Int @join__field(graph: INVENTORY)
  price: Int @join__field(graph: PRICES)
}
type Vendor @join__type(graph: INVENTORY) @join__type(graph: PRICES) {
  code: String!
}
"""

CITIZENS = supergraph(CITIZENS_SDL, ("identity", "hmrc", "nhs", "dvla"), mutation=True)
REVIEWS = supergraph(REVIEWS_SDL, ("accounts", "reviews", "catalogue", "inventory", "prices"))


def plan_of(graph: Supergraph, query: str, operation_name: str | None = None) -> QueryPlan:
    document = parse(query)
    assert validate(graph.api_schema, document) == []
    return build_plan(graph, document, operation_name)


def plan_text(graph: Supergraph, query: str) -> str:
    return format_plan(plan_of(graph, query))


def test_entity_jumps_run_in_parallel() -> None:
    assert (
        plan_text(CITIZENS, "query($n: String!) { citizen(nino: $n) { name taxCode gpPractice } }")
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "identity") {
      {
        citizen(nino: $n) {
          name
          __typename
          nino
        }
      }
    },
    Parallel {
      Flatten(path: "citizen") {
        Fetch(service: "hmrc") {
          {
            ... on Citizen {
              __typename
              nino
            }
          } =>
          {
            ... on Citizen {
              taxCode
            }
          }
        },
      },
      Flatten(path: "citizen") {
        Fetch(service: "nhs") {
          {
            ... on Citizen {
              __typename
              nino
            }
          } =>
          {
            ... on Citizen {
              gpPractice
            }
          }
        },
      },
    },
  },
}"""
    )


def test_requires_waits_for_the_required_fields() -> None:
    assert (
        plan_text(CITIZENS, "query($n: String!) { citizen(nino: $n) { greeting benefitAdvice } }")
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "identity") {
      {
        citizen(nino: $n) {
          __typename
          nino
          name
        }
      }
    },
    Parallel {
      Flatten(path: "citizen") {
        Fetch(service: "nhs") {
          {
            ... on Citizen {
              __typename
              nino
              name
            }
          } =>
          {
            ... on Citizen {
              greeting
            }
          }
        },
      },
      Flatten(path: "citizen") {
        Fetch(service: "hmrc") {
          {
            ... on Citizen {
              __typename
              nino
            }
          } =>
          {
            ... on Citizen {
              taxCode
            }
          }
        },
      },
    },
    Flatten(path: "citizen") {
      Fetch(service: "nhs") {
        {
          ... on Citizen {
            __typename
            nino
            taxCode
            name
          }
        } =>
        {
          ... on Citizen {
            benefitAdvice
          }
        }
      },
    },
  },
}"""
    )


def test_mutations_run_in_order_grouped_by_consecutive_subgraph() -> None:
    assert (
        plan_text(
            CITIZENS,
            'mutation { a: rename(nino: "x", name: "y") { name } b: moveHouse(nino: "x") { nino } '
            'fileReturn(nino: "x") verify(nino: "x") }',
        )
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "identity") {
      {
        a: rename(nino: "x", name: "y") {
          name
        }
        b: moveHouse(nino: "x") {
          nino
        }
      }
    },
    Fetch(service: "hmrc") {
      {
        fileReturn(nino: "x")
      }
    },
    Fetch(service: "identity") {
      {
        verify(nino: "x")
      }
    },
  },
}"""
    )


def test_value_type_field_jumps_from_the_enclosing_entity_and_override() -> None:
    assert (
        plan_text(
            CITIZENS,
            "query($n: String!) { citizen(nino: $n) { address { line1 gpCatchment } status } }",
        )
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "identity") {
      {
        citizen(nino: $n) {
          address {
            line1
          }
          __typename
          nino
        }
      }
    },
    Flatten(path: "citizen") {
      Fetch(service: "nhs") {
        {
          ... on Citizen {
            __typename
            nino
          }
        } =>
        {
          ... on Citizen {
            address {
              gpCatchment
            }
            status
          }
        }
      },
    },
  },
}"""
    )


def test_non_resolvable_key_and_internal_alias_for_a_clashing_key() -> None:
    assert (
        plan_text(
            CITIZENS, "{ licences { points holder { name nino: taxCode income(year: 2024) } } }"
        )
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "dvla") {
      {
        licences {
          points
          holder {
            __typename
            _nino: nino
          }
        }
      }
    },
    Parallel {
      Flatten(path: "licences.@.holder") {
        Fetch(service: "identity") {
          {
            ... on Citizen {
              __typename
              _nino: nino
            }
          } =>
          {
            ... on Citizen {
              name
            }
          }
        },
      },
      Flatten(path: "licences.@.holder") {
        Fetch(service: "hmrc") {
          {
            ... on Citizen {
              __typename
              _nino: nino
            }
          } =>
          {
            ... on Citizen {
              nino: taxCode
              income(year: 2024)
            }
          }
        },
      },
    },
  },
}"""
    )


def test_provides_avoids_a_jump() -> None:
    assert (
        plan_text(REVIEWS, "{ latestReviews { body author { name email } } }")
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        latestReviews {
          body
          author {
            name
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "latestReviews.@.author") {
      Fetch(service: "accounts") {
        {
          ... on User {
            __typename
            id
          }
        } =>
        {
          ... on User {
            email
          }
        }
      },
    },
  },
}"""
    )


def test_union_members_split_by_type_condition() -> None:
    assert (
        plan_text(
            REVIEWS,
            '{ search(term: "x") { ... on Book { title reviewCount } ... on Film { minutes } } }',
        )
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "catalogue") {
      {
        search(term: "x") {
          __typename
          ... on Book {
            title
            __typename
            id
          }
          ... on Film {
            minutes
          }
        }
      }
    },
    Flatten(path: "search.@") {
      Fetch(service: "reviews") {
        {
          ... on Media {
            __typename
            id
          }
        } =>
        {
          ... on Media {
            reviewCount
          }
        }
      },
    },
  },
}"""
    )


def test_interface_object_fields_use_the_interface_name() -> None:
    assert (
        plan_text(REVIEWS, "{ featured { title reviewCount ... on Book { pages } } }")
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "catalogue") {
      {
        featured {
          __typename
          title
          ... on Book {
            __typename
            id
            pages
          }
          ... on Film {
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "featured") {
      Fetch(service: "reviews") {
        {
          ... on Media {
            __typename
            id
          }
        } =>
        {
          ... on Media {
            reviewCount
          }
        }
      },
    },
  },
}"""
    )


def test_interface_object_gets_concrete_typename_from_the_owner() -> None:
    assert (
        plan_text(
            REVIEWS, "{ latestReviews { about { reviewCount title ... on Book { pages } } } }"
        )
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        latestReviews {
          about {
            __typename
            reviewCount
            id
          }
        }
      }
    },
    Flatten(path: "latestReviews.@.about") {
      Fetch(service: "catalogue") {
        {
          ... on Media {
            __typename
            id
          }
        } =>
        {
          ... on Media {
            title
            __typename
            ... on Book {
              pages
            }
          }
        }
      },
    },
  },
}"""
    )


def test_key_chain_through_a_second_key() -> None:
    assert (
        plan_text(REVIEWS, '{ item(id: "1") { stock price } }')
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        item(id: "1") {
          __typename
          sku
        }
      }
    },
    Flatten(path: "item") {
      Fetch(service: "inventory") {
        {
          ... on Item {
            __typename
            sku
          }
        } =>
        {
          ... on Item {
            stock
            upc
          }
        }
      },
    },
    Flatten(path: "item") {
      Fetch(service: "prices") {
        {
          ... on Item {
            __typename
            upc
          }
        } =>
        {
          ... on Item {
            price
          }
        }
      },
    },
  },
}"""
    )


def test_fetch_operations_are_built_once_with_only_used_variables() -> None:
    plan = plan_of(
        CITIZENS,
        "query Q($n: String!, $year: Int! = 2024, $gp: Boolean!) { citizen(nino: $n) "
        "{ income(year: $year) gpPractice @include(if: $gp) } }",
    )
    root, hmrc, nhs = plan.fetches
    assert root.operation == "query($n: String!) { citizen(nino: $n) { __typename nino } }"
    assert root.variable_usages == ("n",)
    assert hmrc.operation == (
        "query($representations: [_Any!]!, $year: Int! = 2024) { _entities(representations: "
        "$representations) { ... on Citizen { income(year: $year) } } }"
    )
    assert hmrc.variable_usages == ("year",)
    assert nhs.variable_usages == ("gp",)
    assert "gpPractice @include(if: $gp)" in nhs.operation
    assert plan.variable_defaults == {"year": 2024}


def test_fetches_name_their_coordinates_and_representations() -> None:
    plan = plan_of(CITIZENS, '{ citizen(nino: "x") { name taxCode } }')
    root, hmrc = plan.fetches
    assert root.coordinates == ("Query.citizen", "Citizen.name", "Citizen.nino")
    assert hmrc.coordinates == ("Citizen.taxCode",)
    assert hmrc.representations is not None
    [(typename, builder)] = hmrc.representations.items()
    assert typename == "Citizen"
    assert builder.typename == "Citizen"
    assert [(f.data_key, f.name, f.key) for f in builder.fields] == [("nino", "nino", True)]


def test_requires_fields_are_not_key_fields_in_representations() -> None:
    plan = plan_of(CITIZENS, '{ citizen(nino: "x") { greeting } }')
    nhs = plan.fetches[-1]
    assert nhs.representations is not None
    fields = nhs.representations["Citizen"].fields
    assert [(f.name, f.key) for f in fields] == [("nino", True), ("name", False)]


def test_shareable_field_stays_in_the_subgraph_already_fetched() -> None:
    plan = plan_of(CITIZENS, '{ citizen(nino: "x") { address { line1 postcode } } }')
    assert [f.service for f in plan.fetches] == ["identity"]


def test_named_fragments_and_typename_are_expanded_into_subgraph_operations() -> None:
    plan = plan_of(
        REVIEWS,
        "{ me { ...Who } } fragment Who on User { __typename name reviews { body } }",
    )
    accounts, reviews = plan.fetches
    assert accounts.operation == "query { me { __typename name id } }"
    assert reviews.operation.endswith("{ ... on User { reviews { body } } } }")


def test_introspection_fields_are_kept_out_of_subgraph_fetches() -> None:
    plan = plan_of(REVIEWS, "{ __schema { queryType { name } } me { id } }")
    assert [f.service for f in plan.fetches] == ["accounts"]
    assert plan.introspection is not None


def test_unknown_operation_name_is_a_planning_error() -> None:
    with pytest.raises(PlanningError, match="unknown operation"):
        plan_of(CITIZENS, "query A { licences { points } }", "B")


def test_several_operations_need_a_name() -> None:
    document = parse("query A { licences { points } } query B { licences { points } }")
    with pytest.raises(PlanningError, match="operation name is required"):
        build_plan(CITIZENS, document, None)
    assert build_plan(CITIZENS, document, "B").fetches[0].service == "dvla"


def test_format_plan_of_an_empty_plan() -> None:
    assert plan_text(CITIZENS, "{ __typename }") == "QueryPlan {\n}"


def test_interface_object_own_fields_need_no_other_subgraph() -> None:
    plan = plan_of(REVIEWS, "{ latestReviews { about { id reviewCount } } }")
    assert [f.service for f in plan.fetches] == ["reviews"]


def test_literal_skip_and_include_drop_fields_before_planning() -> None:
    plan = plan_of(
        CITIZENS,
        '{ citizen(nino: "x") { name taxCode @skip(if: true) gpPractice @include(if: false) } }',
    )
    assert [f.operation for f in plan.fetches] == ['query { citizen(nino: "x") { name } }']


def test_fetches_only_wanted_under_variable_conditions_say_so() -> None:
    plan = plan_of(
        CITIZENS,
        'query($tax: Boolean!, $gp: Boolean!) { citizen(nino: "x") { name '
        "taxCode @include(if: $tax) ... @skip(if: $gp) { gpPractice } } }",
    )
    root, hmrc, nhs = plan.fetches
    assert root.conditions is None
    assert hmrc.conditions == ((("tax", True),),)
    assert nhs.conditions == ((("gp", False),),)


def test_a_root_fragments_condition_stays_with_the_fields_taken_out_of_it() -> None:
    plan = plan_of(
        CITIZENS,
        "query($y: Boolean!, $s: Boolean!) { ...R @skip(if: $s) "
        "... on Query @include(if: $y) { licences { points } } } "
        'fragment R on Query { ... @include(if: $y) { citizen(nino: "x") { name } } }',
    )
    identity, dvla = plan.fetches
    assert identity.conditions == ((("s", False), ("y", True)),)
    assert dvla.conditions == ((("y", True),),)


def test_fetch_parts_and_narrowing_rebuild_the_operation() -> None:
    plan = plan_of(
        CITIZENS,
        'query($y: Int!) { citizen(nino: "x") { taxCode income(year: $y) gpPractice } }',
    )
    hmrc = plan.fetches[1]
    [fragment] = hmrc.parts
    assert (fragment.coordinate, fragment.head, fragment.is_fragment) == (
        "... on Citizen",
        "... on Citizen",
        True,
    )
    assert [(p.coordinate, p.text) for p in fragment.parts] == [
        ("Citizen.taxCode", "taxCode"),
        ("Citizen.income", "income(year: $y)"),
    ]
    assert narrow(hmrc, lambda part: True) is hmrc
    assert narrow(hmrc, lambda part: False) is None
    only_code = narrow(hmrc, lambda part: part.coordinate == "Citizen.taxCode")
    assert only_code is not None
    assert only_code.operation == (
        "query($representations: [_Any!]!) { _entities(representations: $representations) "
        "{ ... on Citizen { taxCode } } }"
    )
    assert only_code.variable_usages == ()
    assert only_code.coordinates == ("Citizen.taxCode",)
    root = narrow(plan.fetches[0], lambda part: True)
    assert root is not None
    assert root.operation == 'query { citizen(nino: "x") { __typename nino } }'


def test_narrowing_reaches_nested_fields_and_drops_emptied_parents() -> None:
    plan = plan_of(
        CITIZENS,
        "{ licences { number points holder { name } } "
        'citizen(nino: "x") { name address { line1 } } }',
    )
    dvla = next(f for f in plan.fetches if f.service == "dvla")
    no_points = narrow(dvla, lambda part: part.coordinate != "Licence.points")
    assert no_points is not None
    assert no_points.operation == "query { licences { number holder { __typename nino } } }"
    identity = next(f for f in plan.fetches if f.service == "identity" and not f.is_entity_fetch)
    no_line = narrow(identity, lambda part: part.coordinate != "Address.line1")
    assert no_line is not None
    assert no_line.operation == 'query { citizen(nino: "x") { name } }'
    assert "Address.line1" not in no_line.coordinates


def test_requires_with_arguments_nested_fields_and_requires_of_requires() -> None:
    assert (
        plan_text(CITIZENS, '{ citizen(nino: "x") { careGrant summary } }')
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "identity") {
      {
        citizen(nino: "x") {
          __typename
          nino
          address {
            postcode
          }
          name
        }
      }
    },
    Flatten(path: "citizen") {
      Fetch(service: "hmrc") {
        {
          ... on Citizen {
            __typename
            nino
          }
        } =>
        {
          ... on Citizen {
            income(year: 2024)
            taxCode
          }
        }
      },
    },
    Flatten(path: "citizen") {
      Fetch(service: "nhs") {
        {
          ... on Citizen {
            __typename
            nino
            income(year: 2024)
            address {
              postcode
            }
            taxCode
            name
          }
        } =>
        {
          ... on Citizen {
            careGrant
            benefitAdvice
          }
        }
      },
    },
    Flatten(path: "citizen") {
      Fetch(service: "identity") {
        {
          ... on Citizen {
            __typename
            nino
            benefitAdvice
          }
        } =>
        {
          ... on Citizen {
            summary
          }
        }
      },
    },
  },
}"""
    )


LICENCES_SDL = """
type Query @join__type(graph: DVLA) @join__type(graph: INSURERS) {
  licence(number: String!): Licence @join__field(graph: DVLA)
}
type Licence
  @join__type(graph: DVLA, key: "number issuer { code }")
  @join__type(graph: INSURERS, key: "number issuer { code }")
{
  number: String!
  issuer: Issuer!
  internalRef: String! @join__field(graph: DVLA) @join__field(graph: INSURERS, external: true)
    @inaccessible
  insured: Boolean @join__field(graph: INSURERS, requires: "internalRef")
}
type Issuer @join__type(graph: DVLA) @join__type(graph: INSURERS) {
  code: String!
}
"""
LICENCES = supergraph(LICENCES_SDL, ("dvla", "insurers"))


def test_nested_composite_key_and_inaccessible_requirement() -> None:
    plan = plan_of(LICENCES, '{ licence(number: "L1") { insured } }')
    dvla, insurers = plan.fetches
    assert dvla.operation == (
        'query { licence(number: "L1") { __typename number issuer { code } internalRef } }'
    )
    assert insurers.representations is not None
    [field_number, field_issuer, field_ref] = insurers.representations["Licence"].fields
    assert (field_number.name, field_number.key) == ("number", True)
    assert field_issuer.fields is not None
    assert [(f.name, f.key) for f in field_issuer.fields] == [("code", True)]
    assert (field_ref.name, field_ref.key) == ("internalRef", False)
    assert "internalRef" not in LICENCES.api_sdl


SHARED_ROOT = supergraph(
    """
type Query @join__type(graph: IDENTITY) @join__type(graph: NHS) {
  patient(nino: String!): Citizen
}
type Citizen @join__type(graph: IDENTITY, key: "nino") @join__type(graph: NHS, key: "nino") {
  nino: String!
  name: String @join__field(graph: IDENTITY)
  gpPractice: String @join__field(graph: NHS)
  bloodGroup: String @join__field(graph: NHS)
}
""",
    ("identity", "nhs"),
)


def test_shareable_root_field_goes_where_most_of_its_selection_is() -> None:
    plan = plan_of(SHARED_ROOT, '{ patient(nino: "x") { gpPractice bloodGroup } }')
    assert [f.service for f in plan.fetches] == ["nhs"]
    plan = plan_of(SHARED_ROOT, '{ patient(nino: "x") { name } }')
    assert [f.service for f in plan.fetches] == ["identity"]


def test_subscriptions_are_refused_clearly() -> None:
    with pytest.raises(PlanningError, match="subscriptions are not supported"):
        build_plan(CITIZENS, parse("subscription { licences { points } }"), None)


def test_format_plan_names_the_conditions_of_a_fetch() -> None:
    text = plan_text(
        CITIZENS,
        'query($gp: Boolean!) { citizen(nino: "x") { name gpPractice @skip(if: $gp) } }',
    )
    assert '    Flatten(path: "citizen") {\n      Fetch(service: "nhs", when: "!$gp") {' in text


def test_a_requirement_chain_may_visit_a_subgraph_twice() -> None:
    """summary (identity) needs benefitAdvice (nhs), which needs name from identity."""
    plan = plan_of(CITIZENS, "{ licences { holder { summary } } }")
    assert [f.service for f in plan.fetches] == ["dvla", "hmrc", "identity", "nhs", "identity"]
    assert plan.fetches[-1].requires.split() == [
        "{",
        "...",
        "on",
        "Citizen",
        "{",
        "__typename",
        "nino",
        "benefitAdvice",
        "}",
        "}",
    ]


UNREACHABLE = supergraph(
    """
type Query @join__type(graph: A) @join__type(graph: B) {
  thing: Thing @join__field(graph: A)
}
type Thing @join__type(graph: A) @join__type(graph: B) {
  a: String @join__field(graph: A)
  b: String @join__field(graph: B)
}
""",
    ("a", "b"),
)


def test_a_field_no_key_can_reach_is_a_clear_planning_error() -> None:
    with pytest.raises(PlanningError, match=r"cannot resolve Thing\.b below Query\.thing"):
        plan_of(UNREACHABLE, "{ thing { a b } }")


DEPARTMENTS = parse_supergraph(departments.supergraph({}))


def test_subject_objects_each_get_their_own_fetch() -> None:
    document = parse("{ citizens { name household { members { name taxCode } } } }")
    plan = build_plan(DEPARTMENTS, document, None, subjects=frozenset({"Citizen"}))
    assert (
        format_plan(plan)
        == """\
QueryPlan {
  Sequence {
    Fetch(service: "identity") {
      {
        citizens {
          __typename
          nino
        }
      }
    },
    Flatten(path: "citizens.@") {
      Fetch(service: "identity") {
        {
          ... on Citizen {
            __typename
            nino
          }
        } =>
        {
          ... on Citizen {
            name
            household {
              members {
                __typename
                nino
              }
            }
          }
        }
      },
    },
    Parallel {
      Flatten(path: "citizens.@.household.members.@") {
        Fetch(service: "identity") {
          {
            ... on Citizen {
              __typename
              nino
            }
          } =>
          {
            ... on Citizen {
              name
            }
          }
        },
      },
      Flatten(path: "citizens.@.household.members.@") {
        Fetch(service: "hmrc") {
          {
            ... on Citizen {
              __typename
              nino
            }
          } =>
          {
            ... on Citizen {
              taxCode
            }
          }
        },
      },
    },
  },
}"""
    )


def test_a_root_field_naming_its_subject_keeps_its_fields() -> None:
    document = parse('{ citizen(nino: "x") { name household { members { nino name } } } }')
    plan = build_plan(DEPARTMENTS, document, None, subjects=frozenset({"Citizen"}))
    root, members = plan.fetches
    assert root.operation == (
        'query { citizen(nino: "x") { name household { members { nino __typename } } } }'
    )
    assert members.operation.endswith("{ ... on Citizen { name } } }")


PROFILES = supergraph(
    """
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  me: User @join__field(graph: A)
}
type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id")
  @join__type(graph: C, key: "id") {
  id: ID!
  profile: Profile @join__field(graph: B) @join__field(graph: C)
}
type Profile @join__type(graph: B) @join__type(graph: C) {
  avatar: String
  bio: String @join__field(graph: C)
}
""",
    ("a", "b", "c"),
)


def test_shareable_field_goes_where_its_selection_needs_fewest_jumps() -> None:
    plan = plan_of(PROFILES, "{ me { profile { avatar bio } } }")
    assert [f.service for f in plan.fetches] == ["a", "c"]
    plan = plan_of(PROFILES, "{ me { profile { avatar } } }")
    assert [f.service for f in plan.fetches] == ["a", "b"]
