"""Products: owns `Product` (keys `upc` and `sku`); input enum and input object."""

from enum import Enum
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.schema_directive import Location

from ..data import (
    FEATURED_PRODUCT,
    PRODUCT_BY_SKU,
    PRODUCT_BY_UPC,
    PRODUCTS,
    QUARANTINED,
    RATES,
    ProductRow,
)


@strawberry.federation.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="sensitivity",
    compose=True,
    import_url="https://shop.example/sensitivity/v1.0",
)
class Sensitivity:
    level: str


@strawberry.federation.type(shareable=True)
class Dimensions:
    length: int
    width: int
    height: int


@strawberry.enum
class Condition(Enum):
    NEW = "NEW"
    OPEN_BOX = "OPEN_BOX"


@strawberry.enum
class SortOrder(Enum):
    ASC = "ASC"
    DESC = "DESC"
    RANDOM = "RANDOM"


@strawberry.input
class ProductFilter:
    name_prefix: str | None = None
    max_price: int | None = None


@strawberry.federation.type(keys=["upc", "sku"])
class Product:
    upc: str
    sku: str
    name: str = strawberry.federation.field(shareable=True)
    price: int = strawberry.federation.field(directives=[Sensitivity(level="commercial")])
    weight: int
    dimensions: Dimensions = strawberry.federation.field(shareable=True)
    condition: Condition
    internal_cost: int = strawberry.federation.field(inaccessible=True)

    @strawberry.field
    def in_stock(self) -> bool:
        # Stale: inventory overrides this field.
        return False

    @strawberry.field
    def price_in(self, currency: str) -> int:
        return self.price * RATES[currency] // 100

    @strawberry.field
    def price_history(self) -> list[int] | None:
        raise GraphQLError("price history is archived", extensions={"code": "ARCHIVED"})

    @classmethod
    def resolve_reference(cls, upc: str | None = None, sku: str | None = None) -> "Product | None":
        if upc in QUARANTINED:
            raise GraphQLError(f"product {upc} is quarantined", extensions={"code": "QUARANTINED"})
        row = PRODUCT_BY_UPC.get(upc or "") or PRODUCT_BY_SKU.get(sku or "")
        return product(row) if row else None


def product(row: ProductRow) -> Product:
    length, width, height = row.dimensions
    return Product(
        upc=row.upc,
        sku=row.sku,
        name=row.name,
        price=row.price,
        weight=row.weight,
        dimensions=Dimensions(length=length, width=width, height=height),
        condition=Condition(row.condition),
        internal_cost=row.price // 2,
    )


@strawberry.type
class Query:
    @strawberry.field
    def top_products(
        self,
        first: int = 3,
        debug: Annotated[bool, strawberry.federation.argument(inaccessible=True)] = False,
    ) -> list[Product]:
        rows = PRODUCTS if debug else PRODUCTS[:first]
        return [product(row) for row in rows]

    @strawberry.federation.field(shareable=True)
    def featured_product(self) -> Product:
        return product(PRODUCT_BY_UPC[FEATURED_PRODUCT])

    @strawberry.field(name="product")
    def product_by_upc(self, upc: str) -> Product | None:
        row = PRODUCT_BY_UPC.get(upc)
        return product(row) if row else None

    @strawberry.field
    def lookup(self, upcs: list[str]) -> list[Product | None]:
        return [product(PRODUCT_BY_UPC[upc]) if upc in PRODUCT_BY_UPC else None for upc in upcs]

    @strawberry.field
    def products(
        self, filter: ProductFilter | None = None, order: SortOrder = SortOrder.ASC
    ) -> list[Product]:
        rows = [
            row
            for row in PRODUCTS
            if filter is None
            or (
                (filter.name_prefix is None or row.name.startswith(filter.name_prefix))
                and (filter.max_price is None or row.price <= filter.max_price)
            )
        ]
        rows.sort(key=lambda row: row.price, reverse=order is SortOrder.DESC)
        return [product(row) for row in rows]


schema = strawberry.federation.Schema(query=Query)
