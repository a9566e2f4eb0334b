"""The risk register covers the threat table exactly: every threat rated once and placed once in the matrix.

docs/security/threat-model.md holds the threat table (rows start ``| T-…``), then a ``## Risk register``
section with one row per threat (``| `T-…` |``), a 5×5 matrix of likelihood × impact after controls, and a
list by component. A threat added to the table without a rating, a rating for a threat that does not exist,
or a matrix cell that disagrees with the register fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

THREAT_MODEL = Path(__file__).resolve().parents[2] / "docs" / "security" / "threat-model.md"
_THREAT_ROW = re.compile(r"^\|\s*(T-[A-Z]+-\d{2})\s*\|", re.MULTILINE)
_REGISTER_ROW = re.compile(r"^\|\s*`(T-[A-Z]+-\d{2})`\s*\|", re.MULTILINE)
_ID = re.compile(r"T-[A-Z]+-\d{2}")
_LEVELS = ((4, "low"), (9, "medium"), (16, "high"), (25, "critical"))


def _sections() -> dict[str, str]:
    text = THREAT_MODEL.read_text(encoding="utf-8")
    table, marker, register = text.partition("\n## Risk register\n")
    assert marker, "threat-model.md has no '## Risk register' section"
    ratings, marker, rest = register.partition("\n### Risk matrix after controls\n")
    assert marker, "the risk register has no '### Risk matrix after controls'"
    matrix, marker, components = rest.partition("\n### Threats by component\n")
    assert marker, "the risk register has no '### Threats by component'"
    return {"table": table, "ratings": ratings, "matrix": matrix, "components": components}


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _level(score: int) -> str:
    return next(name for top, name in _LEVELS if score <= top)


@pytest.fixture(scope="module")
def sections() -> dict[str, str]:
    return _sections()


@pytest.fixture(scope="module")
def ratings(sections: dict[str, str]) -> dict[str, list[str]]:
    """Register rows by threat id; a row listed twice is kept twice so that the test can see it."""
    rows: dict[str, list[str]] = {}
    for line in sections["ratings"].splitlines():
        if match := _REGISTER_ROW.match(line):
            assert match.group(1) not in rows, f"{match.group(1)} has two register rows"
            rows[match.group(1)] = _cells(line)
    return rows


def test_every_threat_has_exactly_one_register_row(
    sections: dict[str, str], ratings: dict[str, list[str]]
) -> None:
    threats = _THREAT_ROW.findall(sections["table"])
    assert len(threats) == len(set(threats)), "a threat id appears twice in the table"
    assert sorted(set(threats) - set(ratings)) == [], "threats without a risk-register row"
    assert sorted(set(ratings) - set(threats)) == [], "register rows naming threats that do not exist"


def test_every_rating_is_on_the_scale_and_its_risk_is_likelihood_times_impact(
    ratings: dict[str, list[str]],
) -> None:
    for threat, cells in ratings.items():
        assert len(cells) == 10, f"{threat}: expected 10 columns, got {len(cells)}"
        _, component, stride, l0, i0, before, l1, i1, after, residual = cells
        assert component, f"{threat}: the component must be written"
        assert residual, f"{threat}: the residual risk must be written"
        assert stride in set("STRIDE"), f"{threat}: STRIDE category {stride!r}"
        for value in (l0, i0, l1, i1):
            assert value in {"1", "2", "3", "4", "5"}, f"{threat}: {value!r} is not on the 1-5 scale"
        for likelihood, impact, risk in ((l0, i0, before), (l1, i1, after)):
            score = int(likelihood) * int(impact)
            assert risk == f"{score} {_level(score)}", (
                f"{threat}: risk {risk!r} is not {score} {_level(score)}"
            )
        assert int(l1) * int(i1) <= int(l0) * int(i0), f"{threat}: controls cannot raise the risk"


def test_the_matrix_places_every_threat_once_where_the_register_rates_it(
    sections: dict[str, str], ratings: dict[str, list[str]]
) -> None:
    placed: dict[str, tuple[int, int]] = {}
    rows = [line for line in sections["matrix"].splitlines() if re.match(r"^\|\s*[1-5] ", line)]
    assert [int(_cells(line)[0][0]) for line in rows] == [5, 4, 3, 2, 1], "the matrix needs 5 likelihood rows"
    for line in rows:
        cells = _cells(line)
        assert len(cells) == 6, f"matrix row {cells[0]!r} needs 5 impact columns"
        for impact, cell in enumerate(cells[1:], start=1):
            for threat in _ID.findall(cell):
                assert threat not in placed, f"{threat} is placed twice in the matrix"
                placed[threat] = (int(cells[0][0]), impact)
    assert sorted(set(ratings) - set(placed)) == [], "threats missing from the matrix"
    assert sorted(set(placed) - set(ratings)) == [], "matrix names threats that have no register row"
    for threat, position in placed.items():
        cells = ratings[threat]
        assert position == (int(cells[6]), int(cells[7])), f"{threat} sits in the wrong matrix cell"


def test_every_threat_is_listed_under_its_component(
    sections: dict[str, str], ratings: dict[str, list[str]]
) -> None:
    listed: dict[str, str] = {}
    for line in sections["components"].splitlines():
        if match := re.match(r"^- \*\*(.+?)\*\*: (.*)$", line):
            for threat in _ID.findall(match.group(2)):
                assert threat not in listed, f"{threat} is listed under two components"
                listed[threat] = match.group(1)
    assert listed == {threat: cells[1] for threat, cells in ratings.items()}
