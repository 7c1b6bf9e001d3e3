"""Three small subgraphs where an entity is only reachable through a chain of keys:
`claims` knows a `Parcel` by `id`, `tracking` by `barcode`, and only `labels`
knows both. A parcel `labels` does not know has no barcode, so it is never sent on."""

import strawberry

PARCELS = {"p1": ("BC-1", "Leeds"), "p2": ("BC-2", "York")}
STATUS = {"BC-1": "delivered", "BC-2": "in transit"}
CLAIMS = (("c1", "p1"), ("c2", "p2"), ("c3", "p9"), ("c4", None))


@strawberry.federation.type(name="Parcel", keys=["id", "barcode"])
class LabelledParcel:
    id: strawberry.ID
    barcode: str
    destination: str

    @classmethod
    def resolve_reference(
        cls, id: str | None = None, barcode: str | None = None
    ) -> "LabelledParcel | None":
        for parcel_id, (code, destination) in PARCELS.items():
            if parcel_id == id or code == barcode:
                return LabelledParcel(
                    id=strawberry.ID(parcel_id), barcode=code, destination=destination
                )
        return None


@strawberry.type(name="Query")
class LabelsQuery:
    @strawberry.field
    def parcels(self) -> list[LabelledParcel]:
        return [p for p in map(LabelledParcel.resolve_reference, PARCELS) if p is not None]


@strawberry.federation.type(name="Parcel", keys=["barcode"])
class TrackedParcel:
    barcode: str

    @strawberry.field
    def status(self) -> str | None:
        return STATUS.get(self.barcode)

    @classmethod
    def resolve_reference(cls, barcode: str) -> "TrackedParcel":
        return TrackedParcel(barcode=barcode)


@strawberry.type(name="Query")
class TrackingQuery:
    @strawberry.field
    def tracked_count(self) -> int:
        return len(STATUS)


@strawberry.federation.type(name="Parcel", keys=["id"])
class ClaimedParcel:
    id: strawberry.ID


@strawberry.type
class Claim:
    id: strawberry.ID
    parcel: ClaimedParcel | None


@strawberry.type(name="Query")
class ClaimsQuery:
    @strawberry.field
    def claims(self) -> list[Claim]:
        return [
            Claim(
                id=strawberry.ID(id),
                parcel=ClaimedParcel(id=strawberry.ID(parcel)) if parcel else None,
            )
            for id, parcel in CLAIMS
        ]


SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "claims": strawberry.federation.Schema(query=ClaimsQuery),
    "labels": strawberry.federation.Schema(query=LabelsQuery),
    "tracking": strawberry.federation.Schema(query=TrackingQuery, types=[TrackedParcel]),
}
