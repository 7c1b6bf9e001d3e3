"""Synthetic citizens: valid identifiers, unique, and the same for the same seed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from subgraphs.people import (
    NIN_PREFIXES,
    is_valid_nhs_number,
    is_valid_nin,
    nhs_check_digit,
    people,
)
from subgraphs.registry import DEPARTMENTS
from subgraphs.seed import seed_all


def test_nhs_check_digit_matches_published_example() -> None:
    # NHS Digital's worked example: 943 476 5919.
    assert nhs_check_digit("943476591") == 9
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    assert not is_valid_nhs_number("94347659")


def test_every_generated_identifier_is_valid_and_unique() -> None:
    population = list(people(20_000, seed=3))
    assert all(is_valid_nin(p.nin) for p in population)
    assert all(is_valid_nhs_number(p.nhs_number) for p in population)
    assert len({p.nin for p in population}) == len(population)
    assert len({p.nhs_number for p in population}) == len(population)


def test_nin_format_rules() -> None:
    assert is_valid_nin("AB123456C")
    for bad in ("AB123456E", "DA123456A", "AO123456A", "GB123456A", "AB12345C", "ab123456c"):
        assert not is_valid_nin(bad), bad
    assert not is_valid_nin("AB\uff11\uff12\uff13\uff14\uff15\uff16C")  # full-width digits
    assert not {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"} & set(NIN_PREFIXES)


def test_postcodes_and_households_look_real() -> None:
    population = list(people(300, seed=1))
    for p in population:
        outward, inward = p.postcode.split(" ")
        assert inward[0].isdigit() and inward[1:].isalpha() and len(inward) == 3
        assert outward[0].isalpha()
        assert 16 <= p.age <= 95
    same_home = [p for p in population if p.household == population[0].household]
    assert len(same_home) > 1
    assert len({(p.address_line, p.postcode) for p in same_home}) == 1


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


@pytest.fixture(scope="module")
def three_seedings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Seed 11 twice and seed 12 once."""
    dirs = tuple(tmp_path_factory.mktemp(name) for name in ("a", "b", "c"))
    for path, seed in zip(dirs, (11, 11, 12), strict=True):
        seed_all(path, 250, seed, DEPARTMENTS, progress=None)
    return dirs  # type: ignore[return-value]


@pytest.mark.parametrize("name", [d.name for d in DEPARTMENTS])
def test_same_seed_same_data(three_seedings: tuple[Path, Path, Path], name: str) -> None:
    first, second, other = (path / f"{name}.db" for path in three_seedings)
    assert _dump(first) == _dump(second)
    assert _dump(first) != _dump(other)


def test_seed_refuses_an_empty_population(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        seed_all(tmp_path, 0, 1, DEPARTMENTS, progress=None)
