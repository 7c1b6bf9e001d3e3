"""Accounts: owns `User` (single key `id`); a slow mutation for ordering checks."""

import asyncio

import strawberry
from graphql import GraphQLError

from ..data import JOURNAL, ME, USERS


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str = strawberry.federation.field(shareable=True)
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "User | None":
        return user(id)


def user(id: str) -> User | None:
    if id not in USERS:
        return None
    username, name = USERS[id]
    return User(id=strawberry.ID(id), username=username, name=name)


@strawberry.type
class Query:
    @strawberry.field
    def me(self) -> User | None:
        return user(ME)

    @strawberry.field(name="user")
    def user_by_id(self, id: strawberry.ID) -> User | None:
        return user(id)

    @strawberry.field
    def users(self) -> list[User]:
        return [u for u in map(user, USERS) if u is not None]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def sign_in(self, journal: str, username: str) -> list[str]:
        # Slower than the reviews mutation: running both at once would show up in the order.
        await asyncio.sleep(0.05)
        if not username:
            raise GraphQLError("username is required", extensions={"code": "BAD_USERNAME"})
        return JOURNAL.append(journal, f"signIn {username}")


schema = strawberry.federation.Schema(query=Query, mutation=Mutation)
