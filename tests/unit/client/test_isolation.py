"""``tokenward-client`` stands on its own: importing it loads no server module, and it depends on two packages.

Resource servers install the client, not the server; they must not get (or load) FastAPI, SQLAlchemy, Redis or
Argon2 with it. The imports run in a fresh interpreter, because this test process has loaded the server already.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

CLIENT_PROJECT = Path(__file__).resolve().parents[3] / "clients" / "python" / "pyproject.toml"
SERVER_LIBRARIES = ("fastapi", "starlette", "sqlalchemy", "asyncpg", "redis", "argon2")
#: libraries the server uses and the client does not even depend on
NOT_DEPENDED_ON = ("joserfc", "pydantic", "structlog")

_LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by(module: str) -> set[str]:
    """Every module in ``sys.modules`` after importing ``module`` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, module], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(result.stdout))


def loaded_from(modules: set[str], roots: tuple[str, ...]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in roots}


@pytest.mark.parametrize("module", ["tokenward_client", "tokenward_client.verification"])
def test_importing_the_client_loads_no_server_module_and_no_server_library(module: str) -> None:
    modules = modules_loaded_by(module)
    assert "tokenward_client.verification" in modules  # positive control: the import did happen
    assert loaded_from(modules, ("tokenward",)) == set()
    assert loaded_from(modules, SERVER_LIBRARIES) == set()
    assert loaded_from(modules, NOT_DEPENDED_ON) == set()


def test_the_fastapi_integration_loads_fastapi_but_no_server_module() -> None:
    modules = modules_loaded_by("tokenward_client.fastapi")
    assert "fastapi" in modules
    assert loaded_from(modules, ("tokenward",)) == set()
    assert loaded_from(modules, ("sqlalchemy", "asyncpg", "redis", "argon2", "joserfc")) == set()


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of PEP 508 requirements, without versions, extras or markers."""
    return {re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


@pytest.mark.threat("T-SUP-01")
def test_the_client_depends_on_cryptography_and_httpx_only() -> None:
    project = tomllib.loads(CLIENT_PROJECT.read_text(encoding="utf-8"))["project"]
    assert project["name"] == "tokenward-client"
    assert _names(project["dependencies"]) == {"cryptography", "httpx"}
    assert {
        extra: _names(requirements) for extra, requirements in project["optional-dependencies"].items()
    } == {"fastapi": {"fastapi"}}


def test_the_server_depends_on_the_client_at_its_version() -> None:
    """One verifier: the server uses the client's, pinned to the version in this repository."""
    client = tomllib.loads(CLIENT_PROJECT.read_text(encoding="utf-8"))["project"]
    server = tomllib.loads((CLIENT_PROJECT.parents[2] / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    assert f"tokenward-client=={client['version']}" in server["dependencies"]
