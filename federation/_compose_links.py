"""`@link` applications: which specification a subgraph links, under which names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import DirectiveNode, ListValueNode, ObjectValueNode, StringValueNode, ValueNode

_URL_VERSION = re.compile(r"^(?P<identity>.*?)/(?P<name>[^/]+)/v(?P<major>\d+)\.(?P<minor>\d+)/?$")


@dataclass(frozen=True)
class Link:
    """One `@link` application on a subgraph's schema."""

    url: str
    identity: str
    name: str
    version: tuple[int, int] | None
    prefix: str
    imports: dict[str, str]  # local name (no `@`) -> name in the linked spec
    import_nodes: tuple[ValueNode, ...]


def string_arg(node: DirectiveNode, name: str) -> str | None:
    for arg in node.arguments or ():
        if arg.name.value == name and isinstance(arg.value, StringValueNode):
            return arg.value.value
    return None


def parse_link(node: DirectiveNode) -> Link | None:
    """Read one `@link(url:, as:, import:)` application."""
    url = string_arg(node, "url")
    if url is None:
        return None
    match = _URL_VERSION.match(url)
    if match:
        identity = f"{match['identity']}/{match['name']}"
        name = match["name"]
        version: tuple[int, int] | None = (int(match["major"]), int(match["minor"]))
    else:
        identity, name, version = url.rstrip("/"), url.rstrip("/").rsplit("/", 1)[-1], None
    prefix = string_arg(node, "as") or name
    imports: dict[str, str] = {}
    import_nodes: list[ValueNode] = []
    for arg in node.arguments or ():
        if arg.name.value != "import" or not isinstance(arg.value, ListValueNode):
            continue
        for item in arg.value.values:
            import_nodes.append(item)
            if isinstance(item, StringValueNode):
                imports[item.value.lstrip("@")] = item.value.lstrip("@")
            elif isinstance(item, ObjectValueNode):
                entry = {
                    f.name.value: f.value.value
                    for f in item.fields
                    if isinstance(f.value, StringValueNode)
                }
                if "name" in entry:
                    original = entry["name"].lstrip("@")
                    imports[entry.get("as", entry["name"]).lstrip("@")] = original
    return Link(url, identity, name, version, prefix, imports, tuple(import_nodes))
