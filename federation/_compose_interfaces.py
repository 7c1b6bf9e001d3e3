"""Interfaces across subgraphs: entity interfaces (`@key` on an interface), `@interfaceObject`
stand-ins, and implementations that must carry every field of their interfaces."""

from __future__ import annotations

from federation._compose_context import MergeContext, Sources
from federation._compose_fields import Overrides, check_sharing, through_interface_objects
from federation._compose_model import subgraph_word
from federation._compose_print import OutField, OutType


def _normal(field_set: str) -> str:
    return " ".join(field_set.replace("{", " { ").replace("}", " } ").split())


def _implementations(types: dict[str, OutType], interface: str) -> list[str]:
    return [n for n, t in types.items() if t.kind == "object" and interface in t.interfaces]


def check_interface_keys(
    ctx: MergeContext, types: dict[str, OutType], sources: dict[str, Sources]
) -> None:
    """Entity interfaces must be whole in the subgraphs that key them."""
    for name, out in types.items():
        if out.kind != "interface":
            continue
        keyed = [(s, t) for s, t in sources[name] if t.kind == "interface" and t.keys]
        stand_ins = [s.name for s, t in sources[name] if t.interface_object]
        if stand_ins and not keyed:
            definers = [s.name for s, t in sources[name] if t.kind == "interface"]
            ctx.issue(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'Interface "{name}" is declared with @interfaceObject in'
                f" {subgraph_word(stand_ins)}, so it must be an entity interface (have a @key)"
                f" in {subgraph_word(definers)}, where it is defined as an interface",
                stand_ins + definers,
                name,
            )
        for sub, interface in keyed:
            for implementation in _implementations(types, name):
                type_def = sub.types.get(implementation)
                resolvable = [k for k in interface.keys if k.resolvable]
                if type_def is None or name not in type_def.interfaces:
                    if resolvable:
                        ctx.issue(
                            "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                            f'[{sub.name}] Interface type "{name}" has a resolvable key'
                            f' (@key(fields: "{resolvable[0].fields}")) in subgraph'
                            f' "{sub.name}" but that subgraph is missing some of the'
                            f' supergraph implementation types of "{name}". Subgraph'
                            f' "{sub.name}" should define type "{implementation}" (and have it'
                            f' implement "{name}").',
                            [sub.name],
                            name,
                        )
                    continue
                own = {_normal(k.fields) for k in type_def.keys}
                for key in interface.keys:
                    if _normal(key.fields) not in own:
                        ctx.issue(
                            "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                            f'[{sub.name}] Key @key(fields: "{key.fields}") on interface type'
                            f' "{name}" is missing on implementation type "{implementation}".',
                            [sub.name],
                            implementation,
                        )


def add_interface_object_fields(
    ctx: MergeContext, types: dict[str, OutType], sources: dict[str, Sources]
) -> None:
    """Fields an `@interfaceObject` adds to an interface reach every implementation too,
    marked with a bare `@join__field`: no subgraph resolves them on the object itself."""
    for name, interface in types.items():
        if interface.kind != "interface":
            continue
        added = {f for s, t in sources[name] if t.interface_object for f in t.fields}
        if not added:
            continue
        for implementation in _implementations(types, name):
            out = types[implementation]
            have = {f.name for f in out.fields}
            for field_def in interface.fields:
                if field_def.name in added and field_def.name not in have:
                    stand_ins = through_interface_objects(ctx, implementation, field_def.name)
                    check_sharing(ctx, implementation, field_def.name, [], Overrides(), stand_ins)
                    out.fields.append(
                        OutField(
                            field_def.name,
                            field_def.type,
                            field_def.description,
                            field_def.args,
                            directives=[
                                *(d for d in field_def.directives if not d.startswith("@join__")),
                                "@join__field",
                            ],
                        )
                    )


def check_implementations(
    ctx: MergeContext, types: dict[str, OutType], sources: dict[str, Sources]
) -> None:
    """Every object (or interface) must have every field of the interfaces it implements."""
    for name, out in types.items():
        if out.kind not in ("object", "interface"):
            continue
        have = {f.name for f in out.fields}
        for interface_name in out.interfaces:
            interface = types.get(interface_name)
            if interface is None:
                continue
            for field_def in interface.fields:
                if field_def.name in have:
                    continue
                declared = [
                    s.name for s, t in sources[interface_name] if field_def.name in t.fields
                ]
                implementing = [
                    s.name for s, t in sources.get(name, []) if interface_name in t.interfaces
                ]
                ctx.issue(
                    "INTERFACE_FIELD_NO_IMPLEM",
                    f'Interface field "{interface_name}.{field_def.name}" is declared in'
                    f' {subgraph_word(declared)} but type "{name}", which implements'
                    f' "{interface_name}" only in {subgraph_word(implementing)}, does not'
                    f' have field "{field_def.name}".',
                    declared + implementing,
                    f"{name}.{field_def.name}",
                )
