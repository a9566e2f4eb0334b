"""The NIST SP 800-63B rules for new passwords, one rule at a time, with accepting and rejecting examples."""

from __future__ import annotations

import hashlib

import pytest

from tokenward.domain.accounts.passwords import (
    PasswordChecker,
    PasswordPolicy,
    context_words_for,
    normalize_password,
)
from tokenward.domain.accounts.passwords.policy import (
    REASON_COMMON,
    REASON_CONTEXT,
    REASON_CONTROL,
    REASON_EMPTY,
    REASON_SURROGATE,
    REASON_TRIVIAL,
)
from tokenward.errors import PasswordRejected

TOO_SHORT = "must be at least 8 characters long"
TOO_LONG = "must be at most 1024 characters long"


@pytest.fixture(scope="module")
def checker() -> PasswordChecker:
    return PasswordChecker(PasswordPolicy())


def random_looking(length: int) -> str:
    """A deterministic password of ``length`` characters that breaks no rule but the length ones."""
    text = ""
    counter = 0
    while len(text) < length:
        text += hashlib.sha256(str(counter).encode()).hexdigest()
        counter += 1
    return text[:length]


# --- the policy itself -------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = PasswordPolicy()
    assert (policy.min_length, policy.max_length, policy.service_name) == (8, 1024, "Tokenward")


@pytest.mark.parametrize(
    ("min_length", "max_length"),
    [(7, 1024), (8, 63), (100, 64)],
    ids=["min-below-nist", "max-below-64", "max-below-min"],
)
def test_policy_refuses_settings_below_nist(min_length: int, max_length: int) -> None:
    with pytest.raises(ValueError, match="must be at least"):
        PasswordPolicy(min_length=min_length, max_length=max_length)


def test_a_stricter_minimum_is_allowed(checker: PasswordChecker) -> None:
    strict = PasswordChecker(PasswordPolicy(min_length=15))
    assert strict.problems("violet tractor") == ["must be at least 15 characters long"]
    assert strict.problems("violet tractors!") == []


# --- length -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [8, 9, 15, 64, 65, 1000, 1024])
def test_lengths_from_8_to_1024_are_accepted(checker: PasswordChecker, length: int) -> None:
    assert checker.problems(random_looking(length)) == []


@pytest.mark.parametrize("length", [1, 7])
def test_shorter_than_8_is_rejected(checker: PasswordChecker, length: int) -> None:
    assert checker.problems(random_looking(length)) == [TOO_SHORT]


@pytest.mark.parametrize("length", [1025, 5000])
def test_longer_than_1024_is_rejected(checker: PasswordChecker, length: int) -> None:
    assert checker.problems(random_looking(length)) == [TOO_LONG]


def test_length_counts_code_points_not_bytes(checker: PasswordChecker) -> None:
    eight_cjk = "我的密码很安全啊"  # 24 bytes in UTF-8, 8 code points
    assert checker.problems(eight_cjk) == []
    assert checker.problems(eight_cjk[:7]) == [TOO_SHORT]


def test_length_is_counted_after_normalisation(checker: PasswordChecker) -> None:
    decomposed = "a\u0301e\u0301i\u0301o\u0301u\u0301y\u0301z"  # 13 code points typed, 7 after NFKC
    assert len(decomposed) == 13
    assert checker.problems(decomposed) == [TOO_SHORT]


def test_empty_password_is_rejected_with_one_reason(checker: PasswordChecker) -> None:
    assert checker.problems("") == [REASON_EMPTY]


# --- no composition rules, whitespace allowed ---------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "lowercase letters only make a fine passphrase",
        "dkqpwmzrtvbn",
        "ÇA VA TRÈS BIEN MERCI",
        "🦊🐻🐼🐨🐯🦁🐮🐷",
    ],
)
def test_no_composition_rules(checker: PasswordChecker, password: str) -> None:
    assert checker.problems(password) == []


@pytest.mark.parametrize("password", ["  two leading spaces", "trailing spaces  ", "in  between\u00a0nbsp"])
def test_spaces_are_allowed_and_kept(checker: PasswordChecker, password: str) -> None:
    assert checker.problems(password) == []
    assert normalize_password(password).strip(" \u00a0") == normalize_password(password.strip(" \u00a0"))
    assert len(normalize_password(password)) == len(password)  # nothing stripped


# --- control characters and broken Unicode ------------------------------------------------------------


@pytest.mark.parametrize("char", ["\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_rejected(checker: PasswordChecker, char: str) -> None:
    assert checker.problems(f"violet{char}tractor") == [REASON_CONTROL]


def test_unpaired_surrogates_are_rejected(checker: PasswordChecker) -> None:
    assert checker.problems("violet\ud800tractor") == [REASON_SURROGATE]


# --- common passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password", "PASSWORD", "PassWord", "iloveyou", "Trustno1", "sunshine"])
def test_common_passwords_are_rejected_whatever_the_case(checker: PasswordChecker, password: str) -> None:
    assert checker.problems(password) == [REASON_COMMON]


def test_a_custom_blocklist_replaces_the_shipped_one() -> None:
    custom = PasswordChecker(PasswordPolicy(), blocklist=frozenset({"violet tractor"}))
    assert custom.problems("Violet Tractor") == [REASON_COMMON]
    assert custom.problems("password") == []


# --- context words ------------------------------------------------------------------------------------


def test_context_words_for_splits_the_email() -> None:
    assert context_words_for("Alice.Smith+tw@Mail.Example.co.uk", "Tokenward") == [
        "alice.smith+tw@mail.example.co.uk",
        "alice.smith+tw",
        "alice",
        "smith",
        "mail",
        "example",
        "tokenward",
    ]


def test_context_words_skip_short_pieces_and_the_tld() -> None:
    assert context_words_for("al_bo@ex.info", "Tokenward") == ["al_bo@ex.info", "al_bo", "tokenward"]


@pytest.mark.parametrize(
    "password",
    [
        "alice.smith+tw@mail.example.co.uk",
        "ALICE.SMITH+TW@MAIL.EXAMPLE.CO.UK",
        "i am alice, hello",
        "smith family 2026",
        "example company rocks",
        "my tokenward login",
        "TOKENWARD!!",
        "ｔｏｋｅｎｗａｒｄ and more",  # full-width: NFKC turns it into the service name
    ],
)
def test_passwords_containing_context_words_are_rejected(checker: PasswordChecker, password: str) -> None:
    words = context_words_for("Alice.Smith+tw@Mail.Example.co.uk", "Tokenward")
    assert checker.problems(password, words) == [REASON_CONTEXT]


@pytest.mark.parametrize("password", ["tw and tw again", "united kingdom", "violet tractor"])
def test_unrelated_passwords_pass_the_context_check(checker: PasswordChecker, password: str) -> None:
    words = context_words_for("Alice.Smith+tw@Mail.Example.co.uk", "Tokenward")
    assert checker.problems(password, words) == []


def test_the_service_name_is_always_a_context_word() -> None:
    checker = PasswordChecker(PasswordPolicy(service_name="Acme Login"))
    assert checker.problems("my acme login pass") == [REASON_CONTEXT]


def test_short_context_words_are_ignored(checker: PasswordChecker) -> None:
    assert checker.problems("violet tractor", ["vio", "a", ""]) == []


# --- repeated characters and sequences ----------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaa",
        "ZZZZZZZZZZZZ",
        "........",
        "abababab",
        "abcabcabcabc",
        "87654321",
        "abcdefgh",
        "ZYXWVUTS",
        "34567890",
        "qwertzuiop",
        "lkjhgfdsa",
    ],
)
def test_repeated_characters_and_simple_sequences_are_rejected(
    checker: PasswordChecker, password: str
) -> None:
    assert REASON_TRIVIAL in checker.problems(password)


@pytest.mark.parametrize("password", ["abcdefgz", "aaaaaaab", "abcdabce", "13579bdf"])
def test_near_sequences_are_not_flagged(checker: PasswordChecker, password: str) -> None:
    assert REASON_TRIVIAL not in checker.problems(password)


# --- several reasons and the exception ---------------------------------------------------------------


def test_every_broken_rule_is_reported(checker: PasswordChecker) -> None:
    assert checker.problems("aaa\t") == [TOO_SHORT, REASON_CONTROL]


def test_check_raises_password_rejected_with_all_reasons(checker: PasswordChecker) -> None:
    with pytest.raises(PasswordRejected) as caught:
        checker.check("tokenward", ["tokenward"])
    assert caught.value.reasons == [REASON_CONTEXT]
    assert caught.value.code == "password_rejected"
    assert caught.value.status == 422


def test_check_accepts_a_good_password(checker: PasswordChecker) -> None:
    checker.check("violet tractor on the moon", context_words_for("alice@example.com", "Tokenward"))


def test_reasons_never_echo_the_password(checker: PasswordChecker) -> None:
    password = "tokenwardsecret\t"
    for reason in checker.problems(password):
        assert password.strip() not in reason


# --- normalisation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("\ufb01nance", "finance"),  # "ﬁ" ligature
        ("caf\u0065\u0301", "caf\u00e9"),  # decomposed é -> composed
        ("\uff50\uff41\uff53\uff53", "pass"),  # full-width letters
        ("\u2460\u2461", "12"),  # circled digits
        ("\u3000x\u3000", " x "),  # ideographic space -> space, kept
    ],
)
def test_normalize_password_is_nfkc(typed: str, expected: str) -> None:
    assert normalize_password(typed) == expected


def test_normalize_password_is_idempotent_and_keeps_case() -> None:
    once = normalize_password("Ǆemal \ufb01 Ⅻ")
    assert normalize_password(once) == once
    assert normalize_password("MiXeD") == "MiXeD"
