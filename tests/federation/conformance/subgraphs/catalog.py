"""Catalog: the entity interface `Media` (`@key` on an interface) and its implementations."""

import strawberry

from ..data import MEDIA, MEDIA_BY_ID, MediaRow


@strawberry.federation.interface(keys=["id"])
class Media:
    id: strawberry.ID
    title: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Book | Movie | None":
        row = MEDIA_BY_ID.get(id)
        return media(row) if row else None


@strawberry.federation.type(keys=["id"])
class Book(Media):
    title: str = strawberry.federation.field(shareable=True)
    author: str
    pages: int


@strawberry.federation.type(keys=["id"])
class Movie(Media):
    title: str = strawberry.federation.field(shareable=True)
    minutes: int


def media(row: MediaRow) -> Book | Movie:
    if row.kind == "Book":
        return Book(id=strawberry.ID(row.id), title=row.title, author=row.author, pages=row.pages)
    return Movie(id=strawberry.ID(row.id), title=row.title, minutes=row.minutes)


@strawberry.type
class Query:
    @strawberry.field(name="media")
    def all_media(self) -> list[Media]:
        return [media(row) for row in MEDIA]


schema = strawberry.federation.Schema(query=Query, types=[Book, Movie])
