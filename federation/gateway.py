"""The gateway: plans operations against the supergraph and runs them on the subgraphs."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import aiohttp
from graphql import DocumentNode, ExecutionResult, GraphQLSchema
from graphql import execute as execute_locally
from yarl import URL

from federation.execute import Prepare, execute_plan, prepare_all
from federation.fetch import SubgraphResponse, close_sessions, open_sessions, post
from federation.plan import PlanningError, QueryPlan, build_plan
from federation.supergraph import Supergraph, parse_supergraph
from federation.types import GraphQLErrorDict, JSONObject, Variables

QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
INTERNAL = "INTERNAL_SERVER_ERROR"
MAX_CACHED_KEY = 32_768  # a longer operation text is planned each time, never kept

logger = logging.getLogger(__name__)


class Gateway:
    """Plans (with a bounded cache) and executes operations over the subgraphs.

    `prepare` runs between plan and fetch for every fetch (see `federation.execute`);
    `execute` takes one per request too, for decisions that depend on the caller.
    """

    def __init__(
        self,
        supergraph: Supergraph,
        *,
        subgraph_timeout: float = 10.0,
        plan_cache_size: int = 1000,
        prepare: Prepare = prepare_all,
        subgraph_timeouts: Mapping[str, float] | None = None,
        subject_types: frozenset[str] = frozenset(),
    ) -> None:
        self.supergraph = supergraph
        self.api_schema: GraphQLSchema = supergraph.api_schema
        self.subgraph_timeout = subgraph_timeout
        self.subgraph_timeouts = dict(subgraph_timeouts or {})
        self.plan_cache_size = plan_cache_size
        self.plan_cache_hits = 0
        self.plan_cache_misses = 0
        self.prepare = prepare
        self.subject_types = subject_types
        self._plans: OrderedDict[str, QueryPlan] = OrderedDict()
        self._sessions: dict[str, aiohttp.ClientSession] | None = None
        # Parsed once: aiohttp would otherwise parse the URL text on every request.
        self._urls = {name: URL(url) for name, url in supergraph.subgraph_urls.items()}

    @classmethod
    def from_supergraph_sdl(
        cls, sdl: str, *, subgraph_timeout: float = 10.0, plan_cache_size: int = 1000
    ) -> Gateway:
        return cls(
            parse_supergraph(sdl),
            subgraph_timeout=subgraph_timeout,
            plan_cache_size=plan_cache_size,
        )

    async def start(self) -> None:
        """Open one keep-alive HTTP session per subgraph."""
        if self._sessions is None:
            self._sessions = open_sessions(
                self.supergraph.subgraph_urls,
                timeout=self.subgraph_timeout,
                timeouts=self.subgraph_timeouts,
            )

    async def close(self) -> None:
        if self._sessions is not None:
            sessions, self._sessions = self._sessions, None
            await close_sessions(sessions)

    def plan(
        self, document: DocumentNode, operation_name: str | None, *, cache_key: str
    ) -> QueryPlan:
        """The plan for an operation, from the cache when this `cache_key` was planned before."""
        plan = self._plans.get(cache_key)
        if plan is not None:
            self.plan_cache_hits += 1
            self._plans.move_to_end(cache_key)
            return plan
        self.plan_cache_misses += 1
        plan = build_plan(self.supergraph, document, operation_name, subjects=self.subject_types)
        if self.plan_cache_size > 0 and len(cache_key) <= MAX_CACHED_KEY:
            self._plans[cache_key] = plan
            if len(self._plans) > self.plan_cache_size:
                self._plans.popitem(last=False)
        return plan

    async def execute(
        self,
        document: DocumentNode,
        variables: dict[str, Any],
        operation_name: str | None,
        *,
        cache_key: str,
        prepare: Prepare | None = None,
    ) -> dict[str, Any]:
        """Run a parsed, validated operation; the result is the GraphQL response."""
        try:
            plan = self.plan(document, operation_name, cache_key=cache_key)
        except PlanningError as exc:
            return {
                "errors": [{"message": str(exc), "extensions": {"code": QUERY_PLANNING_FAILED}}]
            }
        if self._sessions is None:
            await self.start()
        introspect = None
        if plan.introspection is not None:
            introspection = plan.introspection

            def introspect() -> tuple[JSONObject | None, list[GraphQLErrorDict]]:
                return self._introspect(introspection, variables)

        try:
            stage = prepare or self.prepare
            return await execute_plan(plan, variables, self._send, stage, introspect)
        except Exception:
            logger.exception("executing operation %r failed", operation_name)
            message = "The gateway failed while executing this operation."
            return {
                "data": None,
                "errors": [{"message": message, "extensions": {"code": INTERNAL}}],
            }

    async def _send(
        self,
        service: str,
        operation: str,
        variables: Variables,
        headers: Mapping[str, str] | None = None,
    ) -> SubgraphResponse:
        sessions = self._sessions
        if sessions is None or service not in sessions:
            return SubgraphResponse(None, failure="the gateway is not started")
        return await post(sessions[service], self._urls[service], operation, variables, headers)

    def _introspect(
        self, document: DocumentNode, variables: Variables
    ) -> tuple[JSONObject | None, list[GraphQLErrorDict]]:
        result = execute_locally(self.api_schema, document, variable_values=variables)
        assert isinstance(result, ExecutionResult)
        errors = [e.formatted for e in result.errors or ()]
        return result.data, errors  # type: ignore[return-value]
