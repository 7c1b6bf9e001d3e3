"""Type references during composition: parse, compare and merge `[Name!]!` forms."""

from __future__ import annotations

from collections.abc import Callable

# ("!", inner) | ("[]", inner) | ("name", str)
TypeTree = tuple[str, object]


def parse_ref(ref: str) -> TypeTree:
    if ref.endswith("!"):
        return ("!", parse_ref(ref[:-1]))
    if ref.startswith("["):
        return ("[]", parse_ref(ref[1:-1]))
    return ("name", ref)


def print_ref(tree: TypeTree) -> str:
    tag, inner = tree
    if tag == "!":
        return print_ref(inner) + "!"  # type: ignore[arg-type]
    if tag == "[]":
        return "[" + print_ref(inner) + "]"  # type: ignore[arg-type]
    return str(inner)


IsSubtype = Callable[[str, str], bool]


def _merge_output(a: TypeTree, b: TypeTree, is_subtype: IsSubtype) -> TypeTree | None:
    if a[0] == "!" and b[0] == "!":
        inner = _merge_output(a[1], b[1], is_subtype)  # type: ignore[arg-type]
        return ("!", inner) if inner else None
    if a[0] == "!":
        return _merge_output(a[1], b, is_subtype)  # type: ignore[arg-type]
    if b[0] == "!":
        return _merge_output(a, b[1], is_subtype)  # type: ignore[arg-type]
    if a[0] == "[]" and b[0] == "[]":
        inner = _merge_output(a[1], b[1], is_subtype)  # type: ignore[arg-type]
        return ("[]", inner) if inner else None
    if a[0] == "name" and b[0] == "name":
        left, right = str(a[1]), str(b[1])
        if left == right or is_subtype(left, right):
            return b
        if is_subtype(right, left):
            return a
    return None


def _merge_input(a: TypeTree, b: TypeTree) -> TypeTree | None:
    if a[0] == "!" or b[0] == "!":
        left = a[1] if a[0] == "!" else a
        right = b[1] if b[0] == "!" else b
        inner = _merge_input(left, right)  # type: ignore[arg-type]
        return ("!", inner) if inner else None
    if a[0] == "[]" and b[0] == "[]":
        inner = _merge_input(a[1], b[1])  # type: ignore[arg-type]
        return ("[]", inner) if inner else None
    if a[0] == "name" and b[0] == "name" and a[1] == b[1]:
        return a
    return None


def merge_refs(refs: list[str], *, output: bool, is_subtype: IsSubtype) -> str | None:
    """The supergraph type of a field seen with `refs` in its subgraphs, or None on conflict.

    Output positions take the most general type (nullable over non-null, interface over
    implementation); input positions take the most restrictive (non-null over nullable).
    """
    merged = parse_ref(refs[0])
    for ref in refs[1:]:
        tree = parse_ref(ref)
        result = _merge_output(merged, tree, is_subtype) if output else _merge_input(merged, tree)
        if result is None:
            return None
        merged = result
    return print_ref(merged)
