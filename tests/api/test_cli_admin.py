"""The operator's commands: users list|show|erase, audit verify|export, clients create --scope."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from tests.audit_support import tamper
from tokenward.adapters.sql import Database
from tokenward.cli import EXIT_OK, EXIT_REFUSED, main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOKENWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOKENWARD_ARGON2_MEMORY_KIB", "64")
    monkeypatch.setenv("TOKENWARD_ARGON2_TIME_COST", "1")
    return tmp_path / "data"


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def _create(email: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long operator passphrase\n"))
    assert main(["users", "create", email, "--password-stdin"]) == EXIT_OK


def test_users_list_show_and_erase(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for email in ("ann@example.com", "bob@example.com"):
        _create(email, monkeypatch)
    capsys.readouterr()

    assert main(["users", "list", "--query", "ann"]) == EXIT_OK
    listed = _lines(capsys)
    assert [u["email"] for u in listed] == ["ann@example.com"]

    assert main(["users", "show", "ann@example.com"]) == EXIT_OK
    shown = _lines(capsys)[0]
    assert shown["user"]["id"] == listed[0]["id"]  # type: ignore[index]

    assert main(["users", "erase", "ann@example.com", "--yes"]) == EXIT_OK
    assert _lines(capsys) == [{"erased": listed[0]["id"]}]
    assert main(["users", "show", "ann@example.com"]) == EXIT_REFUSED
    assert "not_found" in capsys.readouterr().err


def test_clients_create_with_the_admin_scope(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", "create", "ops", "--scope", "admin"]) == EXIT_OK
    assert _lines(capsys)[0]["scopes"] == ["admin"]
    assert main(["clients", "create", "ops", "--scope", "root"]) == EXIT_REFUSED
    assert "Unknown scope 'root'" in capsys.readouterr().err


@pytest.mark.threat("T-AUD-02")
def test_audit_verify_names_the_first_broken_link_and_export_writes_json_lines(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _create("carol@example.com", monkeypatch)
    assert main(["users", "disable", "carol@example.com"]) == EXIT_OK
    capsys.readouterr()

    assert main(["audit", "verify"]) == EXIT_OK
    verified = _lines(capsys)[0]
    assert verified["ok"] is True
    assert main(["audit", "export"]) == EXIT_OK
    exported = _lines(capsys)
    assert len(exported) == verified["checked"]
    assert [e["seq"] for e in exported] == list(range(1, len(exported) + 1))

    async def edit() -> None:
        db = Database(f"sqlite+aiosqlite:///{data_dir / 'tokenward.db'}")
        try:
            await tamper(db, "UPDATE audit_events SET outcome = 'refused' WHERE id = 2")
        finally:
            await db.dispose()

    asyncio.run(edit())
    assert main(["audit", "verify"]) == EXIT_REFUSED
    captured = capsys.readouterr()
    assert json.loads(captured.out)["broken_at"] == 2
    assert "audit chain broken at event 2: the stored hash does not match" in captured.err
