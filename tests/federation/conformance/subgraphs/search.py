"""Search: a union and interfaces whose members are owned by other subgraphs, and
`@provides` through an interface and a union."""

from typing import Annotated

import strawberry

from ..data import FEATURED, HIGHLIGHTS, MEDIA_BY_ID, SEARCH_INDEX, SEARCH_MENTIONS


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.interface
class Titled:
    title: str


@strawberry.federation.type(keys=["id"])
class Book(Node, Titled):
    title: str = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"])
class Movie(Titled):
    id: strawberry.ID
    title: str = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"])
class User(Node):
    pass


SearchResult = Annotated[Book | Movie | User, strawberry.union("SearchResult")]
Mention = Annotated[Book | User, strawberry.union("Mention")]


# What an external title reads as where no @provides covers it: never the real one.
NOT_PROVIDED = "(not provided by search)"


def titled(id: str, *, provided: bool) -> Book | Movie:
    title = MEDIA_BY_ID[id].title if provided else NOT_PROVIDED
    if MEDIA_BY_ID[id].kind == "Book":
        return Book(id=strawberry.ID(id), title=title)
    return Movie(id=strawberry.ID(id), title=title)


def entity(typename: str, id: str, *, provided: bool = False) -> Book | Movie | User:
    return User(id=strawberry.ID(id)) if typename == "User" else titled(id, provided=provided)


@strawberry.type
class Query:
    @strawberry.field
    def search(self, text: str) -> list[SearchResult]:
        needle = text.lower()
        return [
            entity(typename, id)
            for typename, id, keywords in SEARCH_INDEX
            if any(needle in keyword for keyword in keywords)
        ]

    @strawberry.field
    def mentions(self) -> list[Mention]:
        return [
            User(id=strawberry.ID(id))
            if typename == "User"
            else Book(id=strawberry.ID(id), title=NOT_PROVIDED)
            for typename, id in SEARCH_MENTIONS
        ]

    @strawberry.field
    def node(self, id: strawberry.ID) -> Node | None:
        if id in MEDIA_BY_ID and MEDIA_BY_ID[id].kind == "Book":
            return Book(id=id, title=NOT_PROVIDED)
        if id.startswith("u"):
            return User(id=id)
        return None

    @strawberry.federation.field(provides=["title"])
    def featured(self) -> list[Titled]:
        items: list[Titled] = [titled(id, provided=True) for id in FEATURED]
        return items

    @strawberry.federation.field(provides=["... on Book { title }"])
    def highlights(self) -> list[SearchResult]:
        return [entity(typename, id, provided=typename == "Book") for typename, id in HIGHLIGHTS]


schema = strawberry.federation.Schema(query=Query, types=[Book, Movie, User])
