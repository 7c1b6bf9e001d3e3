"""SNOMED CT concepts the NHS subgraph records, and the check that an identifier is well formed.

Condition codes are International Edition concepts; the vaccination codes are
the procedure concepts NHS England's immunisation record uses (UK Edition
concepts carry the long `...1000000...` namespace form).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Concept:
    code: str
    term: str


HYPERTENSION = Concept("38341003", "Hypertensive disorder, systemic arterial")
TYPE_2_DIABETES = Concept("44054006", "Diabetes mellitus type 2")
TYPE_1_DIABETES = Concept("46635009", "Diabetes mellitus type 1")
ASTHMA = Concept("195967001", "Asthma")
COPD = Concept("13645005", "Chronic obstructive lung disease")
ATRIAL_FIBRILLATION = Concept("49436004", "Atrial fibrillation")
CHRONIC_KIDNEY_DISEASE = Concept("709044004", "Chronic kidney disease")
HEART_FAILURE = Concept("84114007", "Heart failure")
ISCHAEMIC_HEART_DISEASE = Concept("414545008", "Ischemic heart disease")
HYPOTHYROIDISM = Concept("40930008", "Hypothyroidism")
DEPRESSION = Concept("35489007", "Depressive disorder")
OSTEOARTHRITIS = Concept("396275006", "Osteoarthritis")

CONDITIONS: dict[str, Concept] = {
    c.code: c
    for c in (
        HYPERTENSION,
        TYPE_2_DIABETES,
        TYPE_1_DIABETES,
        ASTHMA,
        COPD,
        ATRIAL_FIBRILLATION,
        CHRONIC_KIDNEY_DISEASE,
        HEART_FAILURE,
        ISCHAEMIC_HEART_DISEASE,
        HYPOTHYROIDISM,
        DEPRESSION,
        OSTEOARTHRITIS,
    )
}
DIABETES = frozenset({TYPE_1_DIABETES.code, TYPE_2_DIABETES.code})


@dataclass(frozen=True, slots=True)
class Vaccine:
    name: str
    procedure: Concept


FLU = Vaccine("Seasonal influenza", Concept("822851000000102", "Seasonal influenza vaccination"))
COVID_FIRST = Vaccine(
    "COVID-19",
    Concept("1324681000000101", "Administration of first dose of SARS-CoV-2 vaccine"),
)
COVID_SECOND = Vaccine(
    "COVID-19",
    Concept("1324691000000104", "Administration of second dose of SARS-CoV-2 vaccine"),
)
COVID_BOOSTER = Vaccine(
    "COVID-19",
    Concept("1362591000000103", "Administration of booster dose of SARS-CoV-2 vaccine"),
)
RSV = Vaccine(
    "Respiratory syncytial virus",
    Concept(
        "1303503001",
        "Administration of vaccine product containing only Human orthopneumovirus antigen",
    ),
)
HPV = Vaccine(
    "Human papillomavirus",
    Concept(
        "761841000",
        "Administration of vaccine product containing only Human papillomavirus antigen",
    ),
)
MENACWY = Vaccine(
    "Meningococcal ACWY",
    Concept(
        "871874000",
        "Administration of vaccine product containing only Neisseria meningitidis serogroup A,"
        " C, W135 and Y antigens",
    ),
)
TD_IPV = Vaccine(
    "Tetanus, diphtheria and polio",
    Concept(
        "866186002",
        "Administration of vaccine product containing only Clostridium tetani and"
        " Corynebacterium diphtheriae and Human poliovirus antigens",
    ),
)
VACCINES: dict[str, Vaccine] = {
    v.procedure.code: v
    for v in (FLU, COVID_FIRST, COVID_SECOND, COVID_BOOSTER, RSV, HPV, MENACWY, TD_IPV)
}

# Verhoeff's dihedral-group tables: multiplication, and the position permutations.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)


def _permutations() -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple((1, 5, 7, 6, 2, 8, 3, 0, 9, 4)[x] for x in rows[-1]))
    return tuple(rows)


_P = _permutations()


def is_concept_id(value: str) -> bool:
    """True for a SNOMED CT concept identifier: Verhoeff check digit, concept partition."""
    if not 6 <= len(value) <= 18 or not value.isdigit() or value[0] == "0":
        return False
    check = 0
    for position, digit in enumerate(reversed(value)):
        check = _D[check][_P[position % 8][int(digit)]]
    return check == 0 and value[-3:-1] in {"00", "10"}
