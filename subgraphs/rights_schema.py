"""The rights operations every department exposes, named after the department.

Each subgraph owns its own root fields (composition forbids two subgraphs
defining the same mutation), so the names carry the department:
`hmrcRequestCorrection`, `hmrcRequestErasure`, `hmrcResolveRightsRequest`
and the query `hmrcRightsRequests`.
"""

from __future__ import annotations

from typing import Any

import strawberry

from subgraphs import rights
from subgraphs.department import context
from subgraphs.rights import RightsRequest, RightsRequestStatus


def query_type(department: str) -> Any:
    """A Query type holding `<department>RightsRequests(nin)`; inherit from it."""

    @strawberry.type
    class RightsQuery:
        @strawberry.field(
            name=f"{department}RightsRequests",
            description=f"A citizen's correction and erasure requests to {department}.",
        )
        async def rights_requests(
            self, info: strawberry.Info, nin: strawberry.ID
        ) -> list[RightsRequest]:
            ctx = context(info)
            return await rights.requests_for(ctx.store, ctx.rights, nin)

    return RightsQuery


def mutation_type(department: str) -> Any:
    """The department's Mutation type: request a correction or erasure, resolve one."""

    @strawberry.type(name="Mutation")
    class RightsMutation:
        @strawberry.mutation(
            name=f"{department}RequestCorrection",
            description=f"Ask {department} to correct a field it holds about a citizen.",
        )
        async def request_correction(
            self,
            info: strawberry.Info,
            nin: strawberry.ID,
            field: str,
            correction: str,
            reason: str | None = None,
        ) -> RightsRequest:
            ctx = context(info)
            return await rights.request_correction(
                ctx.store, ctx.rights, nin, field, correction, reason
            )

        @strawberry.mutation(
            name=f"{department}RequestErasure",
            description=f"Ask {department} to erase a field; refused with the law when kept.",
        )
        async def request_erasure(
            self, info: strawberry.Info, nin: strawberry.ID, field: str, reason: str | None = None
        ) -> RightsRequest:
            ctx = context(info)
            return await rights.request_erasure(ctx.store, ctx.rights, nin, field, reason)

        @strawberry.mutation(
            name=f"{department}ResolveRightsRequest",
            description=f"{department} moves a request on: IN_REVIEW, DONE or REFUSED.",
        )
        async def resolve_rights_request(
            self, info: strawberry.Info, id: strawberry.ID, status: RightsRequestStatus, answer: str
        ) -> RightsRequest:
            ctx = context(info)
            return await rights.resolve(ctx.store, ctx.rights, id, status, answer)

    return RightsMutation
