"""NHS: health records for seeded citizens, GP practices, home readings and rights."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from statistics import mean
from typing import Any

import pytest

from subgraphs.nhs import codes
from subgraphs.nhs.practices import BY_DISTRICT, PRACTICES
from subgraphs.people import REFERENCE_DATE, Person, people
from tests.subgraphs.conftest import CITIZENS, SEED, Subgraph
from tests.subgraphs.rights_operations import rights_operations

RECORD = """query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Citizen {
      nin
      gpPractice { odsCode name postcode phone }
      gpRegisteredOn
      nextOfKin
      longTermConditions { snomedCode term diagnosedOn }
      vaccinations { vaccine dose givenOn snomedCode procedure }
      eyeTests { testedOn optometrist outcome summary }
      bloodPressureReadings(last: 500) { systolic diastolic pulse takenAt source }
      bloodGlucoseReadings(last: 500) { mmolPerL fasting takenAt source }
    }
  }
}"""
READINGS = """query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Citizen {
      bloodPressureReadings(last: 500) { systolic diastolic pulse takenAt source }
      bloodGlucoseReadings(last: 500) { mmolPerL fasting takenAt source }
    }
  }
}"""
SUBMIT_BP = """mutation($nin: ID!, $reading: HomeBloodPressureInput!) {
  nhsSubmitBloodPressure(nin: $nin, reading: $reading) {
    systolic diastolic pulse takenAt source
  }
}"""
SUBMIT_GLUCOSE = """mutation($nin: ID!, $reading: HomeBloodGlucoseInput!) {
  nhsSubmitBloodGlucose(nin: $nin, reading: $reading) { mmolPerL fasting takenAt source }
}"""
RIGHTS = "id status answer field kind"
CORRECT, ERASE, RESOLVE, _ = rights_operations("nhs", RIGHTS)
PRACTICE_FIELDS = "odsCode name addressLine town postcode phone"

POPULATION = list(people(CITIZENS, SEED))
# Citizens whose records the read-only tests check; the mutation tests use later ones.
READ_ONLY = POPULATION[:200]


def _keys(nins: list[str]) -> dict[str, Any]:
    return {"representations": [{"__typename": "Citizen", "nin": nin} for nin in nins]}


async def _records(graph: Subgraph, persons: list[Person]) -> list[dict[str, Any]]:
    result = await graph.query(RECORD, _keys([p.nin for p in persons]))
    assert "errors" not in result, result["errors"]
    records: list[dict[str, Any]] = result["data"]["_entities"]
    return records


def _code(result: dict[str, Any]) -> str:
    code: str = result["errors"][0]["extensions"]["code"]
    return code


def _conditions(record: dict[str, Any]) -> set[str]:
    return {c["snomedCode"] for c in record["longTermConditions"]}


@pytest.fixture
def nhs(subgraph: Callable[[str], Subgraph]) -> Subgraph:
    return subgraph("nhs")


def test_every_code_is_a_well_formed_snomed_concept_id() -> None:
    for code in [*codes.CONDITIONS, *codes.VACCINES]:
        assert codes.is_concept_id(code), code
    assert codes.HYPERTENSION.code == "38341003"
    assert codes.TYPE_2_DIABETES.code == "44054006"
    assert codes.ASTHMA.code == "195967001"
    assert codes.COPD.code == "13645005"
    # One wrong digit breaks the Verhoeff check; a description id has partition 01.
    assert not codes.is_concept_id("38341004")
    assert not codes.is_concept_id("195967011")
    assert not codes.is_concept_id("12345")


def test_practices_are_unique_and_serve_every_district() -> None:
    assert len({p.ods_code for p in PRACTICES}) == len(PRACTICES)
    assert {p.postcode.split(" ")[0] for p in POPULATION} <= set(BY_DISTRICT)


async def test_records_are_consistent_with_the_seed(nhs: Subgraph) -> None:
    records = await _records(nhs, READ_ONLY)
    assert [r["nin"] for r in records] == [p.nin for p in READ_ONLY]
    registered = 0
    for person, record in zip(READ_ONLY, records, strict=True):
        born = person.date_of_birth.isoformat()
        if record["gpPractice"] is not None:
            registered += 1
            practice = record["gpPractice"]
            # Registered with a practice in the citizen's own postcode district.
            assert practice["postcode"].split(" ")[0] == person.postcode.split(" ")[0]
            assert born <= record["gpRegisteredOn"] < REFERENCE_DATE.isoformat()
        for condition in record["longTermConditions"]:
            assert codes.CONDITIONS[condition["snomedCode"]].term == condition["term"]
            assert born < condition["diagnosedOn"] < REFERENCE_DATE.isoformat()
        for vaccination in record["vaccinations"]:
            vaccine = codes.VACCINES[vaccination["snomedCode"]]
            assert vaccine.name == vaccination["vaccine"]
            assert born < vaccination["givenOn"] < REFERENCE_DATE.isoformat()
            given_at_age = (date.fromisoformat(vaccination["givenOn"]) - person.date_of_birth).days
            if vaccine is codes.RSV:
                assert 74 <= given_at_age // 365 <= 80
            if vaccine in (codes.HPV, codes.MENACWY):
                assert given_at_age // 365 in {12, 13, 14, 15}
            if vaccine is codes.COVID_BOOSTER:
                assert given_at_age // 365 >= 64
        given = [v["givenOn"] for v in record["vaccinations"]]
        assert given == sorted(given, reverse=True)
        for test in record["eyeTests"]:
            assert "2024-01-01" <= test["testedOn"] < REFERENCE_DATE.isoformat()
            assert test["outcome"] in {"NO_CHANGE", "NEW_PRESCRIPTION", "REFERRED"}
    assert 0.9 * len(READ_ONLY) < registered < len(READ_ONLY)


async def test_hypertension_means_more_and_higher_readings(nhs: Subgraph) -> None:
    records = await _records(nhs, READ_ONLY)
    hypertensive = [r for r in records if codes.HYPERTENSION.code in _conditions(r)]
    others = [r for r in records if codes.HYPERTENSION.code not in _conditions(r)]
    assert len(hypertensive) >= 10 and len(others) >= 50
    for record in records:
        taken = [r["takenAt"] for r in record["bloodPressureReadings"]]
        assert taken == sorted(taken, reverse=True)
        for reading in record["bloodPressureReadings"]:
            assert 85 <= reading["systolic"] <= 230
            assert 45 <= reading["diastolic"] <= reading["systolic"] - 20
            assert 45 <= reading["pulse"] <= 140
            assert datetime.fromisoformat(reading["takenAt"]).tzinfo is not None
    for record in hypertensive:
        clinic = [r for r in record["bloodPressureReadings"] if r["source"] == "CLINIC"]
        assert len(clinic) >= 3
    readings_of = [len(r["bloodPressureReadings"]) for r in hypertensive]
    assert mean(readings_of) > 3 * mean(len(r["bloodPressureReadings"]) for r in others)
    systolic_of = [x["systolic"] for r in hypertensive for x in r["bloodPressureReadings"]]
    other_systolic = [x["systolic"] for r in others for x in r["bloodPressureReadings"]]
    assert mean(systolic_of) > mean(other_systolic) + 10
    # Other people have at most a reading from a health check.
    assert all(len(r["bloodPressureReadings"]) <= 1 for r in others)


async def test_diabetes_means_glucose_readings(nhs: Subgraph) -> None:
    records = await _records(nhs, READ_ONLY)
    diabetic = [r for r in records if _conditions(r) & codes.DIABETES]
    assert diabetic
    for record in records:
        readings = record["bloodGlucoseReadings"]
        if record in diabetic:
            assert any(r["source"] == "CLINIC" for r in readings)
        else:
            # Without diabetes: at most one fasting test, normal, at a clinic.
            assert len(readings) <= 1
            for reading in readings:
                assert reading["source"] == "CLINIC" and reading["fasting"]
                assert 3.8 <= reading["mmolPerL"] < 7.0
        for reading in readings:
            assert 2.8 <= reading["mmolPerL"] <= 25.0


async def test_list_fields_of_a_hundred_citizens_cost_one_query_each(nhs: Subgraph) -> None:
    query = """query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Citizen {
          gpPractice { odsCode name }
          longTermConditions { snomedCode }
          vaccinations { givenOn }
          eyeTests { testedOn }
          recent: bloodPressureReadings(last: 2) { takenAt }
          bloodPressureReadings(last: 10) { takenAt }
          bloodGlucoseReadings { takenAt }
        }
      }
    }"""
    before = nhs.store_queries
    result = await nhs.query(query, _keys([p.nin for p in READ_ONLY[:100]]))
    assert "errors" not in result
    # The citizens (with their practice), then one per list field; both aliases share one.
    assert nhs.store_queries - before == 6
    entities = result["data"]["_entities"]
    assert any(len(e["bloodPressureReadings"]) == 10 for e in entities)
    for entity in entities:
        assert entity["recent"] == entity["bloodPressureReadings"][:2]
        assert len(entity["bloodGlucoseReadings"]) <= 20


@pytest.mark.parametrize("last", [0, -1, 501])
async def test_last_out_of_range_is_an_error(nhs: Subgraph, last: int) -> None:
    query = """query($representations: [_Any!]!, $last: Int!) {
      _entities(representations: $representations) {
        ... on Citizen { bloodPressureReadings(last: $last) { systolic } }
      }
    }"""
    result = await nhs.query(query, {**_keys([POPULATION[0].nin]), "last": last})
    assert _code(result) == "BAD_USER_INPUT"
    assert "between 1 and 500" in result["errors"][0]["message"]


async def test_gp_practice_lookups(nhs: Subgraph) -> None:
    practice = PRACTICES[7]
    one = f"query($code: ID!) {{ gpPractice(odsCode: $code) {{ {PRACTICE_FIELDS} }} }}"
    found = await nhs.query(one, {"code": practice.ods_code})
    assert found["data"]["gpPractice"] == {
        "odsCode": practice.ods_code,
        "name": practice.name,
        "addressLine": practice.address_line,
        "town": practice.town,
        "postcode": practice.postcode,
        "phone": practice.phone,
    }
    assert await nhs.query(one, {"code": "Z99999"}) == {"data": {"gpPractice": None}}
    assert _code(await nhs.query(one, {"code": "B8601"})) == "BAD_USER_INPUT"

    many = "query($district: String) { gpPractices(postcodeDistrict: $district) { odsCode } }"
    district = practice.postcode.split(" ")[0]
    listed = await nhs.query(many, {"district": f" {district.lower()} "})
    codes_found = [p["odsCode"] for p in listed["data"]["gpPractices"]]
    assert codes_found == sorted(p.ods_code for p in BY_DISTRICT[district])
    everything = await nhs.query(many, {})
    assert len(everything["data"]["gpPractices"]) == len(PRACTICES)
    assert (await nhs.query(many, {"district": "ZZ9"}))["data"]["gpPractices"] == []
    assert _code(await nhs.query(many, {"district": "not a district"})) == "BAD_USER_INPUT"


async def test_gp_practice_entities(nhs: Subgraph) -> None:
    query = """query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on GpPractice { odsCode town } }
    }"""
    wanted = [p.ods_code for p in PRACTICES[:30]]
    keys = [{"__typename": "GpPractice", "odsCode": code} for code in wanted]
    before = nhs.store_queries
    result = await nhs.query(query, {"representations": keys})
    assert nhs.store_queries - before == 1
    assert [e["odsCode"] for e in result["data"]["_entities"]] == wanted
    bad = [
        {"__typename": "GpPractice", "odsCode": "Z99999"},
        {"__typename": "GpPractice", "odsCode": "nope"},
        {"__typename": "GpPractice"},
    ]
    result = await nhs.query(query, {"representations": bad})
    assert result["data"]["_entities"] == [None, None, None]
    codes_by_index = {e["path"][1]: e["extensions"]["code"] for e in result["errors"]}
    assert codes_by_index == {0: "NOT_FOUND", 1: "BAD_USER_INPUT", 2: "BAD_USER_INPUT"}


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).replace(microsecond=0).isoformat()


async def _readings(graph: Subgraph, nin: str) -> dict[str, Any]:
    result = await graph.query(READINGS, _keys([nin]))
    entity: dict[str, Any] = result["data"]["_entities"][0]
    return entity


async def test_a_home_blood_pressure_reading_is_stored_as_submitted(nhs: Subgraph) -> None:
    nin = POPULATION[210].nin
    # Taken two hours ago in a zone an hour ahead of UTC: stored and served in UTC.
    local = datetime.now(UTC).astimezone(timezone(timedelta(hours=1))) - timedelta(hours=2)
    reading = {
        "systolic": 138,
        "diastolic": 86,
        "pulse": 70,
        "takenAt": local.replace(microsecond=0).isoformat(),
    }
    result = await nhs.query(SUBMIT_BP, {"nin": nin, "reading": reading})
    stored = result["data"]["nhsSubmitBloodPressure"]
    assert stored["source"] == "CITIZEN_SUBMITTED"
    assert datetime.fromisoformat(stored["takenAt"]) == local.replace(microsecond=0)
    assert datetime.fromisoformat(stored["takenAt"]).utcoffset() == timedelta(0)
    newest = (await _readings(nhs, nin))["bloodPressureReadings"][0]
    assert newest == stored
    assert (stored["systolic"], stored["diastolic"], stored["pulse"]) == (138, 86, 70)


async def test_a_home_blood_glucose_reading_is_stored_as_submitted(nhs: Subgraph) -> None:
    nin = POPULATION[211].nin
    reading = {"mmolPerL": 6.84, "fasting": True, "takenAt": _ago(minutes=30)}
    result = await nhs.query(SUBMIT_GLUCOSE, {"nin": nin, "reading": reading})
    stored = result["data"]["nhsSubmitBloodGlucose"]
    assert stored == {
        "mmolPerL": 6.8,
        "fasting": True,
        "takenAt": reading["takenAt"],
        "source": "CITIZEN_SUBMITTED",
    }
    assert (await _readings(nhs, nin))["bloodGlucoseReadings"][0] == stored


@pytest.mark.parametrize(
    ("reading", "message"),
    [
        ({"systolic": 20, "diastolic": 15}, "systolic 20 is not a possible reading"),
        ({"systolic": 400, "diastolic": 90}, "systolic 400"),
        ({"systolic": 120, "diastolic": 130}, "diastolic must be lower than systolic"),
        ({"systolic": 120, "diastolic": 10}, "diastolic 10"),
        ({"systolic": 120, "diastolic": 80, "pulse": 300}, "pulse 300"),
        ({"systolic": 120, "diastolic": 80, "takenAt": "FUTURE"}, "in the future"),
        ({"systolic": 120, "diastolic": 80, "takenAt": "LAST_YEAR"}, "more than a year ago"),
        ({"systolic": 120, "diastolic": 80, "takenAt": "9999-12-31T23:59:59-05:00"}, "future"),
        ({"systolic": 120, "diastolic": 80, "takenAt": "0001-01-01T00:00:00+05:00"}, "a year"),
    ],
)
async def test_impossible_blood_pressure_is_refused_and_changes_nothing(
    nhs: Subgraph, reading: dict[str, Any], message: str
) -> None:
    nin = POPULATION[212].nin
    times = {"FUTURE": _ago(hours=-1), "LAST_YEAR": _ago(days=400)}
    reading = {"takenAt": _ago(hours=1), **reading}
    reading["takenAt"] = times.get(reading["takenAt"], reading["takenAt"])
    before = await _readings(nhs, nin)
    result = await nhs.query(SUBMIT_BP, {"nin": nin, "reading": reading})
    assert result["data"] is None
    assert _code(result) == "BAD_USER_INPUT"
    assert message in result["errors"][0]["message"]
    assert await _readings(nhs, nin) == before


@pytest.mark.parametrize(
    ("mmol", "taken_at", "message"),
    [
        (0.0, None, "mmolPerL 0 is not a possible reading"),
        (-3.0, None, "mmolPerL -3"),
        (61.0, None, "mmolPerL 61"),
        (5.5, "FUTURE", "in the future"),
    ],
)
async def test_impossible_blood_glucose_is_refused_and_changes_nothing(
    nhs: Subgraph, mmol: float, taken_at: str | None, message: str
) -> None:
    nin = POPULATION[213].nin
    at = _ago(days=-1) if taken_at == "FUTURE" else _ago(hours=1)
    before = await _readings(nhs, nin)
    reading = {"mmolPerL": mmol, "fasting": False, "takenAt": at}
    result = await nhs.query(SUBMIT_GLUCOSE, {"nin": nin, "reading": reading})
    assert _code(result) == "BAD_USER_INPUT"
    assert message in result["errors"][0]["message"]
    assert await _readings(nhs, nin) == before


async def test_submissions_for_bad_or_unknown_citizens_are_refused(nhs: Subgraph) -> None:
    reading = {"systolic": 120, "diastolic": 80, "takenAt": _ago(hours=1)}
    count = "SELECT COUNT(*) AS n FROM blood_pressure_readings"
    before = (await nhs.app.state.store.fetch(count))[0]["n"]
    malformed = await nhs.query(SUBMIT_BP, {"nin": "AB12", "reading": reading})
    assert _code(malformed) == "BAD_USER_INPUT"
    unknown = next(people(CITIZENS + 1, SEED, start=CITIZENS)).nin
    missing = await nhs.query(SUBMIT_BP, {"nin": unknown, "reading": reading})
    assert _code(missing) == "NOT_FOUND"
    assert (await nhs.app.state.store.fetch(count))[0]["n"] == before


async def _resolve(graph: Subgraph, request_id: str, status: str = "DONE") -> dict[str, Any]:
    result = await graph.query(RESOLVE, {"id": request_id, "status": status, "answer": "Done"})
    resolved: dict[str, Any] = result["data"]["nhsResolveRightsRequest"]
    return resolved


async def test_next_of_kin_correction_is_applied_when_done(nhs: Subgraph) -> None:
    nin = POPULATION[220].nin
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { nextOfKin } } }"
    )
    value = "Ada Lovelace (friend), 07700 900111"
    made = await nhs.query(CORRECT, {"nin": nin, "field": "Citizen.nextOfKin", "value": value})
    request = made["data"]["nhsRequestCorrection"]
    assert request["status"] == "RECEIVED"
    before = await nhs.query(query, {"r": _keys([nin])["representations"]})
    assert before["data"]["_entities"][0]["nextOfKin"] != value
    assert (await _resolve(nhs, request["id"]))["status"] == "DONE"
    after = await nhs.query(query, {"r": _keys([nin])["representations"]})
    assert after["data"]["_entities"][0]["nextOfKin"] == value
    # A finished request cannot move again.
    again = await nhs.query(RESOLVE, {"id": request["id"], "status": "IN_REVIEW", "answer": "x"})
    assert _code(again) == "BAD_USER_INPUT"
    erase = await nhs.query(ERASE, {"nin": nin, "field": "Citizen.nextOfKin"})
    await _resolve(nhs, erase["data"]["nhsRequestErasure"]["id"])
    erased = await nhs.query(query, {"r": _keys([nin])["representations"]})
    assert erased["data"]["_entities"][0]["nextOfKin"] is None


@pytest.mark.parametrize(
    "field",
    ["Citizen.vaccinations", "Citizen.longTermConditions", "Citizen.gpPractice"],
)
async def test_erasing_the_health_record_is_refused_with_the_law(nhs: Subgraph, field: str) -> None:
    nin = POPULATION[221].nin
    before = await _records(nhs, [POPULATION[221]])
    made = await nhs.query(ERASE, {"nin": nin, "field": field})
    request = made["data"]["nhsRequestErasure"]
    assert request["status"] == "REFUSED"
    assert "Records Management Code of Practice 2021" in request["answer"]
    assert await _records(nhs, [POPULATION[221]]) == before


async def test_erasing_readings_removes_only_those_the_citizen_submitted(nhs: Subgraph) -> None:
    records = await _records(nhs, POPULATION[230:])
    person = next(
        p
        for p, r in zip(POPULATION[230:], records, strict=True)
        if any(x["source"] == "CLINIC" for x in r["bloodPressureReadings"])
    )
    reading = {"systolic": 150, "diastolic": 95, "takenAt": _ago(hours=3)}
    await nhs.query(SUBMIT_BP, {"nin": person.nin, "reading": reading})
    submitted = (await _readings(nhs, person.nin))["bloodPressureReadings"]
    assert any(r["source"] == "CITIZEN_SUBMITTED" for r in submitted)
    made = await nhs.query(ERASE, {"nin": person.nin, "field": "Citizen.bloodPressureReadings"})
    request = made["data"]["nhsRequestErasure"]
    assert request["status"] == "RECEIVED"
    assert (await _resolve(nhs, request["id"]))["status"] == "DONE"
    left = (await _readings(nhs, person.nin))["bloodPressureReadings"]
    assert left == [r for r in submitted if r["source"] != "CITIZEN_SUBMITTED"]
    assert any(r["source"] == "CLINIC" for r in left)


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (CORRECT, {"nin": "bad", "field": "Citizen.nextOfKin", "value": "x"}, "National Ins"),
        (CORRECT, {"nin": "AB123456C", "field": "Citizen.bloodType", "value": "O"}, "no field"),
        (CORRECT, {"nin": "AB123456C", "field": "Citizen.vaccinations", "value": "x"}, "cannot"),
        (ERASE, {"nin": "AB123456C", "field": "Citizen.taxCode"}, "no field"),
    ],
)
async def test_bad_rights_requests_change_nothing(
    nhs: Subgraph, query: str, variables: dict[str, str], message: str
) -> None:
    count = "SELECT COUNT(*) AS n FROM rights_requests"
    before = (await nhs.app.state.store.fetch(count))[0]["n"]
    result = await nhs.query(query, variables)
    assert result["data"] is None
    assert _code(result) == "BAD_USER_INPUT"
    assert message in result["errors"][0]["message"]
    assert (await nhs.app.state.store.fetch(count))[0]["n"] == before
