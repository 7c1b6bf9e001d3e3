"""Shipping: `@requires` (with arguments, nested), composite and nested keys, a
non-resolvable `User` reference and `@inaccessible` types and fields."""

from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from ..data import BINS, PRODUCT_BY_UPC, QUARANTINED, SHIPMENTS, WAREHOUSES


@strawberry.federation.type(shareable=True)
class Dimensions:
    length: int
    width: int
    height: int


@strawberry.enum
class Zone(Enum):
    NEAR = "NEAR"
    FAR = "FAR"


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    # Negative values: the gateway did not send the required field.
    weight: int = strawberry.federation.field(external=True)
    dimensions: Dimensions = strawberry.federation.field(external=True)
    price_eur: strawberry.Private[int] = -1

    @strawberry.federation.field(requires=["weight"])
    def delivery_estimate(self, zone: Zone) -> int:
        if self.weight < 0:
            raise GraphQLError("weight was not provided", extensions={"code": "MISSING_WEIGHT"})
        return self.weight + 1 if zone is Zone.NEAR else self.weight * 2 + 5

    @strawberry.federation.field(external=True)
    def price_in(self, currency: str) -> int:
        raise GraphQLError("priceIn is external here", extensions={"code": "EXTERNAL"})

    @strawberry.federation.field(requires=['priceIn(currency: "EUR")'])
    def insurance(self) -> int:
        if self.price_eur < 0:
            raise GraphQLError("price was not provided", extensions={"code": "MISSING"})
        return self.price_eur // 10 + 1

    @strawberry.federation.field(requires=["dimensions { length width height }"])
    def packaging(self) -> str:
        if self.dimensions.length < 0:
            raise GraphQLError("dimensions were not provided", extensions={"code": "MISSING"})
        d = self.dimensions
        return f"box {d.length}x{d.width}x{d.height}"

    @classmethod
    def resolve_reference(
        cls,
        upc: str,
        weight: int | None = None,
        dimensions: dict[str, Any] | None = None,
        priceIn: int | None = None,  # named as in the representation
    ) -> "Product":
        return Product(
            upc=upc,
            weight=-1 if weight is None else weight,
            dimensions=Dimensions(**dimensions) if dimensions else UNKNOWN_DIMENSIONS,
            price_eur=-1 if priceIn is None else priceIn,
        )


UNKNOWN_DIMENSIONS = Dimensions(length=-1, width=-1, height=-1)


@strawberry.federation.type(keys=["region code"])
class Warehouse:
    region: str
    code: int

    @strawberry.field
    def dispatch_hours(self) -> str:
        return WAREHOUSES[(self.region, self.code)][1]

    @classmethod
    def resolve_reference(cls, region: str, code: int) -> "Warehouse":
        return Warehouse(region=region, code=code)


@strawberry.federation.type(keys=["label warehouse { region code }"])
class Bin:
    label: str
    warehouse: Warehouse

    @strawberry.field
    def picker_count(self) -> int:
        return BINS[(self.label, self.warehouse.region, self.warehouse.code)][1]

    @classmethod
    def resolve_reference(cls, label: str, warehouse: dict[str, Any]) -> "Bin":
        return Bin(
            label=label, warehouse=Warehouse(region=warehouse["region"], code=warehouse["code"])
        )


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User:
    id: strawberry.ID


@strawberry.federation.type(inaccessible=True)
class AuditRecord:
    note: str


@strawberry.type
class Shipment:
    id: strawberry.ID
    product: Product | None = strawberry.federation.field(provides=["dimensions { length }"])
    recipient: User | None
    audit: AuditRecord | None = strawberry.federation.field(inaccessible=True)
    tracking_code: str | None = strawberry.federation.field(
        deprecation_reason="Ask the carrier", default=None
    )


def _shipped_product(upc: str) -> Product:
    """A product as a shipment knows it: only the provided `dimensions { length }` is
    real; the other dimensions read -1, so a plan that takes them from here shows."""
    length = PRODUCT_BY_UPC[upc].dimensions[0]
    return Product(upc=upc, weight=-1, dimensions=Dimensions(length=length, width=-1, height=-1))


@strawberry.type
class Query:
    @strawberry.field
    def damaged_shipment(self) -> Shipment | None:
        (upc,) = QUARANTINED
        return Shipment(
            id=strawberry.ID("s9"),
            product=Product.resolve_reference(upc),
            recipient=None,
            audit=None,
        )

    @strawberry.field
    def shipments(self) -> list[Shipment]:
        return [
            Shipment(
                id=strawberry.ID(id),
                product=_shipped_product(upc) if upc else None,
                recipient=User(id=strawberry.ID(recipient)) if recipient else None,
                audit=AuditRecord(note="checked"),
                tracking_code=f"TRK-{id[1:]}" if recipient else None,
            )
            for id, upc, recipient in SHIPMENTS
        ]


schema = strawberry.federation.Schema(query=Query, types=[Warehouse, Bin])
