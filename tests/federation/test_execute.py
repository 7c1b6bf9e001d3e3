"""Gateway execution against three strawberry subgraphs over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack
from typing import Any

import aiohttp
import orjson
import pytest
from graphql import parse, validate
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from yarl import URL

from federation import fetch
from federation._plan_shape import ObjectShape
from federation.execute import FetchInput, FetchRequest, Prepare, Prepared, send_whole
from federation.gateway import Gateway
from federation.merge import merge, objects_at, shape_response
from federation.plan import build_plan, narrow
from federation.supergraph import parse_supergraph
from tests.federation.core_fixtures import departments
from tests.servers import serve

Departments = tuple[dict[str, str], dict[str, departments.Recorder]]


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[Departments]:
    recorders = {name: departments.Recorder() for name in departments.schemas()}
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(serve(departments.app_for(schema, recorders[name])))
            + "/graphql"
            for name, schema in departments.schemas().items()
        }
        yield urls, recorders


@pytest.fixture(scope="module")
async def gateway(subgraphs: Departments) -> AsyncIterator[Gateway]:
    gateway = Gateway.from_supergraph_sdl(departments.supergraph(subgraphs[0]))
    await gateway.start()
    yield gateway
    await gateway.close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"


async def run(
    gateway: Gateway,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    prepare: Prepare | None = None,
) -> dict[str, Any]:
    document = parse(query)
    assert validate(gateway.api_schema, document) == []
    key = f"{query}\n{operation_name}"
    return await gateway.execute(
        document, variables or {}, operation_name, cache_key=key, prepare=prepare
    )


async def test_entity_jumps_to_two_departments_and_requires(gateway: Gateway) -> None:
    result = await run(
        gateway,
        '{ citizen(nino: "AA000001A") { name taxCode gpPractice greeting nino } }',
    )
    assert result == {
        "data": {
            "citizen": {
                "name": "Ada Lovelace",
                "taxCode": "1257L",
                "gpPractice": "Practice A",
                "greeting": "Dear Ada Lovelace",
                "nino": "AA000001A",
            }
        }
    }


async def test_requires_sends_the_required_field_in_the_representation(
    gateway: Gateway, subgraphs: Departments
) -> None:
    recorder = subgraphs[1]["nhs"]
    before = len(recorder.requests)
    await run(gateway, '{ citizen(nino: "AA000002B") { greeting } }')
    calls = recorder.entity_calls()[-1:]
    assert len(recorder.requests) == before + 1
    assert calls[0]["variables"]["representations"] == [
        {"__typename": "Citizen", "nino": "AA000002B", "name": "Alan Turing"}
    ]


async def test_one_batched_entities_call_per_subgraph_per_step(
    gateway: Gateway, subgraphs: Departments
) -> None:
    recorders = subgraphs[1]
    before = {name: len(r.requests) for name, r in recorders.items()}
    result = await run(gateway, "{ citizens { taxCode gpPractice } }")
    assert result == {
        "data": {
            "citizens": [
                {"taxCode": "1257L", "gpPractice": "Practice A"},
                {"taxCode": "BR", "gpPractice": "Practice B"},
                {"taxCode": None, "gpPractice": "Practice C"},
            ]
        }
    }
    for name in ("hmrc", "nhs"):
        new = recorders[name].requests[before[name] :]
        assert len(new) == 1
        assert len(new[0]["variables"]["representations"]) == 3


async def test_duplicate_entities_are_sent_once_and_merged_everywhere(
    gateway: Gateway, subgraphs: Departments
) -> None:
    recorder = subgraphs[1]["hmrc"]
    before = len(recorder.requests)
    result = await run(gateway, "{ citizens { household { members { nino taxCode } } } }")
    new = recorder.requests[before:]
    assert len(new) == 1
    sent = new[0]["variables"]["representations"]
    assert sorted(r["nino"] for r in sent) == ["AA000001A", "AA000002B", "AA000003C"]
    members = [m for c in result["data"]["citizens"] for m in c["household"]["members"]]
    assert [(m["nino"], m["taxCode"]) for m in members] == [
        ("AA000001A", "1257L"),
        ("AA000002B", "BR"),
        ("AA000001A", "1257L"),
        ("AA000002B", "BR"),
        ("AA000003C", None),
    ]


async def test_circular_reference_citizen_household_citizen(gateway: Gateway) -> None:
    result = await run(
        gateway,
        '{ citizen(nino: "AA000003C") { household { id members { name gpPractice '
        "household { id } } } } }",
    )
    assert result == {
        "data": {
            "citizen": {
                "household": {
                    "id": "H2",
                    "members": [
                        {
                            "name": "Grace Hopper",
                            "gpPractice": "Practice C",
                            "household": {"id": "H2"},
                        }
                    ],
                }
            }
        }
    }


async def test_aliases_typename_fragments_and_conditions(gateway: Gateway) -> None:
    query = """
    query Q($withName: Boolean!, $skipTax: Boolean = false) {
      first: citizen(nino: "AA000001A") {
        kind: __typename
        ...Tax
        who: name @include(if: $withName)
        ... on Citizen @skip(if: $skipTax) { code: taxCode }
      }
      second: citizen(nino: "AA000002B") { who: name }
    }
    fragment Tax on Citizen { code: taxCode gp: gpPractice }
    """
    shown = await run(gateway, query, {"withName": True})
    assert shown == {
        "data": {
            "first": {
                "kind": "Citizen",
                "code": "1257L",
                "gp": "Practice A",
                "who": "Ada Lovelace",
            },
            "second": {"who": "Alan Turing"},
        }
    }
    hidden = await run(gateway, query, {"withName": False, "skipTax": True})
    assert hidden["data"]["first"] == {"kind": "Citizen", "code": "1257L", "gp": "Practice A"}


async def test_only_used_variables_are_sent(gateway: Gateway, subgraphs: Departments) -> None:
    recorders = subgraphs[1]
    query = (
        "query($n: String!, $code: Boolean!) { citizen(nino: $n) { taxCode @include(if: $code) } }"
    )
    result = await run(gateway, query, {"n": "AA000002B", "code": True})
    assert result == {"data": {"citizen": {"taxCode": "BR"}}}
    assert recorders["identity"].requests[-1]["variables"] == {"n": "AA000002B"}
    assert set(recorders["hmrc"].requests[-1]["variables"]) == {"representations", "code"}


async def test_subgraph_errors_are_all_passed_on_with_client_paths(gateway: Gateway) -> None:
    result = await run(gateway, "{ citizens { nino selfAssessment } }")
    assert [c["selfAssessment"] for c in result["data"]["citizens"]] == [None, None, None]
    assert [(e["path"], e["extensions"]) for e in result["errors"]] == [
        (
            ["citizens", i, "selfAssessment"],
            {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "hmrc"},
        )
        for i in range(3)
    ]
    assert result["errors"][1]["message"] == "self assessment record locked for AA000002B"


async def test_root_fields_from_several_subgraphs(gateway: Gateway) -> None:
    result = await run(gateway, "{ taxOffice practices __typename }")
    assert result == {
        "data": {
            "taxOffice": "Cardiff",
            "practices": ["Practice A", "Practice C"],
            "__typename": "Query",
        }
    }


async def test_plan_cache_counts_hits_and_misses(gateway: Gateway) -> None:
    query = '{ citizen(nino: "AA000001A") { nino } }'
    hits, misses = gateway.plan_cache_hits, gateway.plan_cache_misses
    await run(gateway, query)
    await run(gateway, query)
    assert (gateway.plan_cache_hits - hits, gateway.plan_cache_misses - misses) == (1, 1)


async def test_introspection_is_answered_by_the_gateway(gateway: Gateway) -> None:
    result = await run(gateway, '{ __type(name: "Citizen") { name } taxOffice }')
    assert result == {"data": {"__type": {"name": "Citizen"}, "taxOffice": "Cardiff"}}


@pytest.fixture(scope="module")
async def nhs_down(subgraphs: Departments) -> AsyncIterator[Gateway]:
    urls = {**subgraphs[0], "nhs": _closed_port_url()}
    gateway = Gateway.from_supergraph_sdl(departments.supergraph(urls), subgraph_timeout=5)
    await gateway.start()
    yield gateway
    await gateway.close()


async def test_subgraph_down_gives_partial_data_and_unavailable_error(nhs_down: Gateway) -> None:
    result = await run(
        nhs_down, '{ citizen(nino: "AA000001A") { name taxCode checkedVitals { bloodPressure } } }'
    )
    assert result["data"] == {
        "citizen": {"name": "Ada Lovelace", "taxCode": "1257L", "checkedVitals": None}
    }
    [error] = result["errors"]
    assert error["path"] == ["citizen"]
    assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "nhs"}


async def test_null_in_non_null_field_propagates_to_nullable_parent(nhs_down: Gateway) -> None:
    result = await run(nhs_down, '{ citizen(nino: "AA000001A") { name gpPractice } taxOffice }')
    assert result["data"] == {"citizen": None, "taxOffice": "Cardiff"}
    assert [e["extensions"]["code"] for e in result["errors"]] == ["SUBGRAPH_UNAVAILABLE"]


async def test_null_propagates_through_non_null_lists_to_data(nhs_down: Gateway) -> None:
    result = await run(nhs_down, "{ citizens { name gpPractice } }")
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["SUBGRAPH_UNAVAILABLE"]


async def test_root_subgraph_down(nhs_down: Gateway) -> None:
    result = await run(nhs_down, "{ practices taxOffice }")
    assert result["data"] is None
    [error] = result["errors"]
    assert error["path"] == ["practices"]
    assert error["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"


def _broken_app() -> Starlette:
    async def fail(request: Any) -> PlainTextResponse:
        return PlainTextResponse("upstream exploded", status_code=502)

    async def not_json(request: Any) -> PlainTextResponse:
        return PlainTextResponse("<html>maintenance</html>", status_code=200)

    async def slow(request: Any) -> PlainTextResponse:
        await asyncio.sleep(1.5)
        return PlainTextResponse("{}", media_type="application/json")

    return Starlette(
        routes=[
            Route("/5xx", fail, methods=["POST"]),
            Route("/html", not_json, methods=["POST"]),
            Route("/slow", slow, methods=["POST"]),
        ]
    )


async def test_5xx_non_json_and_slow_subgraphs_are_unavailable(subgraphs: Departments) -> None:
    with serve(_broken_app()) as base:
        for suffix in ("/5xx", "/html", "/slow"):
            urls = {**subgraphs[0], "hmrc": base + suffix}
            gateway = Gateway(
                parse_supergraph(departments.supergraph(urls)), subgraph_timeouts={"hmrc": 0.3}
            )
            await gateway.start()
            try:
                result = await run(gateway, "{ citizens { name taxCode } }")
            finally:
                await gateway.close()
            assert [c["taxCode"] for c in result["data"]["citizens"]] == [None, None, None]
            assert [c["name"] for c in result["data"]["citizens"]] == [
                "Ada Lovelace",
                "Alan Turing",
                "Grace Hopper",
            ]
            [error] = result["errors"]
            assert error["path"] == ["citizens"]
            assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "hmrc"}


async def test_null_without_error_gets_a_non_null_error(subgraphs: Departments) -> None:
    """A subgraph answering null for a field the supergraph declares non-null."""
    sdl = departments.supergraph(subgraphs[0]).replace(
        "taxCode: String @join__field", "taxCode: String! @join__field"
    )
    gateway = Gateway.from_supergraph_sdl(sdl)
    await gateway.start()
    try:
        result = await run(gateway, "{ citizens { nino taxCode } }")
    finally:
        await gateway.close()
    assert result["data"] is None
    assert result["errors"] == [
        {
            "message": "Cannot return null for non-nullable field Citizen.taxCode.",
            "path": ["citizens", 2, "taxCode"],
            "extensions": {"code": "NULL_IN_NON_NULL_FIELD"},
        }
    ]


async def test_prepare_stage_narrows_fetches_per_subject_before_sending(
    gateway: Gateway, subgraphs: Departments
) -> None:
    """A policy stage between plan and fetch: one citizen may not have their tax code read."""

    steps: list[list[str]] = []

    async def prepare(items: Sequence[FetchInput]) -> list[Prepared]:
        steps.append([item.fetch.service for item in items])
        return [decide(item) for item in items]

    def decide(item: FetchInput) -> Prepared:
        fetch, representations, variables = item.fetch, item.representations, item.variables
        if representations is None or fetch.service != "hmrc":
            return send_whole(item)
        allowed = [i for i, r in enumerate(representations) if r["nino"] != "AA000002B"]
        refused = [i for i, r in enumerate(representations) if r["nino"] == "AA000002B"]
        narrowed = narrow(fetch, lambda part: part.coordinate != "Citizen.taxCode")
        requests = [
            FetchRequest(
                fetch.operation,
                {**variables, "representations": [representations[i] for i in allowed]},
                tuple(allowed),
            )
        ]
        if narrowed is not None:
            requests.append(
                FetchRequest(
                    narrowed.operation,
                    {**variables, "representations": [representations[i] for i in refused]},
                    tuple(refused),
                )
            )
        errors = tuple(
            {
                "message": "Consent is needed to read this field.",
                "path": ["_entities", i, "taxCode"],
                "extensions": {"code": "CONSENT_REQUIRED"},
            }
            for i in refused
        )
        return Prepared(tuple(requests), errors)

    recorders = subgraphs[1]
    before = len(recorders["hmrc"].requests)
    query = "{ citizens { name taxCode selfAssessment gpPractice } }"
    result = await run(gateway, query, prepare=prepare)
    assert steps == [["identity"], ["hmrc", "nhs"]]  # one decision per step
    assert [(c["name"], c["taxCode"], c["gpPractice"]) for c in result["data"]["citizens"]] == [
        ("Ada Lovelace", "1257L", "Practice A"),
        ("Alan Turing", None, "Practice B"),
        ("Grace Hopper", None, "Practice C"),
    ]
    sent = recorders["hmrc"].requests[before:]
    assert [[r["nino"] for r in s["variables"]["representations"]] for s in sent] == [
        ["AA000001A", "AA000003C"],
        ["AA000002B"],
    ]
    assert "taxCode" not in sent[1]["query"]
    consent = [e for e in result["errors"] if e["extensions"]["code"] == "CONSENT_REQUIRED"]
    assert consent == [
        {
            "message": "Consent is needed to read this field.",
            "path": ["citizens", 1, "taxCode"],
            "extensions": {"code": "CONSENT_REQUIRED", "serviceName": "hmrc"},
        }
    ]
    locked = [e["path"] for e in result["errors"] if e["extensions"]["code"] != "CONSENT_REQUIRED"]
    assert sorted(locked) == [["citizens", i, "selfAssessment"] for i in range(3)]


def _shape(query: str) -> ObjectShape:
    graph = parse_supergraph(departments.supergraph({}))
    return build_plan(graph, parse(query), None).shape


def test_shaping_orders_fields_and_ignores_data_the_client_did_not_ask_for() -> None:
    shape = _shape("{ citizens { b: name nino } }")
    data = {"citizens": [{"nino": "n1", "b": "x", "_nino": "hidden", "__typename": "Citizen"}]}
    result = shape_response(shape, data, {}, [])
    assert result == {"citizens": [{"b": "x", "nino": "n1"}]}
    assert list(result["citizens"][0]) == ["b", "nino"]


def test_shaping_nulls_the_nearest_nullable_parent_in_lists() -> None:
    shape = _shape('{ citizen(nino: "x") { household { members { name } } } }')
    data = {"citizen": {"household": {"members": [{"name": "a"}, {"name": None}]}}}
    errors: list[dict[str, Any]] = []
    assert shape_response(shape, data, {}, errors) == {"citizen": {"household": None}}
    assert errors == [
        {
            "message": "Cannot return null for non-nullable field Citizen.name.",
            "path": ["citizen", "household", "members", 1, "name"],
            "extensions": {"code": "NULL_IN_NON_NULL_FIELD"},
        }
    ]


def test_shaping_adds_no_error_where_one_already_explains_the_null() -> None:
    shape = _shape("{ citizens { name } }")
    errors: list[dict[str, Any]] = [{"message": "down", "path": ["citizens", 0]}]
    assert shape_response(shape, {"citizens": [{}]}, {}, errors) is None
    assert len(errors) == 1


def test_shaping_applies_aliases_typename_and_conditions() -> None:
    shape = _shape(
        "query($tax: Boolean!) { citizens { who: name __typename "
        "household { members { nino } } taxCode @include(if: $tax) } practices }"
    )
    members = [{"nino": "n1"}, {"nino": "n2"}]
    data = {
        "citizens": [
            {"who": "A", "household": {"members": members}, "taxCode": "BR", "extra": 1},
            {"who": "B", "household": None, "taxCode": None},
        ],
        "practices": ["p1", "p2"],
    }
    errors: list[dict[str, Any]] = []
    assert shape_response(shape, data, {"tax": False}, errors) == {
        "citizens": [
            {"who": "A", "__typename": "Citizen", "household": {"members": members}},
            {"who": "B", "__typename": "Citizen", "household": None},
        ],
        "practices": ["p1", "p2"],
    }
    with_tax = shape_response(shape, data, {"tax": True}, errors)
    assert with_tax is not None
    assert [c["taxCode"] for c in with_tax["citizens"]] == ["BR", None]
    assert errors == []


def test_shaping_reports_values_of_the_wrong_kind() -> None:
    shape = _shape("{ citizens { name household { members { nino } } } practices }")
    errors: list[dict[str, Any]] = []
    data = {"citizens": [{"name": "A", "household": "h1"}], "practices": []}
    assert shape_response(shape, data, {}, errors) == {
        "citizens": [{"name": "A", "household": None}],
        "practices": [],
    }
    assert errors == [
        {
            "message": "Subgraph returned Citizen.household that is not an object.",
            "path": ["citizens", 0, "household"],
            "extensions": {"code": "INVALID_SUBGRAPH_RESPONSE"},
        }
    ]
    errors.clear()
    assert shape_response(shape, {"citizens": [], "practices": ["p", None]}, {}, errors) is None
    assert [e["path"] for e in errors] == [["practices", 1]]


def test_merge_keeps_values_that_a_later_null_would_hide() -> None:
    target: dict[str, Any] = {"a": {"b": 1}, "list": [{"x": 1}, None], "n": None}
    merge(target, {"a": None, "list": [{"y": 2}, {"z": 3}], "n": 4, "new": [1]})
    assert target == {"a": {"b": 1}, "list": [{"x": 1, "y": 2}, {"z": 3}], "n": 4, "new": [1]}


def test_objects_at_walks_lists_and_skips_nulls() -> None:
    data = {"a": [{"b": {"c": 1}}, None, {"b": None}, {"b": {"c": 2}}]}
    assert objects_at(data, ("a", "@", "b")) == [
        ({"c": 1}, ("a", 0, "b")),
        ({"c": 2}, ("a", 3, "b")),
    ]


async def test_fetches_of_one_step_to_one_subgraph_share_a_request(
    gateway: Gateway, subgraphs: Departments
) -> None:
    recorder = subgraphs[1]["hmrc"]
    before = len(recorder.requests)
    result = await run(
        gateway,
        '{ citizen(nino: "AA000002B") { taxCode household { members { nino selfAssessment } } } }',
    )
    assert result["data"] == {
        "citizen": {
            "taxCode": "BR",
            "household": {
                "members": [
                    {"nino": "AA000001A", "selfAssessment": None},
                    {"nino": "AA000002B", "selfAssessment": None},
                ]
            },
        }
    }
    [sent] = recorder.requests[before:]
    assert "_e0: _entities" in sent["query"]
    assert "_e1: _entities" in sent["query"]
    assert [e["path"] for e in result["errors"]] == [
        ["citizen", "household", "members", 0, "selfAssessment"],
        ["citizen", "household", "members", 1, "selfAssessment"],
    ]
    assert result["errors"][0]["message"] == "self assessment record locked for AA000001A"


async def test_a_failing_stage_answers_with_an_error_not_a_crash(subgraphs: Departments) -> None:
    async def broken(items: Sequence[FetchInput]) -> list[Prepared]:
        raise RuntimeError("policy engine exploded")

    gateway = Gateway(parse_supergraph(departments.supergraph(subgraphs[0])), prepare=broken)
    await gateway.start()
    try:
        result = await run(gateway, "{ citizens { name } }")
    finally:
        await gateway.close()
    assert result == {
        "data": None,
        "errors": [
            {
                "message": "The gateway failed while executing this operation.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    }


async def test_an_operation_that_cannot_be_planned_gets_an_error() -> None:
    sdl = departments.supergraph({}).replace(
        "gpPractice: String! @join__field(graph: NHS)", "gpPractice: String! @join__field"
    )
    gateway = Gateway.from_supergraph_sdl(sdl)
    result = await run(gateway, '{ citizen(nino: "AA000001A") { gpPractice } }')
    assert result == {
        "errors": [
            {
                "message": "cannot resolve Citizen.gpPractice from subgraph 'identity': "
                "no other subgraph resolves it through a key",
                "extensions": {"code": "QUERY_PLANNING_FAILED"},
            }
        ]
    }
    await gateway.close()


async def test_subject_isolation_returns_the_same_data_through_more_steps(
    gateway: Gateway, subgraphs: Departments
) -> None:
    query = "{ citizens { name taxCode household { members { nino name taxCode } } } }"
    isolated = Gateway(
        parse_supergraph(departments.supergraph(subgraphs[0])), subject_types=frozenset({"Citizen"})
    )
    await isolated.start()
    recorder = subgraphs[1]["identity"]
    before = len(recorder.requests)
    try:
        result = await run(isolated, query)
    finally:
        await isolated.close()
    sent = recorder.requests[before:]
    assert result == await run(gateway, query)
    assert len(result["data"]["citizens"]) == 3
    assert sent[0]["query"] == "query { citizens { __typename nino } }"
    roots = [r["query"] for r in sent if "_entities" not in r["query"]]
    assert roots == ["query { citizens { __typename nino } }"]


async def test_mutations_run_in_order_one_request_per_subgraph_run(
    gateway: Gateway, subgraphs: Departments
) -> None:
    recorders = subgraphs[1]
    before = {name: len(r.requests) for name, r in recorders.items()}
    result = await run(
        gateway,
        'mutation { a: fileReturn(nino: "AA000001A") b: rename(nino: "AA000001A", name: "Ada") '
        'c: rename(nino: "AA000002B", name: "Alan") d: fileReturn(nino: "ZZ") }',
    )
    assert result == {"data": {"a": True, "b": "Ada", "c": "Alan", "d": False}}
    sent = {name: r.requests[before[name] :] for name, r in recorders.items()}
    assert [len(sent["hmrc"]), len(sent["identity"])] == [2, 1]
    assert sent["identity"][0]["query"].startswith("mutation { b: rename")


async def test_no_mutation_runs_once_null_has_reached_data(
    gateway: Gateway, subgraphs: Departments
) -> None:
    recorder = subgraphs[1]["hmrc"]
    before = len(recorder.requests)
    result = await run(
        gateway,
        'mutation { a: rename(nino: "ZZ", name: "x") b: fileReturn(nino: "AA000001A") }',
    )
    assert result["data"] is None
    assert [(e["message"], e["path"]) for e in result["errors"]] == [("no citizen ZZ", ["a"])]
    assert recorder.requests[before:] == []


async def _answer_of(size: int, streamed: bool) -> Any:
    body = b'{"data": {"padding": "' + b"x" * size + b'"}}'

    async def answer(request: Any) -> Any:
        if not streamed:
            return Response(body, media_type="application/json")

        async def pieces() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        return StreamingResponse(pieces(), media_type="application/json")

    return Starlette(routes=[Route("/graphql", answer, methods=["POST"])])


@pytest.mark.parametrize("streamed", [False, True], ids=["with-length", "chunked"])
async def test_an_answer_past_the_size_cap_is_a_failure_not_read_whole(
    monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    monkeypatch.setattr(fetch, "MAX_RESPONSE_BYTES", 5_000)
    async with aiohttp.ClientSession() as session:
        for size, expected in ((1_000, None), (50_000, "answered over 5000 bytes")):
            with serve(await _answer_of(size, streamed)) as url:
                answer = await fetch.post(session, URL(url + "/graphql"), "{ padding }", {})
            assert answer.failure == expected
            assert (answer.data is None) == (expected is not None)


def _erring(path: Any) -> Starlette:
    async def answer(request: Any) -> Any:
        error = {"message": "no", "path": path, "extensions": {"code": "X"}}
        return Response(
            orjson.dumps({"data": None, "errors": [error]}), media_type="application/json"
        )

    return Starlette(routes=[Route("/graphql", answer, methods=["POST"])])


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        (["people", 0, "name"], True),
        ([{"a": 1}], False),
        (list(range(12_000)), False),
        ("people", False),
    ],
    ids=["names-and-indices", "object-in-path", "very-long", "not-a-list"],
)
async def test_a_departments_error_path_is_kept_only_when_usable(path: Any, kept: bool) -> None:
    async with aiohttp.ClientSession() as session:
        with serve(_erring(path)) as url:
            answer = await fetch.post(session, URL(url + "/graphql"), "{ people { name } }", {})
    [error] = answer.errors
    assert error["message"] == "no" and error["extensions"] == {"code": "X"}
    assert ("path" in error) == kept
