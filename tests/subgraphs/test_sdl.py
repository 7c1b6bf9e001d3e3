"""Every department publishes `@dataCategory` on every field of its SDL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from graphql import ObjectTypeDefinitionNode, StringValueNode, parse

from subgraphs.registry import DEPARTMENTS
from tests.subgraphs.conftest import Subgraph

FIDES = {category.fides_key for category in DEFAULT_TAXONOMY.data_category}
ROOTS = {"Query", "Mutation", "Subscription"}
FEDERATION_TYPES = {"_Service"}


def _categories(sdl: str) -> dict[str, tuple[str, str] | None]:
    """Field coordinate → (category, sensitivity), None where the directive is missing."""
    found: dict[str, tuple[str, str] | None] = {}
    for definition in parse(sdl).definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        type_name = definition.name.value
        if type_name in ROOTS | FEDERATION_TYPES:
            continue
        for field in definition.fields or ():
            coordinate = f"{type_name}.{field.name.value}"
            found[coordinate] = None
            for directive in field.directives or ():
                if directive.name.value == "dataCategory":
                    args = {a.name.value: a.value for a in directive.arguments or ()}
                    name = args["name"]
                    assert isinstance(name, StringValueNode)
                    found[coordinate] = (name.value, getattr(args["sensitivity"], "value", ""))
    return found


@pytest.mark.parametrize("name", [d.name for d in DEPARTMENTS])
async def test_every_field_has_a_data_category(
    subgraph: Callable[[str], Subgraph], name: str
) -> None:
    result = await subgraph(name).query("{ _service { sdl } }")
    sdl = result["data"]["_service"]["sdl"]
    assert '@composeDirective(name: "@dataCategory")' in sdl
    categories = _categories(sdl)
    assert categories, "the subgraph defines no object types"
    missing = [coordinate for coordinate, value in categories.items() if value is None]
    assert missing == []
    for coordinate, value in categories.items():
        assert value is not None
        category, sensitivity = value
        assert sensitivity in {"PUBLIC", "PERSONAL", "SPECIAL"}, coordinate
        root = category.split(".")[0]
        if root == "public":
            assert sensitivity == "PUBLIC", coordinate
            continue
        # A fideslang category, or a department sub-category below one.
        parents = [
            ".".join(category.split(".")[:n]) for n in range(len(category.split(".")), 0, -1)
        ]
        assert any(parent in FIDES and parent.count(".") >= 1 for parent in parents), (
            f"{coordinate}: {category} is not below a fideslang category"
        )
