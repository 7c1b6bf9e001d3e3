"""`@inaccessible` rules: what is hidden from clients must leave a valid API schema."""

from __future__ import annotations

from federation._compose_elements import Subgraph, type_name
from federation._compose_model import CompositionIssue
from federation._compose_print import OutSchema, OutType

_HIDDEN = "@inaccessible"
_CHILDREN = {
    "object": "fields",
    "interface": "fields",
    "input": "input fields",
    "union": "members",
    "enum": "values",
}


def _hidden(directives: list[str]) -> bool:
    return _HIDDEN in directives


def _issue(code: str, message: str, coordinate: str, subs: list[Subgraph]) -> CompositionIssue:
    """An issue naming the subgraphs that define the element at `coordinate`."""
    type_part, _, rest = coordinate.partition(".")
    field_part = rest.split("(")[0]
    owners = tuple(
        s.name
        for s in subs
        if type_part in s.types and (not field_part or field_part in s.types[type_part].fields)
    )
    return CompositionIssue(code, message, owners, coordinate)


def check_inaccessible(schema: OutSchema, owners: list[Subgraph]) -> list[CompositionIssue]:
    """Issues where hiding leaves a visible element pointing at a hidden one, or empty.

    `owners` are the subgraphs, named in each issue where they define the element.
    """
    hidden_types = {name for name, out in schema.types.items() if _hidden(out.directives)}
    issues: list[CompositionIssue] = []
    for op, root in schema.roots:
        if op == "query" and root in hidden_types:
            issues.append(
                _issue(
                    "QUERY_ROOT_TYPE_INACCESSIBLE",
                    f'Type "{root}" is @inaccessible but is the root query type, which must be'
                    " in the API schema.",
                    root,
                    owners,
                )
            )
    for name, out in schema.types.items():
        if name in hidden_types:
            continue
        issues += _check_type(out, hidden_types, owners)
    return issues


def _check_type(
    out: OutType, hidden_types: set[str], owners: list[Subgraph]
) -> list[CompositionIssue]:
    issues: list[CompositionIssue] = []
    children = out.fields or out.values
    all_hidden = bool(children) and all(_hidden(child.directives) for child in children)
    if out.kind == "union":
        all_hidden = all(member in hidden_types for member in out.members)
    if all_hidden:
        issues.append(
            _issue(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{out.name}" is in the API schema but all of its {_CHILDREN[out.kind]}'
                " are @inaccessible.",
                out.name,
                owners,
            )
        )
    for field in out.fields:
        coordinate = f"{out.name}.{field.name}"
        if _hidden(field.directives):
            if out.kind == "input" and field.type.endswith("!") and field.default is None:
                issues.append(
                    _issue(
                        "REQUIRED_INACCESSIBLE",
                        f'Input field "{coordinate}" is @inaccessible but is a required input'
                        " field of its type.",
                        coordinate,
                        owners,
                    )
                )
            continue
        if type_name(field.type) in hidden_types:
            issues.append(
                _issue(
                    "REFERENCED_INACCESSIBLE",
                    f'Type "{type_name(field.type)}" is @inaccessible but is referenced by'
                    f' "{coordinate}", which is in the API schema.',
                    coordinate,
                    owners,
                )
            )
        for arg in field.args:
            where = f"{coordinate}({arg.name}:)"
            if _hidden(arg.directives):
                if arg.type.endswith("!") and arg.default is None:
                    issues.append(
                        _issue(
                            "REQUIRED_INACCESSIBLE",
                            f'Argument "{where}" is @inaccessible but is a required argument'
                            " of its field.",
                            where,
                            owners,
                        )
                    )
            elif type_name(arg.type) in hidden_types:
                issues.append(
                    _issue(
                        "REFERENCED_INACCESSIBLE",
                        f'Type "{type_name(arg.type)}" is @inaccessible but is referenced by'
                        f' "{where}", which is in the API schema.',
                        where,
                        owners,
                    )
                )
    return issues
