"""Dependency and supply-chain risk (T-SUP-01): few dependencies, each with a floor, none from a URL.

Adding a runtime dependency is a reviewed change: this test lists them, so a new one fails here until the list
(and the threat model's residual risk) is updated on purpose. The resource-server library's own two
dependencies are held by tests/unit/client/test_isolation.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?P<spec>[^;]*)")

#: every runtime dependency of the server, by distribution name
SERVER_DEPENDENCIES = {
    "tokenward-client",
    "fastapi",
    "uvicorn",
    "pydantic",
    "pydantic-settings",
    "email-validator",
    "idna",
    "confusable-homoglyphs",
    "sqlalchemy",
    "alembic",
    "aiosqlite",
    "asyncpg",
    "redis",
    "argon2-cffi",
    "bcrypt",
    "cryptography",
    "joserfc",
    "structlog",
    "prometheus-client",
    "python-multipart",
    "limits",
    "pyotp",
    "segno",
    "jinja2",
    "webauthn",
    "phonenumbers",
    "httpx",
}


def _requirements(pyproject: Path) -> list[str]:
    requirements: list[str] = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    return requirements


def _parsed(requirement: str) -> tuple[str, str]:
    match = _REQUIREMENT.match(requirement.strip())
    assert match is not None, requirement
    return match.group("name").lower(), match.group("spec").strip()


@pytest.mark.threat("T-SUP-01")
def test_the_server_depends_on_exactly_the_reviewed_list() -> None:
    """Attack: a new, unreviewed package (typo-squat or abandoned) slipped into the dependencies."""
    names = {_parsed(requirement)[0] for requirement in _requirements(ROOT / "pyproject.toml")}
    assert names == SERVER_DEPENDENCIES


@pytest.mark.parametrize("pyproject", ["pyproject.toml", "clients/python/pyproject.toml"])
@pytest.mark.threat("T-SUP-01")
def test_every_dependency_has_a_version_floor_and_comes_from_the_index(pyproject: str) -> None:
    """Attack: an old release with a known flaw satisfies an unbounded requirement, or a URL pulls other code."""
    for requirement in _requirements(ROOT / pyproject):
        name, spec = _parsed(requirement)
        assert "@" not in requirement, f"{name} is installed from a URL"
        assert "://" not in requirement, f"{name} is installed from a URL"
        assert spec.startswith((">=", "==")), f"{name} has no minimum version: {requirement!r}"
