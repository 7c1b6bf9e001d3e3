"""Reviews: extends `User` and `Product` (by `upc`); `@provides`, shareable `name`."""

from enum import Enum
from typing import Annotated

import strawberry
from graphql import GraphQLError

from ..data import (
    FEATURED_PRODUCT,
    JOURNAL,
    ME,
    REVIEW_MENTIONS,
    REVIEWED_PRODUCT_NAMES,
    REVIEWS,
    USERS,
    ReviewRow,
    feed_review,
)


@strawberry.enum
class Condition(Enum):
    NEW = "NEW"
    USED = "USED"


@strawberry.enum
class SortOrder(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class ProductFilter:
    name_prefix: str | None = None
    min_reviews: int | None = None


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str = strawberry.federation.field(external=True)

    @strawberry.field
    def reviews(self) -> list["Review"]:
        return [review(row) for row in REVIEWS if row.author == self.id]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "User":
        return User(id=id, username=NOT_PROVIDED)


# What the external username reads as where no @provides covers it: never the real one.
NOT_PROVIDED = "(not provided by reviews)"


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    name: str = strawberry.federation.field(shareable=True)

    @strawberry.field
    def reviews(self, order: SortOrder = SortOrder.ASC) -> list["Review"]:
        rows = [review(row) for row in REVIEWS if row.product == self.upc]
        return rows[::-1] if order is SortOrder.DESC else rows

    @classmethod
    def resolve_reference(cls, upc: str) -> "Product":
        return Product(upc=upc, name=REVIEWED_PRODUCT_NAMES.get(upc, "Unknown"))


Mention = Annotated[User | Product, strawberry.union("Mention")]


def _mention(typename: str, id: str) -> User | Product:
    if typename == "User":
        return User(id=strawberry.ID(id), username=NOT_PROVIDED)
    return Product.resolve_reference(id)


@strawberry.type
class Review:
    id: strawberry.ID
    body: str
    author: User | None = strawberry.federation.field(provides=["username"])
    editor: User | None
    product: Product | None
    condition: Condition

    @strawberry.field
    def mentions(self) -> list[Mention]:
        return [_mention(typename, id) for typename, id in REVIEW_MENTIONS.get(self.id, ())]

    @strawberry.field
    def translation(self) -> str | None:
        # An error without extensions, as many subgraphs send them.
        raise ValueError("translation service unreachable")

    @strawberry.field
    def sentiment(self) -> str | None:
        raise GraphQLError("sentiment model offline", extensions={"code": "MODEL_OFFLINE"})


def _user(id: str | None, *, provided: bool = False) -> User | None:
    if id is None:
        return None
    return User(id=strawberry.ID(id), username=USERS[id][0] if provided else NOT_PROVIDED)


def review(row: ReviewRow) -> Review:
    return Review(
        id=strawberry.ID(row.id),
        body=row.body,
        author=_user(row.author, provided=True),
        editor=_user(row.editor),
        product=Product.resolve_reference(row.product) if row.product else None,
        condition=Condition(row.condition),
    )


@strawberry.type
class Query:
    @strawberry.federation.field(shareable=True)
    def featured_product(self) -> Product:
        return Product.resolve_reference(FEATURED_PRODUCT)

    @strawberry.field(name="review")
    def review_by_id(self, id: strawberry.ID) -> Review | None:
        return next((review(row) for row in REVIEWS if row.id == id), None)

    @strawberry.field
    def feed(self, count: int) -> list[Review]:
        return [review(feed_review(n)) for n in range(1, count + 1)]

    @strawberry.field
    def reviewed_products(self, filter: ProductFilter | None = None) -> list[Product]:
        upcs = list(dict.fromkeys(row.product for row in REVIEWS if row.product))
        products = [Product.resolve_reference(upc) for upc in upcs]
        prefix = filter.name_prefix if filter else None
        return [p for p in products if prefix is None or p.name.startswith(prefix)]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def post_review(self, journal: str, body: str) -> list[str]:
        return JOURNAL.append(journal, f"postReview {body}")

    @strawberry.mutation
    def draft_review(self, upc: str, body: str) -> Review:
        """A review that is shown back but not kept."""
        return review(ReviewRow("draft", body, ME, None, upc, "NEW"))


schema = strawberry.federation.Schema(query=Query, mutation=Mutation)
