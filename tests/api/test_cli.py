"""The command line, run in-process against a SQLite data folder: migrate, users, keys, doctor, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tokenward.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOKENWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOKENWARD_ARGON2_MEMORY_KIB", "64")
    monkeypatch.setenv("TOKENWARD_ARGON2_TIME_COST", "1")
    return tmp_path / "data"


def test_migrate_then_users_and_keys(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == EXIT_OK
    assert "database schema is up to date (sqlite+aiosqlite)" in capsys.readouterr().out

    monkeypatch.setattr("sys.stdin", io.StringIO("a long operator passphrase\n"))
    assert main(["users", "create", "Op@Example.com", "--password-stdin", "--verified"]) == EXIT_OK
    created = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert created["email"] == "Op@Example.com"  # kept as typed; found by any case of its ASCII letters

    assert main(["users", "disable", "op@example.com"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["disabled"] is True
    assert main(["users", "enable", "op@example.com"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["disabled"] is False

    assert main(["keys", "list"]) == EXIT_OK
    keys = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(k["alg"], k["state"]) for k in keys] == [("ES256", "active")]


def test_refusals_have_clear_messages_and_exit_codes(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "disable", "ghost@example.com"]) == EXIT_REFUSED
    assert "not_found: No user with that e-mail address" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO("password\n"))
    assert main(["users", "create", "weak@example.com", "--password-stdin"]) == EXIT_REFUSED
    assert "password_rejected" in capsys.readouterr().err


@pytest.mark.threat("T-KEY-03")
def test_production_mode_refuses_to_run_commands_with_insecure_settings(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOKENWARD_MODE", "production")
    assert main(["migrate"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "configuration refused" in err
    assert "TOKENWARD_KEK" in err
    assert main(["doctor"]) == EXIT_USAGE
    assert "refuses to start" in capsys.readouterr().out


def test_invalid_setting_is_named(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOKENWARD_SIGNING_ALGORITHM", "HS256")
    assert main(["doctor"]) == EXIT_USAGE
    assert "TOKENWARD_SIGNING_ALGORITHM" in capsys.readouterr().err


def test_keys_rewrap_moves_everything_to_the_new_kek(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64
    import secrets

    old, new = (base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() for _ in range(2))
    monkeypatch.setenv("TOKENWARD_KEK", old)
    assert main(["keys", "list"]) == EXIT_OK
    (data_dir / "new-kek").write_text(new)
    capsys.readouterr()
    assert main(["keys", "rewrap", "--new-kek-file", str(data_dir / "new-kek")]) == EXIT_OK
    assert json.loads(capsys.readouterr().out.strip()) == {"signing_keys": 1, "totp_secrets": 0}
    # the old KEK no longer opens the keys: start-up refuses it, and the new one works
    assert main(["keys", "list"]) == EXIT_USAGE
    assert "cannot decrypt the stored signing keys" in capsys.readouterr().err
    monkeypatch.setenv("TOKENWARD_KEK", new)
    assert main(["keys", "list"]) == EXIT_OK
