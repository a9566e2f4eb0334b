"""``tokenward clients``: create, show, update, new-secret, list and delete, with the registry's refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tokenward.cli import EXIT_OK, EXIT_REFUSED, main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOKENWARD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(["clients", *args]) == EXIT_OK
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_a_client_through_its_life(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    created = run(
        capsys,
        "create",
        "Shop",
        "--type",
        "public",
        "--redirect-uri",
        "https://shop.example/cb",
        "--post-logout-redirect-uri",
        "https://shop.example/",
        "--scope",
        "openid email",
        "--first-party",
        "--backchannel-logout-uri",
        "https://shop.example/backchannel",
    )
    client_id = created["client_id"]
    assert created["backchannel_logout_uri"] == "https://shop.example/backchannel"
    assert "client_secret" not in created
    assert created["scopes"] == ["email", "openid"]
    assert created["first_party"] is True

    updated = run(
        capsys,
        "update",
        client_id,
        "--redirect-uri",
        "https://shop.example/new",
        "--no-first-party",
        "--backchannel-logout-uri",
        "",
    )
    assert updated["backchannel_logout_uri"] is None
    assert updated["redirect_uris"] == ["https://shop.example/new"]
    assert updated["post_logout_redirect_uris"] == ["https://shop.example/"]
    assert updated["first_party"] is False
    assert run(capsys, "show", client_id) == updated

    server = run(capsys, "create", "Billing API")
    assert server["type"] == "confidential"
    assert server["client_secret"].startswith("tws_")
    renewed = run(capsys, "new-secret", server["client_id"])
    assert renewed["client_secret"] != server["client_secret"]

    assert main(["clients", "list"]) == EXIT_OK
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [c["client_id"] for c in listed] == [client_id, server["client_id"]]
    assert run(capsys, "delete", client_id) == {"deleted": client_id}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "x", "--redirect-uri", "http://evil.example/cb"], "must use https"),
        (["create", "x", "--redirect-uri", "https://a.example/cb#f"], "must not contain a fragment"),
        (["create", "x", "--scope", "root"], "Unknown scope 'root'"),
        (
            ["create", "x", "--backchannel-logout-uri", "http://rp.example/logout"],
            "Back-channel logout URI 'http://rp.example/logout' must use https",
        ),
        (
            ["create", "x", "--backchannel-logout-uri", "https://rp.example/logout#x"],
            "must not contain a fragment",
        ),
        (["create", "x", "--backchannel-logout-uri", "com.example.app:/logout"], "must be an https URI"),
        (["create", "x", "--type", "public", "--scope", "admin"], "Only a confidential client"),
        (["show", "twc-none"], "not_found"),
        (["new-secret", "twc-none"], "not_found"),
    ],
)
def test_refusals(data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["clients", *args]) == EXIT_REFUSED
    assert message in capsys.readouterr().err
