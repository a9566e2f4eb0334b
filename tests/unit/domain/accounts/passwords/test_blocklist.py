"""The shipped common-password list: present in the package, large enough for NIST, and well-formed."""

from __future__ import annotations

from importlib import resources

from tokenward.domain.accounts.passwords import load_common_passwords
from tokenward.domain.accounts.passwords.blocklist import COMMON_PASSWORDS_FILE

DATA = resources.files("tokenward.domain.accounts.passwords").joinpath("data")


def test_list_holds_at_least_the_10000_most_common_passwords() -> None:
    assert len(load_common_passwords()) >= 10_000


def test_list_contains_the_classics() -> None:
    common = load_common_passwords()
    for word in ("password", "123456", "qwerty", "iloveyou", "letmein"):
        assert word in common


def test_list_is_cached() -> None:
    assert load_common_passwords() is load_common_passwords()


def test_file_is_lower_case_deduplicated_and_one_per_line() -> None:
    lines = DATA.joinpath(COMMON_PASSWORDS_FILE).read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""  # ends with a newline
    words = lines[:-1]
    assert all(words)
    assert all(word == word.lower() == word.strip() for word in words)
    assert len(words) == len(set(words))
    assert len(words) <= 30_000


def test_file_stays_small() -> None:
    assert len(DATA.joinpath(COMMON_PASSWORDS_FILE).read_bytes()) < 400 * 1024


def test_source_and_licence_are_documented() -> None:
    source = DATA.joinpath("SOURCE.md").read_text(encoding="utf-8")
    assert "zxcvbn" in source
    assert "4.5.0" in source
    assert "MIT License" in source
