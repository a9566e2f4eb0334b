"""No password, token or secret ever reaches a log line (audit lines included)."""

from __future__ import annotations

import json

import pytest
from tests.harness import RunningApp, bearer, make_settings, running_app

from tokenward.adapters.logging import configure_logging, get_logger
from tokenward.domain.audit.events import REDACTED

PASSWORD = "unusual passphrase for the log test"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    async with running_app(make_settings(tmp_path_factory.mktemp("logs"))) as running:
        yield running


@pytest.mark.threat("T-API-02")
async def test_a_full_session_writes_no_secret_to_the_log(
    api: RunningApp, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack surface: log files read by operators, shippers and attackers who reach the log store."""
    email = "logs@example.com"
    await api.sign_up(email, PASSWORD)
    await api.sign_up(email, PASSWORD)  # the existing-address path too
    await api.client.post("/v1/login", json={"email": email, "password": "a wrong password guess"})
    tokens = await api.login(email, PASSWORD)
    refreshed = (await api.refresh(tokens["refresh_token"])).json()
    api.clock.advance(60)
    await api.refresh(tokens["refresh_token"])  # reuse: a security event with the family
    await api.client.post(
        "/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "another unusual passphrase"},
        headers=bearer(refreshed["access_token"]),
    )
    output = capsys.readouterr().err
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    audit_types = {line.get("audit_type") for line in lines}
    assert {
        "signup",
        "signup_existing_email",
        "login_failed",
        "login_succeeded",
        "refresh_token_reuse",
    } <= audit_types
    for secret in (
        PASSWORD,
        "a wrong password guess",
        "another unusual passphrase",
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        api.settings.kek.get_secret_value() if api.settings.kek else "unset",
    ):
        assert secret not in output


@pytest.mark.threat("T-API-02")
def test_secrets_passed_to_a_logger_by_mistake_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    jwt_like = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
    get_logger("test").info(
        f"user sent {jwt_like}",
        password="hunter2hunter2",
        refresh_token="twr_abc",
        nested={"client_secret": "s3cr3t", "note": f"Bearer {jwt_like}"},
        harmless="hello",
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["password"] == REDACTED
    assert line["refresh_token"] == REDACTED
    assert line["nested"]["client_secret"] == REDACTED
    assert jwt_like not in json.dumps(line)
    assert line["harmless"] == "hello"
