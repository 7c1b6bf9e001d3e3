"""Ratings: adds `stars` to every `Media` through `@interfaceObject`."""

import strawberry

from ..data import STARS, TOP_RATED


@strawberry.federation.interface_object(keys=["id"])
class Media:
    id: strawberry.ID

    @strawberry.field
    def stars(self) -> int:
        return STARS[self.id]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Media | None":
        return Media(id=id) if id in STARS else None


@strawberry.type
class Query:
    @strawberry.field
    def top_rated(self) -> list[Media]:
        return [Media(id=strawberry.ID(id)) for id in TOP_RATED]


schema = strawberry.federation.Schema(query=Query)
