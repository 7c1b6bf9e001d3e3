"""Inventory: extends `Product` (overriding `inStock`); composite and nested keys."""

from enum import Enum

import strawberry
from graphql import GraphQLError

from ..data import BINS, PRODUCT_BY_UPC, STOCK, WAREHOUSES, StockRow


@strawberry.federation.type(keys=["region code"])
class Warehouse:
    region: str
    code: int

    @strawberry.field
    def name(self) -> str:
        return WAREHOUSES[(self.region, self.code)][0]

    @strawberry.field
    def bins(self) -> list["Bin"]:
        return [
            Bin(label=label, warehouse=self)
            for (label, region, code) in BINS
            if (region, code) == (self.region, self.code)
        ]

    @classmethod
    def resolve_reference(cls, region: str, code: int) -> "Warehouse | None":
        return Warehouse(region=region, code=code) if (region, code) in WAREHOUSES else None


@strawberry.federation.type(keys=["label warehouse { region code }"])
class Bin:
    label: str
    warehouse: Warehouse

    @strawberry.field
    def capacity(self) -> int:
        return BINS[(self.label, self.warehouse.region, self.warehouse.code)][0]

    @classmethod
    def resolve_reference(cls, label: str, warehouse: dict[str, object]) -> "Bin | None":
        region, code = str(warehouse["region"]), int(str(warehouse["code"]))
        if (label, region, code) not in BINS:
            return None
        return Bin(label=label, warehouse=Warehouse(region=region, code=code))


@strawberry.enum
class Zone(Enum):
    NEAR = "NEAR"
    FAR = "FAR"


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    far_estimate: strawberry.Private[int] = -1

    @strawberry.federation.field(external=True)
    def delivery_estimate(self, zone: Zone) -> int:
        raise GraphQLError("deliveryEstimate is external here", extensions={"code": "EXTERNAL"})

    @strawberry.federation.field(requires=["deliveryEstimate(zone: FAR)"])
    def shipping_class(self) -> str:
        if self.far_estimate < 0:
            raise GraphQLError("estimate was not provided", extensions={"code": "MISSING"})
        return "freight" if self.far_estimate > 60 else "parcel"

    @property
    def _stock(self) -> StockRow:
        return STOCK[PRODUCT_BY_UPC[self.upc].sku]

    @strawberry.federation.field(override="products")
    def in_stock(self) -> bool:
        return self._stock.in_stock

    @strawberry.field
    def stock_level(self) -> int:
        if self._stock.level is None:
            sku = PRODUCT_BY_UPC[self.upc].sku
            raise GraphQLError(
                f"stock level unknown for {sku}", extensions={"code": "STOCK_UNKNOWN"}
            )
        return self._stock.level

    @strawberry.field
    def warehouse(self) -> Warehouse | None:
        place = self._stock.warehouse
        return Warehouse(region=place[0], code=place[1]) if place else None

    @classmethod
    def resolve_reference(
        cls,
        upc: str,
        deliveryEstimate: int | None = None,  # named as in the representation
    ) -> "Product | None":
        if upc not in PRODUCT_BY_UPC:
            return None
        return Product(upc=upc, far_estimate=-1 if deliveryEstimate is None else deliveryEstimate)


@strawberry.type
class Query:
    @strawberry.field
    def warehouses(self) -> list[Warehouse]:
        return [Warehouse(region=region, code=code) for region, code in WAREHOUSES]

    @strawberry.field
    def bins(self) -> list[Bin]:
        return [
            Bin(label=label, warehouse=Warehouse(region=region, code=code))
            for label, region, code in BINS
        ]


schema = strawberry.federation.Schema(query=Query, types=[Product])
