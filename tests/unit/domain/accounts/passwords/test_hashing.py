"""Argon2id hashing, verification of stored and imported hashes, and the rehash signal."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

import argon2
import pytest

from tokenward.domain.accounts.passwords import (
    Argon2Parameters,
    PasswordHasher,
    VerifyResult,
    normalize_password,
)

CHEAP = Argon2Parameters.for_tests()


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(CHEAP)


def django_pbkdf2(password: str, salt: str = "seasalt0123", iterations: int = 1000) -> str:
    """Build a hash exactly as Django's PBKDF2PasswordHasher.encode does."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii').strip()}"


# --- parameters -----------------------------------------------------------------------------------------


def test_default_parameters_are_owasp() -> None:
    assert Argon2Parameters() == Argon2Parameters(memory_kib=19456, time_cost=2, parallelism=1)


def test_owasp_defaults_produce_the_expected_hash_prefix() -> None:
    assert PasswordHasher().hash("violet tractor").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_test_parameters_are_cheap_but_valid() -> None:
    assert Argon2Parameters(memory_kib=8, time_cost=1, parallelism=1) == CHEAP
    assert PasswordHasher(CHEAP).hash("x").startswith("$argon2id$v=19$m=8,t=1,p=1$")


@pytest.mark.parametrize(
    "kwargs",
    [{"time_cost": 0}, {"parallelism": 0}, {"memory_kib": 7}, {"memory_kib": 16, "parallelism": 4}],
)
def test_parameters_below_argon2_minimums_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="at least"):
        Argon2Parameters(**kwargs)


def test_parameters_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CHEAP.time_cost = 3  # type: ignore[misc]


# --- round trip -----------------------------------------------------------------------------------------


def test_roundtrip(hasher: PasswordHasher) -> None:
    stored = hasher.hash("violet tractor")
    assert hasher.verify(stored, "violet tractor") == VerifyResult(ok=True, needs_rehash=False)


def test_wrong_password(hasher: PasswordHasher) -> None:
    stored = hasher.hash("violet tractor")
    assert hasher.verify(stored, "violet tractors") == VerifyResult(ok=False, needs_rehash=False)
    assert hasher.verify(stored, "Violet tractor").ok is False
    assert hasher.verify(stored, "").ok is False


def test_each_hash_has_its_own_salt(hasher: PasswordHasher) -> None:
    assert hasher.hash("violet tractor") != hasher.hash("violet tractor")


def test_no_truncation_at_100_characters(hasher: PasswordHasher) -> None:
    first, second = "x" * 99 + "a", "x" * 99 + "b"
    assert hasher.verify(hasher.hash(first), second).ok is False
    assert hasher.verify(hasher.hash(second), first).ok is False
    assert hasher.verify(hasher.hash(first), first).ok is True


def test_no_truncation_at_1024_characters(hasher: PasswordHasher) -> None:
    long = "correct horse battery staple " * 36
    long = long[:1023] + "1"
    stored = hasher.hash(long)
    assert hasher.verify(stored, long).ok is True
    assert hasher.verify(stored, long[:1023] + "2").ok is False
    assert hasher.verify(stored, long[:1023]).ok is False


@pytest.mark.parametrize(
    ("at_signup", "at_login"),
    [
        ("\ufb01nance report", "finance report"),  # ligature vs plain letters
        ("caf\u00e9 au lait", "cafe\u0301 au lait"),  # composed vs decomposed é
        ("ｐａｓｓ ｐｈｒａｓｅ", "pass phrase"),  # full-width vs ASCII
    ],
)
def test_equivalent_unicode_verifies_after_normalisation(
    hasher: PasswordHasher, at_signup: str, at_login: str
) -> None:
    stored = hasher.hash(normalize_password(at_signup))
    assert hasher.verify(stored, normalize_password(at_login)).ok is True
    # without the normalisation step the two spellings are different secrets
    assert hasher.verify(stored, at_login).ok is (at_login == normalize_password(at_login))


def test_unpaired_surrogate_never_raises(hasher: PasswordHasher) -> None:
    stored = hasher.hash("violet tractor")
    assert hasher.verify(stored, "violet\ud800").ok is False
    hasher.dummy_verify("violet\ud800")


# --- malformed or unknown stored hashes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "violet tractor",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$",
        "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$!!!notbase64",
        "$argon2id$v=19$m=x,t=1,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$argon2d$v=19$m=8,t=1,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$1$salt$hash",
        "pbkdf2_sha256$",
        "pbkdf2_sha256$1000$salt",
        "pbkdf2_sha256$abc$salt$aGFzaA==",
        "pbkdf2_sha256$0$salt$aGFzaA==",
        "pbkdf2_sha256$-5$salt$aGFzaA==",
        "pbkdf2_sha256$1000$$aGFzaA==",
        "pbkdf2_sha256$1000$salt$not base64!",
        "pbkdf2_sha256$1000$salt$aGFzaA==",  # wrong digest length
        "pbkdf2_sha1$1000$salt$aGFzaA==",
        "$argon2id$v=19$m=8,t=1,p=1$sälz$hash",
        "\u00e9" * 40,
    ],
)
def test_malformed_or_unknown_hashes_give_ok_false(hasher: PasswordHasher, stored: str) -> None:
    assert hasher.verify(stored, "violet tractor") == VerifyResult(ok=False, needs_rehash=False)


def test_absurdly_expensive_stored_argon2_hash_is_refused(hasher: PasswordHasher) -> None:
    salt = base64.b64encode(b"0123456789abcdef").decode().rstrip("=")
    digest = base64.b64encode(b"0" * 32).decode().rstrip("=")
    for cost in ("m=4194304,t=1,p=1", "m=8,t=100000,p=1", "m=8192,t=1,p=255"):
        assert hasher.verify(f"$argon2id$v=19${cost}${salt}${digest}", "x").ok is False


def test_absurdly_expensive_pbkdf2_hash_is_refused(hasher: PasswordHasher) -> None:
    stored = django_pbkdf2("violet tractor").replace("$1000$", "$999999999$")
    assert hasher.verify(stored, "violet tractor").ok is False


# --- rehash ------------------------------------------------------------------------------------------------


def test_needs_rehash_after_a_parameter_change(hasher: PasswordHasher) -> None:
    stored = hasher.hash("violet tractor")
    stronger = PasswordHasher(dataclasses.replace(CHEAP, memory_kib=16))
    assert stronger.verify(stored, "violet tractor") == VerifyResult(ok=True, needs_rehash=True)
    assert stronger.verify(stronger.hash("violet tractor"), "violet tractor").needs_rehash is False


def test_wrong_password_never_asks_for_a_rehash(hasher: PasswordHasher) -> None:
    stored = hasher.hash("violet tractor")
    stronger = PasswordHasher(dataclasses.replace(CHEAP, time_cost=2))
    assert stronger.verify(stored, "wrong") == VerifyResult(ok=False, needs_rehash=False)


def test_imported_argon2i_verifies_and_needs_rehash(hasher: PasswordHasher) -> None:
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=argon2.Type.I)
    stored = legacy.hash("violet tractor")
    assert stored.startswith("$argon2i$")
    assert hasher.verify(stored, "violet tractor") == VerifyResult(ok=True, needs_rehash=True)
    assert hasher.verify(stored, "violet tractors").ok is False


def test_imported_argon2id_with_other_parameters_needs_rehash(hasher: PasswordHasher) -> None:
    legacy = argon2.PasswordHasher(time_cost=3, memory_cost=64, parallelism=2, type=argon2.Type.ID)
    stored = legacy.hash("violet tractor")
    assert hasher.verify(stored, "violet tractor") == VerifyResult(ok=True, needs_rehash=True)


def test_imported_django_pbkdf2_verifies_and_needs_rehash(hasher: PasswordHasher) -> None:
    stored = django_pbkdf2("violet tractor")
    assert hasher.verify(stored, "violet tractor") == VerifyResult(ok=True, needs_rehash=True)
    assert hasher.verify(stored, "violet tractors") == VerifyResult(ok=False, needs_rehash=False)


def test_imported_django_pbkdf2_with_non_ascii_password(hasher: PasswordHasher) -> None:
    stored = django_pbkdf2("caf\u00e9 au lait", salt="xyzSALT", iterations=2)
    assert hasher.verify(stored, "caf\u00e9 au lait").ok is True


def test_rehash_result_is_a_current_argon2id_hash(hasher: PasswordHasher) -> None:
    stored = django_pbkdf2("violet tractor")
    result = hasher.verify(stored, "violet tractor")
    assert result.needs_rehash
    upgraded = hasher.hash("violet tractor")
    assert hasher.verify(upgraded, "violet tractor") == VerifyResult(ok=True, needs_rehash=False)


# --- dummy verification -------------------------------------------------------------------------------------


def test_dummy_verify_returns_nothing_for_any_input(hasher: PasswordHasher) -> None:
    for password in ("", "violet tractor", "x" * 1024, "\x00"):
        assert hasher.dummy_verify(password) is None  # type: ignore[func-returns-value]
