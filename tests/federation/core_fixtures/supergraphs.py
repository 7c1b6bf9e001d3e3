"""Hand-written join-spec v0.3 supergraphs for planner tests."""

from __future__ import annotations

from federation.supergraph import Supergraph, parse_supergraph

_DIRECTIVES = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  query: Query
  %(mutation)s
}
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION \
| SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, \
type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable \
on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable \
on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable \
on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
"""


def supergraph(body: str, graphs: tuple[str, ...], *, mutation: bool = False) -> Supergraph:
    """A supergraph of `body` whose join__Graph has one value per name (upper-cased)."""
    values = "\n".join(
        f'  {g.upper()} @join__graph(name: "{g}", url: "http://{g}.test/graphql")' for g in graphs
    )
    header = _DIRECTIVES % {"mutation": "mutation: Mutation" if mutation else ""}
    return parse_supergraph(header + "enum join__Graph {\n" + values + "\n}\n" + body)
