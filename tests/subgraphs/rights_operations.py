"""The rights operations every department exposes, as the tests send them."""

from __future__ import annotations

from typing import NamedTuple


class RightsOperations(NamedTuple):
    correct: str
    erase: str
    resolve: str
    requests: str


def rights_operations(department: str, fields: str) -> RightsOperations:
    """`<department>RequestCorrection` and the rest, each selecting `fields`."""
    return RightsOperations(
        correct=f"""mutation($nin: ID!, $field: String!, $value: String!) {{
  {department}RequestCorrection(nin: $nin, field: $field, correction: $value) {{ {fields} }}
}}""",
        erase=f"""mutation($nin: ID!, $field: String!) {{
  {department}RequestErasure(nin: $nin, field: $field) {{ {fields} }}
}}""",
        resolve=f"""mutation($id: ID!, $status: RightsRequestStatus!, $answer: String!) {{
  {department}ResolveRightsRequest(id: $id, status: $status, answer: $answer) {{ {fields} }}
}}""",
        requests=f"query($nin: ID!) {{ {department}RightsRequests(nin: $nin) {{ {fields} }} }}",
    )
