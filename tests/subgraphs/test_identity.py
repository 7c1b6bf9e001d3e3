"""Identity: citizens by NIN, paging, households."""

from __future__ import annotations

from collections.abc import Callable

from subgraphs.people import people
from tests.subgraphs.conftest import CITIZENS, SEED, Subgraph

CITIZEN = """query($nin: ID!) {
  citizen(nin: $nin) {
    nin givenName familyName dateOfBirth nhsNumber email phone
    address { line1 town postcode }
    household { nin address { postcode } }
  }
}"""


async def test_citizen_by_nin_matches_the_seed(subgraph: Callable[[str], Subgraph]) -> None:
    person = list(people(10, SEED))[4]
    result = await subgraph("identity").query(CITIZEN, {"nin": person.nin})
    citizen = result["data"]["citizen"]
    assert citizen["givenName"] == person.given_name
    assert citizen["familyName"] == person.family_name
    assert citizen["dateOfBirth"] == person.date_of_birth.isoformat()
    assert citizen["nhsNumber"] == person.nhs_number
    assert citizen["address"] == {
        "line1": person.address_line,
        "town": person.town,
        "postcode": person.postcode,
    }
    housemates = [p for p in people(10, SEED) if p.household == person.household and p != person]
    assert sorted(m["nin"] for m in citizen["household"]) == sorted(p.nin for p in housemates)
    assert {m["address"]["postcode"] for m in citizen["household"]} == {person.postcode}


async def test_unknown_citizen_is_null_and_malformed_is_an_error(
    subgraph: Callable[[str], Subgraph],
) -> None:
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    result = await subgraph("identity").query(CITIZEN, {"nin": unknown})
    assert result == {"data": {"citizen": None}}
    result = await subgraph("identity").query(CITIZEN, {"nin": "12345"})
    assert result["data"] == {"citizen": None}
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


PAGE = """query($first: Int!, $after: String) {
  citizens(first: $first, after: $after) { citizens { nin } endCursor hasNextPage }
}"""


async def test_paging_visits_every_citizen_once(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("identity")
    seen: list[str] = []
    after = None
    while True:
        page = (await graph.query(PAGE, {"first": 70, "after": after}))["data"]["citizens"]
        seen += [c["nin"] for c in page["citizens"]]
        if not page["hasNextPage"]:
            break
        after = page["endCursor"]
    assert seen == sorted(p.nin for p in people(CITIZENS, SEED))


async def test_paging_rejects_bad_arguments(subgraph: Callable[[str], Subgraph]) -> None:
    graph = subgraph("identity")
    for variables in ({"first": 0}, {"first": 101}, {"first": 5, "after": "not-a-cursor"}):
        result = await graph.query(PAGE, variables)
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables
