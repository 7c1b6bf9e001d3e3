"""Merge unions, enums, input objects and scalars."""

from __future__ import annotations

from federation._compose_context import MergeContext, Sources, common
from federation._compose_model import subgraph_word
from federation._compose_print import OutField, OutType, OutValue, directive, string
from federation._compose_types import merge_refs


def merge_union(ctx: MergeContext, name: str, sources: Sources) -> OutType:
    out = OutType(name, "union", common(t.description for _, t in sources))
    out.directives = ctx.join_types(sources)
    out.members = list(dict.fromkeys(m for _, t in sources for m in t.members))
    for member in out.members:
        for sub, t in sources:
            if member in t.members:
                out.directives.append(
                    directive(
                        "join__unionMember",
                        ("graph", ctx.graphs[sub.name]),
                        ("member", string(member)),
                    )
                )
    out.directives += ctx.applied(t.applied for _, t in sources)
    return out


def merge_enum(ctx: MergeContext, name: str, sources: Sources) -> OutType:
    out = OutType(name, "enum", common(t.description for _, t in sources))
    out.directives = ctx.join_types(sources) + ctx.applied(t.applied for _, t in sources)
    usage = ctx.enum_usage.get(name, {})
    everyone = [s.name for s, _ in sources]
    for value in dict.fromkeys(v for _, t in sources for v in t.values):
        holders = [(s, t.values[value]) for s, t in sources if value in t.values]
        missing = [n for n in everyone if n not in {s.name for s, _ in holders}]
        hidden = any(v.applied.inaccessible for _, v in holders)
        if missing and "input" in usage and "output" in usage and not hidden:
            ctx.issue(
                "ENUM_VALUE_MISMATCH",
                f'Enum type "{name}" is used as both input type (for example, as type of'
                f' "{usage["input"]}") and output type (for example, as type of'
                f' "{usage["output"]}"), but value "{value}" is not defined in all the'
                f' subgraphs defining "{name}": "{value}" is defined in'
                f" {subgraph_word([s.name for s, _ in holders])} but not in"
                f" {subgraph_word(missing)}",
                everyone,
                f"{name}.{value}",
            )
            continue
        if missing and "input" in usage and not hidden:
            continue  # input-only enums keep the values every subgraph accepts
        out.values.append(
            OutValue(
                value,
                common(v.description for _, v in holders),
                ctx.around_joins(
                    [
                        directive("join__enumValue", ("graph", ctx.graphs[s.name]))
                        for s, _ in holders
                    ],
                    (v.applied for _, v in holders),
                ),
            )
        )
    if not out.values:
        ctx.issue(
            "EMPTY_MERGED_ENUM_TYPE",
            f'None of the values of enum type "{name}" are defined consistently in all the'
            f" subgraphs defining that type. As only values common to all subgraphs are"
            f" merged, this would result in an empty type.",
            everyone,
            name,
        )
    return out


def merge_input(ctx: MergeContext, name: str, sources: Sources) -> OutType:
    out = OutType(name, "input", common(t.description for _, t in sources))
    out.directives = ctx.join_types(sources) + ctx.applied(t.applied for _, t in sources)
    everyone = [s.name for s, _ in sources]
    for field_name in dict.fromkeys(f for _, t in sources for f in t.fields):
        holders = [(s, t.fields[field_name]) for s, t in sources if field_name in t.fields]
        coordinate = f"{name}.{field_name}"
        missing = [n for n in everyone if n not in {s.name for s, _ in holders}]
        hidden = any(f.applied.inaccessible for _, f in holders)
        if missing and not hidden:
            required = [s.name for s, f in holders if f.type.endswith("!") and f.default is None]
            if required:
                ctx.issue(
                    "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                    f'Input object field "{coordinate}" is required in some subgraphs but'
                    f" does not appear in all subgraphs: it is required in"
                    f" {subgraph_word(required)} but does not appear in"
                    f" {subgraph_word(missing)}",
                    required + missing,
                    coordinate,
                )
            continue
        refs = [f.type for _, f in holders]
        merged = merge_refs(refs, output=False, is_subtype=ctx.is_subtype)
        if merged is None:
            ctx.type_mismatch("FIELD_TYPE_MISMATCH", f'field "{coordinate}"', holders)
            merged = refs[0]
        default = ctx.merge_default(
            "INPUT_FIELD_DEFAULT_MISMATCH", "Input field", coordinate, holders
        )
        joins: list[str] = []
        if len(set(refs)) > 1 or missing:
            joins = [
                directive(
                    "join__field",
                    ("graph", ctx.graphs[s.name]),
                    ("type", string(f.type) if len(set(refs)) > 1 else None),
                )
                for s, f in holders
            ]
        out.fields.append(
            OutField(
                field_name,
                merged,
                common(f.description for _, f in holders),
                default=default,
                directives=ctx.around_joins(joins, (f.applied for _, f in holders)),
            )
        )
    if not out.fields:
        ctx.issue(
            "EMPTY_MERGED_INPUT_TYPE",
            f'None of the fields of input object type "{name}" are consistently defined in'
            " all the subgraphs defining that type. As only fields common to all subgraphs"
            " are merged, this would result in an empty type.",
            everyone,
            name,
        )
    return out


def merge_scalar(ctx: MergeContext, name: str, sources: Sources) -> OutType:
    out = OutType(name, "scalar", common(t.description for _, t in sources))
    out.directives = ctx.join_types(sources) + ctx.applied(t.applied for _, t in sources)
    return out
