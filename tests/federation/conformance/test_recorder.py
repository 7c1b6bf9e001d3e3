"""The request recorder classifies what a subgraph was asked, however the gateway
spells it (so the subgraph call checks of the cases mean what they say)."""

from __future__ import annotations

from .case import MUTATION, QUERY, entities
from .recorder import Received

_ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }"


def test_root_fetches_by_operation_type() -> None:
    assert Received("{ me { name } }", {}, None).call() == QUERY
    assert Received("query Q { me { name } }", {}, "Q").call() == QUERY
    assert Received('mutation { signIn(journal: "j", username: "u") }', {}, None).call() == (
        MUTATION
    )


def test_entities_fetch_by_its_representations_from_variables() -> None:
    reps = [{"__typename": "User", "id": "u2"}, {"id": "u1", "__typename": "User"}]
    call = Received(_ENTITIES, {"r": reps}, None).call()
    assert call == entities({"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u2"})


def test_entities_fetch_with_inline_representations_and_duplicates_kept() -> None:
    query = (
        '{ _entities(representations: [{__typename: "User", id: "u1"}, '
        '{__typename: "User", id: "u1"}]) { ... on User { name } } }'
    )
    call = Received(query, {}, None).call()
    assert call == entities({"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u1"})
    assert call != entities({"__typename": "User", "id": "u1"})


def test_aliased_root_field_named_like_entities_is_a_root_fetch() -> None:
    assert Received("{ _entities: topProducts { upc } }", {}, None).call() == QUERY
