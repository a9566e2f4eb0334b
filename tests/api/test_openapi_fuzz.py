"""The OpenAPI document tells the truth: schemathesis, every check, against a live server.

One ``tokenward serve`` process (embedded SQLite, rate limits off so that the fuzzer's many sign-ins are answered
rather than throttled) and one run of ``st run --checks all`` over every operation: the examples, coverage,
fuzzing and stateful phases, with deterministic generation, so a run is the same on every machine. The run
signs in as a user of its own (``tests/api/schemathesis.toml``) and introspects as a registered API client, so
the operations behind authentication are explored too. Any failure (an undocumented status, content type or
header, a schema-valid request refused, a schema-invalid one accepted, a 5xx ...) fails the test with the
fuzzer's report, which names the operation, the check and a curl command to reproduce it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import STRONG_PASSWORD
from tests.servers import CHEAP_ARGON2, tokenward_server

CONFIG = Path(__file__).with_name("schemathesis.toml")
#: generated cases per operation and phase; with deterministic generation the run takes well under 2 minutes
MAX_EXAMPLES = 40
FUZZ_EMAIL = "fuzzer@example.com"
SERVER_SETTINGS = {"TOKENWARD_RATE_LIMITS_ENABLED": "false"}


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The live server's URL and the credentials the fuzzer signs in with."""
    workdir = tmp_path_factory.mktemp("fuzz")
    with tokenward_server(workdir, SERVER_SETTINGS) as base:
        signup = httpx.post(f"{base}/v1/signup", json={"email": FUZZ_EMAIL, "password": STRONG_PASSWORD})
        assert signup.status_code == 202, signup.text
        client = _create_api_client(workdir, base)
        yield (
            base,
            {
                "TOKENWARD_FUZZ_EMAIL": FUZZ_EMAIL,
                "TOKENWARD_FUZZ_PASSWORD": STRONG_PASSWORD,
                "TOKENWARD_FUZZ_CLIENT_ID": client["client_id"],
                "TOKENWARD_FUZZ_CLIENT_SECRET": client["client_secret"],
            },
        )


def _create_api_client(workdir: Path, base: str) -> dict[str, str]:
    """``tokenward clients create`` in the server's working directory (the same embedded database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
    env |= CHEAP_ARGON2 | SERVER_SETTINGS | {"TOKENWARD_ISSUER": base}
    tokenward = Path(sys.executable).with_name("tokenward")
    created = subprocess.run(
        [str(tokenward), "clients", "create", "fuzzer"],
        cwd=workdir,
        env=env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    client: dict[str, str] = json.loads(created.stdout)
    return client


def test_the_server_answers_as_its_openapi_document_says(
    fuzz_target: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, credentials = fuzz_target
    st = Path(sys.executable).with_name("st")
    run = subprocess.run(
        [
            str(st),
            "--config-file",
            str(CONFIG),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "1",
            "--generation-deterministic",
            "--no-color",
            "--continue-on-failure",
            "--workers",
            "1",
        ],
        env=os.environ | credentials,
        cwd=tmp_path,  # where schemathesis keeps its cache
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "No issues found" in run.stdout or " passed" in run.stdout, run.stdout[-5000:]
