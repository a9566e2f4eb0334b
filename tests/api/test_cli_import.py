"""``tokenward users import``: foreign hashes in, verified and replaced at sign-in, refused lines reported."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import warnings
from pathlib import Path
from typing import Any

import argon2
import bcrypt
import pytest

from tokenward.bootstrap import build_container
from tokenward.cli import EXIT_OK, EXIT_REFUSED, main
from tokenward.cli_import import EXIT_UNREADABLE, Progress
from tokenward.config import Settings
from tokenward.domain.context import RequestContext
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import InvalidCredentials

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # passlib 1.7 imports the deprecated ``crypt``
    from passlib.hash import django_pbkdf2_sha256, pbkdf2_sha256, scrypt

PASSWORD = "imported pass phrase 7"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOKENWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOKENWARD_ARGON2_MEMORY_KIB", "64")
    monkeypatch.setenv("TOKENWARD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("TOKENWARD_RATE_LIMITS_ENABLED", "false")
    return tmp_path / "data"


def _hashes(password: str = PASSWORD) -> dict[str, str]:
    return {
        "bcrypt": bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$"),
        "argon2i": argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=argon2.Type.I).hash(
            password
        ),
        "django": str(django_pbkdf2_sha256.using(rounds=1000).hash(password)),
        "passlib": str(pbkdf2_sha256.using(rounds=1000).hash(password)),
        "scrypt": str(scrypt.using(rounds=4).hash(password)),
    }


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def _output(capsys: pytest.CaptureFixture[str]) -> tuple[list[dict[str, Any]], str]:
    captured = capsys.readouterr()
    return [
        json.loads(line) for line in captured.out.splitlines() if line.startswith("{")
    ], captured.out + captured.err


async def _sign_in_and_stored_hash(email: str, password: str) -> tuple[bool, str | None]:
    container = await build_container(Settings())
    try:
        try:
            result = await container.accounts.sign_in(email, password, RequestContext(ip="192.0.2.1"))
        except InvalidCredentials:
            result = None
        user = await container.users.get_by_email(email)
        assert user is not None
        return isinstance(result, TokenPair), user.password_hash
    finally:
        await container.close()


def test_every_format_imports_signs_in_and_is_replaced_by_argon2id(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hashes = _hashes()
    rows: list[dict[str, Any]] = [{"email": f"{name}@example.com", "hash": h} for name, h in hashes.items()]
    rows[0] |= {"display_name": "Ada", "email_verified": True}
    source = _write_jsonl(tmp_path / "users.jsonl", rows)

    assert main(["users", "import", str(source)]) == EXIT_OK

    lines, printed = _output(capsys)
    assert lines == [{"imported": 5, "skipped": 0, "refused": 0}]
    assert printed.count("importing:") == 0  # no progress when standard error is not a terminal
    for name, stored in hashes.items():
        assert stored not in printed
        signed_in, replaced = asyncio.run(_sign_in_and_stored_hash(f"{name}@example.com", PASSWORD))
        assert signed_in, name
        assert replaced is not None
        assert replaced.startswith("$argon2id$"), name
    wrong, kept = asyncio.run(_sign_in_and_stored_hash("bcrypt@example.com", "not the password"))
    assert not wrong
    assert kept is not None
    assert kept.startswith("$argon2id$")


def test_a_second_run_skips_existing_addresses_and_overwrites_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write_jsonl(
        tmp_path / "users.jsonl", [{"email": "ann@example.com", "hash": _hashes()["django"]}]
    )
    assert main(["users", "import", str(source)]) == EXIT_OK
    capsys.readouterr()
    other = _write_jsonl(
        tmp_path / "again.jsonl",
        [{"email": "ANN@example.com", "hash": _hashes("another password")["django"]}],
    )

    assert main(["users", "import", str(other)]) == EXIT_OK

    lines, _ = _output(capsys)
    assert lines == [
        {"line": 1, "status": "skipped", "reason": "an account with this address exists"},
        {"imported": 0, "skipped": 1, "refused": 0},
    ]
    assert asyncio.run(_sign_in_and_stored_hash("ann@example.com", PASSWORD))[0]


def test_refused_lines_are_reported_with_numbers_and_reasons_and_import_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack and accident alike: a hash of an unknown kind, a damaged one, a look-alike address."""
    good = _hashes()["bcrypt"]
    damaged = good[:-5]
    rows: list[Any] = [
        {"email": "ok@example.com", "hash": good},
        {"email": "md5@example.com", "hash": "5f4dcc3b5aa765d61d8327deb882cf99"},
        {"email": "damaged@example.com", "hash": damaged},
        {"email": "costly@example.com", "hash": "pbkdf2_sha256$999999999$salt$" + "A" * 43 + "="},
        {"email": "victim@ex\u0430mple.com", "hash": good},
        {"email": "not-an-address", "hash": good},
        {"email": "nohash@example.com"},
        {"email": "OK@example.com", "hash": good},
        "{not json",
        '["a list"]',
        {"email": "extra@example.com", "hash": good, "password": "plain"},
    ]
    source = _write_jsonl(tmp_path / "mixed.jsonl", rows)

    assert main(["users", "import", str(source)]) == EXIT_REFUSED

    lines, printed = _output(capsys)
    reasons = {line["line"]: line["reason"] for line in lines if line.get("status") == "refused"}
    assert reasons == {
        2: "hash: unknown hash format",
        3: "hash: bcrypt: expected $2b$<cost>$ and 53 characters of salt and digest",
        4: "hash: pbkdf2_sha256: the iteration count must be between 1 and 10,000,000",
        5: reasons[5],
        6: "email: a valid e-mail address is required",
        7: "hash: the hash is missing",
        8: "email: the same address as line 1",
        9: "not valid JSON",
        10: "not a JSON object",
        11: "unknown field 'password'",
    }
    assert reasons[5].startswith("email: the domain mixes letters of different scripts")
    assert lines[-1] == {"imported": 1, "skipped": 0, "refused": 10}
    assert good not in printed
    assert damaged not in printed
    assert "plain" not in printed
    for refused in ("md5@example.com", "damaged@example.com", "costly@example.com", "nohash@example.com"):
        assert asyncio.run(_no_account(refused))


async def _no_account(email: str) -> bool:
    container = await build_container(Settings())
    try:
        return await container.users.get_by_email(email) is None
    finally:
        await container.close()


def test_csv_with_optional_columns(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hashes = _hashes()
    source = tmp_path / "users.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)  # scrypt hashes hold commas: the writer quotes them
        writer.writerow(["email", "hash", "display_name", "email_verified"])
        writer.writerow(["csv-one@example.com", hashes["scrypt"], "Ada Lovelace", "true"])
        writer.writerow(["csv-two@example.com", hashes["passlib"], "", ""])
        writer.writerow(["csv-three@example.com", hashes["django"], "x", "maybe"])
        writer.writerow(["csv-four@example.com", "only-two-values"])

    assert main(["users", "import", str(source)]) == EXIT_REFUSED

    lines, _ = _output(capsys)
    assert lines == [
        {"line": 4, "status": "refused", "reason": "email_verified: must be true or false"},
        {"line": 5, "status": "refused", "reason": "fewer values than the header has columns"},
        {"imported": 2, "skipped": 0, "refused": 2},
    ]

    async def check() -> tuple[Any, Any]:
        container = await build_container(Settings())
        try:
            return (
                await container.users.get_by_email("csv-one@example.com"),
                await container.users.get_by_email("csv-two@example.com"),
            )
        finally:
            await container.close()

    one, two = asyncio.run(check())
    assert (one.display_name, one.email_verified) == ("Ada Lovelace", True)
    assert (two.display_name, two.email_verified) == (None, False)


def test_a_csv_without_the_required_columns_is_refused_whole(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "users.csv"
    source.write_text("mail,password_hash\na@example.com,x\n", encoding="utf-8")
    assert main(["users", "import", str(source)]) == EXIT_UNREADABLE
    assert "the CSV header has no email or hash column" in capsys.readouterr().err
    assert main(["users", "import", str(tmp_path / "missing.jsonl")]) == EXIT_UNREADABLE


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only(tmp_path: Path) -> None:
    source = tmp_path / "four.jsonl"
    source.write_text("{}\n" * 4, encoding="utf-8")
    terminal = _Terminal()
    progress = Progress.for_terminal(source, terminal)
    progress(2)
    progress(4)
    progress.done()
    assert terminal.getvalue() == ("\rimporting: line 2 of 4 (50%)\rimporting: line 4 of 4 (100%)\n")
    piped = io.StringIO()
    silent = Progress.for_terminal(source, piped)
    silent(4)
    silent.done()
    assert piped.getvalue() == ""
