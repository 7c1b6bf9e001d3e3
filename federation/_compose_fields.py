"""Merge one field of an object or interface type: `@override`, `@external`, sharing rules,
type and argument merging, and the `@join__field` applications that record who resolves
it."""

from __future__ import annotations

from dataclasses import dataclass, field

from federation._compose_context import MergeContext, Sources, common
from federation._compose_elements import Field, Subgraph
from federation._compose_model import subgraph_word
from federation._compose_print import OutField, directive, string
from federation._compose_types import merge_refs

Present = list[tuple[Subgraph, Field]]


@dataclass
class Overrides:
    """What `@override` did to one field: dropped sources and sources kept as used."""

    dropped: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    unknown_target: set[str] = field(default_factory=set)


def _is_used(ctx: MergeContext, sub: Subgraph, parent: str, name: str) -> bool:
    """Whether `sub` still needs its own copy of the field (field sets, interfaces)."""
    if (parent, name) in ctx.uses[sub.name].used:
        return True
    type_def = sub.types[parent]
    return any(name in sub.types[i].fields for i in type_def.interfaces if i in sub.types)


def apply_overrides(ctx: MergeContext, parent: str, name: str, present: Present) -> Overrides:
    coordinate = f"{parent}.{name}"
    result = Overrides()
    by_name = {s.name: f for s, f in present}
    overriding = {s.name for s, f in present if f.override is not None}
    known = {s.name for s in ctx.subs}
    for sub, field_def in present:
        origin = field_def.override
        if origin is None:
            continue
        parent_def = sub.types[parent]
        if parent_def.kind == "interface":
            ctx.issue(
                "OVERRIDE_ON_INTERFACE",
                f'@override cannot be used on field "{coordinate}" on subgraph "{sub.name}":'
                " @override is not supported on interface type fields.",
                [sub.name],
                coordinate,
            )
        elif parent_def.interface_object:
            ctx.issue(
                "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                "@override is not yet supported on fields of @interfaceObject types: cannot be"
                f' used on field "{coordinate}" on subgraph "{sub.name}".',
                [sub.name],
                coordinate,
            )
        elif origin not in known:
            result.unknown_target.add(sub.name)
        elif origin == sub.name:
            ctx.issue(
                "OVERRIDE_FROM_SELF_ERROR",
                f'Source and destination subgraphs "{sub.name}" are the same for overridden'
                f' field "{coordinate}"',
                [sub.name],
                coordinate,
            )
        elif origin in overriding:
            ctx.issue(
                "OVERRIDE_SOURCE_HAS_OVERRIDE",
                f'Field "{coordinate}" on subgraph "{sub.name}" is also marked with directive'
                f' @override in subgraph "{origin}". Only one @override directive is allowed'
                " per field.",
                [sub.name, origin],
                coordinate,
            )
        elif origin in by_name:
            _override_from(ctx, coordinate, sub, field_def, origin, by_name[origin], result)
    return result


def _override_from(
    ctx: MergeContext,
    coordinate: str,
    sub: Subgraph,
    field_def: Field,
    origin: str,
    origin_field: Field,
    result: Overrides,
) -> None:
    conflict = None
    if origin_field.requires is not None or origin_field.provides is not None:
        conflict = ("@requires" if origin_field.requires is not None else "@provides", origin)
    elif field_def.external:
        conflict = ("@external", sub.name)
    if conflict is not None:
        ctx.issue(
            "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
            f'@override cannot be used on field "{coordinate}" on subgraph "{sub.name}" since'
            f' "{coordinate}" on "{conflict[1]}" is marked with directive "{conflict[0]}"',
            [sub.name, origin],
            coordinate,
        )
        return
    if field_def.override_label is not None:
        ctx.issue(
            "OVERRIDE_LABEL_INVALID",
            f'Progressive @override label "{field_def.override_label}" on field'
            f' "{coordinate}" on subgraph "{sub.name}" cannot be expressed in a join v0.3'
            " supergraph; remove the label to move the field at once.",
            [sub.name],
            coordinate,
        )
        return
    if origin_field.external:
        return  # the origin already leaves the field to others
    origin_sub = next(s for s in ctx.subs if s.name == origin)
    parent, name = coordinate.split(".", 1)
    if _is_used(ctx, origin_sub, parent, name):
        result.used.add(origin)
    else:
        result.dropped.add(origin)


def through_interface_objects(ctx: MergeContext, parent: str, name: str) -> list[Subgraph]:
    """Subgraphs without `parent` that resolve the field on an `@interfaceObject` of it."""
    found = []
    for sub in ctx.subs:
        if parent in sub.types:
            continue
        for interface in ctx.implements.get(parent, ()):
            stand_in = sub.types.get(interface)
            if (
                stand_in is not None
                and stand_in.interface_object
                and name in stand_in.fields
                and not stand_in.fields[name].external
            ):
                found.append(sub)
                break
    return found


def _is_strict_subtype(ctx: MergeContext, sup: str, sub: str) -> bool:
    return sup != sub and merge_refs([sup, sub], output=True, is_subtype=ctx.is_subtype) == sup


def merge_field(
    ctx: MergeContext, parent: str, kind: str, name: str, sources: Sources
) -> OutField | None:
    coordinate = f"{parent}.{name}"
    defined = [(s, t.fields[name]) for s, t in sources if name in t.fields]
    overrides = apply_overrides(ctx, parent, name, defined)
    # An overridden copy still shapes the merged field (type, arguments, directives), as
    # in Apollo; it only stops resolving it.
    present = [(s, f) for s, f in defined if s.name not in overrides.dropped]
    stand_ins = through_interface_objects(ctx, parent, name) if kind == "object" else []
    resolving = [(s, f) for s, f in present if not f.external]
    if not resolving and not stand_ins:
        names = [s.name for s, _ in present]
        ctx.issue(
            "EXTERNAL_MISSING_ON_BASE",
            f'Field "{coordinate}" is marked @external on all the subgraphs in which it is'
            f" listed ({subgraph_word(names)}).",
            names,
            coordinate,
        )
        return None
    base = [(s, f) for s, f in defined if not f.external] or present
    for sub, f in present:
        if f.external and (f.applied.inaccessible or f.applied.kept):
            ctx.issue(
                "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
                f'[{sub.name}] Cannot apply merged directive to external field "{coordinate}"',
                [sub.name],
                coordinate,
            )
    refs = [f.type for _, f in base]
    merged_type = merge_refs(refs, output=True, is_subtype=ctx.is_subtype)
    if merged_type is None:
        ctx.type_mismatch("FIELD_TYPE_MISMATCH", f'field "{coordinate}"', base)
        merged_type = refs[0]
    all_equal = len(set(refs)) == 1
    args = ctx.merge_args(coordinate, base)
    _check_externals(ctx, coordinate, present, merged_type, all_equal, [a.name for a in args])
    if parent == "Subscription" and len(resolving) > 1:
        names = [s.name for s, _ in resolving]
        ctx.issue(
            "INVALID_FIELD_SHARING",
            "Fields on root level subscription object cannot be marked as shareable:"
            f' "{coordinate}" is resolved from {subgraph_word(names)}',
            names,
            coordinate,
        )
    elif kind == "object":
        check_sharing(ctx, parent, name, present, overrides, stand_ins)
    ctx.resolvers[(parent, name)] = {s.name for s, f in resolving if s.name not in overrides.used}
    out = OutField(name, merged_type, common(f.description for _, f in base), args)
    holders = {s.name for s, _ in sources}
    needs_join = (
        not all_equal
        or bool(overrides.used)
        or any(f.external or f.requires or f.provides for _, f in present)
        or holders != {s.name for s, _ in present}
    )
    joins: list[str] = []
    if needs_join:
        for sub, f in present:
            joins.append(
                directive(
                    "join__field",
                    ("graph", ctx.graphs[sub.name]),
                    ("requires", string(f.requires) if f.requires else None),
                    ("provides", string(f.provides) if f.provides else None),
                    ("type", None if all_equal else string(f.type)),
                    ("external", "true" if f.external else None),
                    ("override", string(f.override) if f.override else None),
                    ("usedOverridden", "true" if sub.name in overrides.used else None),
                )
            )
    out.directives = ctx.around_joins(joins, (f.applied for _, f in base))
    return out


def _check_externals(
    ctx: MergeContext,
    coordinate: str,
    present: Present,
    merged_type: str,
    all_equal: bool,
    arg_names: list[str],
) -> None:
    externals = [(s, f) for s, f in present if f.external]
    wrong = [
        (s, f)
        for s, f in externals
        if not (
            f.type == merged_type
            or (not all_equal and _is_strict_subtype(ctx, merged_type, f.type))
        )
    ]
    if wrong:
        ctx.type_mismatch(
            "EXTERNAL_TYPE_MISMATCH",
            f'field "{coordinate}"',
            present,
            merged_type,
            " (where marked @external)",
        )
    for arg in arg_names:
        missing = [s.name for s, f in externals if arg not in f.args]
        if missing:
            ctx.issue(
                "EXTERNAL_ARGUMENT_MISSING",
                f'Field "{coordinate}" is missing argument "{coordinate}({arg}:)" in'
                f" {subgraph_word(missing)}, where it is marked @external.",
                missing,
                f"{coordinate}({arg}:)",
            )


def check_sharing(
    ctx: MergeContext,
    parent: str,
    name: str,
    present: Present,
    overrides: Overrides,
    stand_ins: list[Subgraph],
) -> None:
    """INVALID_FIELD_SHARING when several subgraphs resolve a field not all share."""
    resolvers: list[tuple[str, str]] = []  # (subgraph, how Apollo names it in messages)
    unshared: list[tuple[str, str]] = []
    for sub, f in present:
        if sub.name in overrides.used:
            continue
        provided = (parent, name) in ctx.uses[sub.name].provided
        if f.external and not provided:
            continue
        resolvers.append((sub.name, f'"{sub.name}"'))
        if not (f.shareable or f.external or (parent, name) in ctx.uses[sub.name].by_key):
            unshared.append(resolvers[-1])
    for sub in stand_ins:
        interface = next(
            i
            for i in sorted(ctx.implements.get(parent, ()))
            if i in sub.types and name in sub.types[i].fields
        )
        resolvers.append(
            (sub.name, f'"{sub.name}" (through @interfaceObject field "{interface}.{name}")')
        )
        is_key = (interface, name) in ctx.uses[sub.name].by_key
        if not (sub.types[interface].fields[name].shareable or is_key):
            unshared.append(resolvers[-1])
    if unshared and len(resolvers) > 1:
        which = "all of them" if len(unshared) == len(resolvers) else _labels(unshared)
        hint = ""
        mistyped = [s for s, _ in unshared if s in overrides.unknown_target]
        if mistyped:
            hint = (
                f' (please note that "{parent}.{name}" has an @override directive in'
                f' "{mistyped[0]}" that targets an unknown subgraph so this could be due to'
                " misspelling the @override(from:) argument)"
            )
        ctx.issue(
            "INVALID_FIELD_SHARING",
            f'Non-shareable field "{parent}.{name}" is resolved from multiple subgraphs: it is'
            f" resolved from {_labels(resolvers)} and defined as non-shareable in {which}{hint}",
            [s for s, _ in resolvers],
            f"{parent}.{name}",
        )


def _labels(entries: list[tuple[str, str]]) -> str:
    labels = [label for _, label in entries]
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return ("subgraph " if len(labels) == 1 else "subgraphs ") + joined
