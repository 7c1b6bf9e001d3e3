"""Ratings: adds `stars` to every `Media` through `@interfaceObject`."""

import strawberry
from graphql import GraphQLError

from ..data import STARS, TOP_RATED


@strawberry.federation.interface_object(keys=["id"])
class Media:
    id: strawberry.ID
    title: str = strawberry.federation.field(external=True, default="")

    @strawberry.federation.field(requires=["title"])
    def blurb(self) -> str:
        if not self.title:
            raise GraphQLError("title was not provided", extensions={"code": "MISSING"})
        return f"{self.title}: {STARS[self.id]} stars"

    @strawberry.field
    def stars(self) -> int:
        return STARS[self.id]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, title: str = "") -> "Media | None":
        return Media(id=id, title=title) if id in STARS else None


@strawberry.type
class Query:
    @strawberry.field
    def top_rated(self) -> list[Media]:
        return [Media(id=strawberry.ID(id)) for id in TOP_RATED]


schema = strawberry.federation.Schema(query=Query)
