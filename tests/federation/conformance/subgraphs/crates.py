"""Two small subgraphs where a value type's field is only known to the second one:
`Crate.box` is shareable and `Box.weight` too, but only `handling` knows
`Box.handling`, so the gateway must fetch it through the parent `Crate` entity."""

import strawberry

WEIGHT = {"k1": 3, "k2": 12}
HANDLING = {"k1": "standard", "k2": "heavy"}


@strawberry.federation.type(name="Box", shareable=True)
class DepotBox:
    weight: int


@strawberry.federation.type(name="Crate", keys=["id"])
class DepotCrate:
    id: strawberry.ID

    @strawberry.federation.field(shareable=True)
    def box(self) -> DepotBox:
        return DepotBox(weight=WEIGHT[self.id])


@strawberry.type(name="Query")
class DepotQuery:
    @strawberry.field
    def crates(self) -> list[DepotCrate]:
        return [DepotCrate(id=strawberry.ID(id)) for id in WEIGHT]


@strawberry.type(name="Box")
class HandlingBox:
    weight: int = strawberry.federation.field(shareable=True)
    handling: str


@strawberry.federation.type(name="Crate", keys=["id"])
class HandlingCrate:
    id: strawberry.ID

    @strawberry.federation.field(shareable=True)
    def box(self) -> HandlingBox:
        return HandlingBox(weight=WEIGHT[self.id], handling=HANDLING[self.id])

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "HandlingCrate":
        return HandlingCrate(id=id)


@strawberry.type(name="Query")
class HandlingQuery:
    @strawberry.field
    def handled_count(self) -> int:
        return len(HANDLING)


SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "depots": strawberry.federation.Schema(query=DepotQuery),
    "handling": strawberry.federation.Schema(query=HandlingQuery, types=[HandlingCrate]),
}
