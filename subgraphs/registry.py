"""Every department subgraph, in port order."""

from __future__ import annotations

from subgraphs.council.department import COUNCIL
from subgraphs.department import Department
from subgraphs.dvla.department import DVLA
from subgraphs.dwp.department import DWP
from subgraphs.hmrc.department import HMRC
from subgraphs.identity.department import IDENTITY
from subgraphs.nhs.department import NHS

DEPARTMENTS: tuple[Department, ...] = (IDENTITY, HMRC, DWP, NHS, DVLA, COUNCIL)


def department(name: str) -> Department:
    for candidate in DEPARTMENTS:
        if candidate.name == name:
            return candidate
    names = ", ".join(d.name for d in DEPARTMENTS)
    raise KeyError(f"no department {name!r}; the departments are {names}")
