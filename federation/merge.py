"""Merge subgraph results into one tree, then shape the client's response from it.

Merging follows the plan: each fetch's result is merged where its Flatten path
points. Shaping is one walk of the client's selection (compiled at plan time):
aliases, `__typename`, type conditions, `@skip`/`@include`, lists, and null
propagation for non-null fields as the GraphQL spec defines it. Most responses
have no null to propagate: a lean walk that keeps no path shapes them, and data
that turns out to need an error is walked again the general way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from federation._plan_shape import (
    LEAF,
    LIST,
    OBJECT,
    TYPENAME,
    FieldShape,
    ObjectShape,
    TypeWalk,
    included,
    type_walk,
)
from federation.types import GraphQLErrorDict, JSONObject, PlanPath, ResponsePath

NULL_IN_NON_NULL_FIELD = "NULL_IN_NON_NULL_FIELD"


def merge(target: JSONObject, source: JSONObject) -> None:
    """Deep-merge `source` into `target` in place; a null never replaces a value."""
    if target.keys().isdisjoint(source):
        target.update(source)
        return
    for key, value in source.items():
        existing = target.get(key)
        if existing is not None:
            if value is None:
                continue
            if type(value) is dict and type(existing) is dict:
                merge(existing, value)
                continue
            if type(value) is list and type(existing) is list and len(value) == len(existing):
                _merge_lists(existing, value)
                continue
        target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for index, value in enumerate(source):
        existing = target[index]
        if type(value) is dict and type(existing) is dict:
            merge(existing, value)
        elif type(value) is list and type(existing) is list and len(value) == len(existing):
            _merge_lists(existing, value)
        elif value is not None or existing is None:
            target[index] = value


def objects_at(data: JSONObject, path: PlanPath) -> list[tuple[JSONObject, ResponsePath]]:
    """Every object at a plan path (`@` = each list item), with its response path."""
    found: list[tuple[Any, ResponsePath]] = [(data, ())]
    for step in path:
        following: list[tuple[Any, ResponsePath]] = []
        add = following.append
        if step == "@":
            for value, at in found:
                if type(value) is list:
                    for i, item in enumerate(value):
                        add((item, (*at, i)))
        else:
            for value, at in found:
                if type(value) is dict:
                    child = value.get(step)
                    if child is not None:
                        add((child, (*at, step)))
        found = following
    return [pair for pair in found if type(pair[0]) is dict]


class _Invalid:
    """A null that must propagate to the nearest nullable parent."""


_INVALID = _Invalid()


def shape_response(
    shape: ObjectShape,
    data: JSONObject | None,
    variables: Mapping[str, Any],
    errors: list[GraphQLErrorDict],
    covered: Iterable[ResponsePath] = (),
) -> JSONObject | None:
    """The client's `data`: its selection, in order, with nulls propagated.

    A non-null field that is null without an error at or around its path gets
    its own error, appended to `errors`.
    """
    if not errors:
        # Without errors so far, a null where the schema forbids one is rare: shape the
        # data directly, and walk it again the general way only if one turns up.
        try:
            return _Clean(variables).object(data or {}, shape)
        except _Unusual:
            pass
    walker = _Shaper(variables, errors, covered)
    result = walker.object(data or {}, shape, [])
    return None if result is _INVALID else result


class _Unusual(Exception):
    """Data that needs the general walk: a null the schema forbids, or a value of the
    wrong kind. Either makes an error, and may null a parent."""


class _Clean:
    """Shapes data in which no null needs propagating and no error needs adding;
    raises `_Unusual` otherwise. It keeps no response path: nothing here needs one."""

    __slots__ = ("kept", "variables")

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self.variables = variables
        self.kept: dict[TypeWalk, TypeWalk] = {}

    def object(self, value: JSONObject, shape: ObjectShape) -> JSONObject:
        if shape.abstract:
            type_name = value.get("__typename")
            walk = shape.walks.get(type_name, shape.walk)  # type: ignore[arg-type]
        else:
            type_name = shape.type_name
            walk = shape.walk
        if walk.conditional:
            walk = self.included(walk)
        out: JSONObject = {}
        for key, field in walk.steps:
            if field is None:
                found = value.get(key)
                if found is None and key in walk.required:
                    raise _Unusual
                out[key] = found
                continue
            kind = field.kind
            if kind == TYPENAME:
                out[key] = type_name
                continue
            found = value.get(field.data_key)
            if found is None:
                if field.non_null:
                    raise _Unusual
                out[key] = None
            elif kind == OBJECT and type(found) is dict:
                out[key] = self.object(found, field.shape)  # type: ignore[arg-type]
            elif kind == LIST and type(found) is list:
                out[key] = self.items(found, field)
            elif kind == LEAF:
                out[key] = found
            else:
                raise _Unusual
        return out

    def items(self, value: list[Any], field: FieldShape) -> list[Any]:
        """A list one level deep: of objects, or of scalars copied whole."""
        shape = field.shape
        items_non_null = field.wrappers[1]
        if shape is None:
            if items_non_null and None in value:
                raise _Unusual
            return list(value)
        out: list[Any] = []
        walk = shape.walk
        leaves = None if shape.abstract else walk.leaves
        for item in value:
            if type(item) is not dict:
                if item is not None or items_non_null:
                    raise _Unusual
                out.append(None)
            elif leaves is None:
                out.append(self.object(item, shape))
            else:
                # Lists of small objects of leaves (readings, entitlements) are common:
                # each is copied here, without a call.
                copy: JSONObject = {}
                for key in leaves:
                    found = item.get(key)
                    if found is None and key in walk.required:
                        raise _Unusual
                    copy[key] = found
                out.append(copy)
        return out

    def included(self, walk: TypeWalk) -> TypeWalk:
        """`walk` without the fields `@skip`/`@include` leave out: the variables are the
        same for the whole response, so this is worked out once per type."""
        kept = self.kept.get(walk)
        if kept is None:
            fields = tuple(f for f in walk.fields if included(f.conditions, self.variables))
            kept = self.kept[walk] = type_walk(fields, conditional=False)
        return kept


class _Shaper:
    __slots__ = ("covered", "errors", "paths", "prefixes", "variables")

    def __init__(
        self,
        variables: Mapping[str, Any],
        errors: list[GraphQLErrorDict],
        covered: Iterable[ResponsePath],
    ) -> None:
        self.variables = variables
        self.errors = errors
        self.covered = covered
        self.paths: set[ResponsePath] | None = None
        self.prefixes: set[ResponsePath] = set()

    def object(self, value: JSONObject, shape: ObjectShape, path: list[str | int]) -> Any:
        if shape.abstract:
            type_name = value.get("__typename")
            fields = shape.by_type.get(type_name, shape.fallback)  # type: ignore[arg-type]
        else:
            type_name = shape.type_name
            fields = shape.fallback
        out: JSONObject = {}
        for field in fields:
            if field.conditions is not None and not included(field.conditions, self.variables):
                continue
            if field.typename:
                out[field.key] = type_name
                continue
            found = value.get(field.data_key)
            if field.leaf and (found is not None or not field.wrappers[0]):
                out[field.key] = found
                continue
            path.append(field.key)
            result = self.complete(found, field, 0, path)
            path.pop()
            if result is _INVALID:
                return _INVALID
            out[field.key] = result
        return out

    def complete(self, value: Any, field: FieldShape, depth: int, path: list[str | int]) -> Any:
        non_null = field.wrappers[depth]
        if value is None:
            if non_null:
                self.null_error(path, field.coordinate)
                return _INVALID
            return None
        if depth + 1 < len(field.wrappers):
            if type(value) is not list:
                return self.invalid(path, field, non_null, "a list")
            items = []
            for index, item in enumerate(value):
                path.append(index)
                result = self.complete(item, field, depth + 1, path)
                path.pop()
                if result is _INVALID:
                    return _INVALID if non_null else None
                items.append(result)
            return items
        if field.shape is None:
            return value
        if type(value) is not dict:
            return self.invalid(path, field, non_null, "an object")
        result = self.object(value, field.shape, path)
        if result is _INVALID and not non_null:
            return None
        return result

    def invalid(self, path: list[str | int], field: FieldShape, non_null: bool, wanted: str) -> Any:
        self.errors.append(
            {
                "message": f"Subgraph returned {field.coordinate} that is not {wanted}.",
                "path": list(path),
                "extensions": {"code": "INVALID_SUBGRAPH_RESPONSE"},
            }
        )
        return _INVALID if non_null else None

    def null_error(self, path: list[str | int], coordinate: str) -> None:
        at = tuple(path)
        if self.paths is None:
            self.paths = set(self.covered)
            for error in self.errors:
                if error.get("path"):
                    self.paths.add(tuple(error["path"]))
            for known in self.paths:
                self.prefixes.update(known[:i] for i in range(1, len(known)))
        if at in self.prefixes or any(at[:i] in self.paths for i in range(1, len(at) + 1)):
            return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {coordinate}.",
                "path": list(at),
                "extensions": {"code": NULL_IN_NON_NULL_FIELD},
            }
        )
        self.paths.add(at)
