"""Attacks on passwords and their storage, each test named after the attack it defeats.

Ids refer to docs/security/threat-model.md.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from collections.abc import Iterator
from typing import Any

import argon2
import pytest

from tokenward.domain.accounts.passwords import (
    Argon2Parameters,
    HashingPool,
    PasswordChecker,
    PasswordHasher,
    PasswordPolicy,
    context_words_for,
    normalize_password,
)
from tokenward.errors import PasswordRejected, ServiceBusy

COMMON = "is one of the most commonly used passwords"
CONTEXT = "must not contain your e-mail address or the service name"
TRIVIAL = "must not be a single repeated character or a simple sequence such as 12345678"
CHEAP = Argon2Parameters.for_tests()


@pytest.fixture(scope="module")
def checker() -> PasswordChecker:
    return PasswordChecker(PasswordPolicy())


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(CHEAP)


@pytest.fixture
def argon2_verify_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on argon2-cffi's own verification: records the stored hash of every real Argon2 verification."""
    calls: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def spy(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> Any:
        calls.append(hash if isinstance(hash, str) else hash.decode("ascii"))
        return real_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
    return calls


# --- T-ACC-03: weak, common or context-derived passwords -------------------------------------------------


@pytest.mark.threat("T-ACC-03")
@pytest.mark.parametrize("password", ["password", "PASSWORD", "iloveyou", "sunshine", "trustno1", "football"])
def test_dictionary_attack_common_password_is_rejected_at_signup(
    checker: PasswordChecker, password: str
) -> None:
    """Credential stuffing and online guessing start with the most common passwords: refuse them."""
    with pytest.raises(PasswordRejected) as caught:
        checker.check(password, context_words_for("alice@example.com", "Tokenward"))
    assert caught.value.reasons == [COMMON]


@pytest.mark.threat("T-ACC-03")
@pytest.mark.parametrize(
    "password",
    [
        "alice.smith2026",
        "Smith-family-forever",
        "example corp rocks",
        "TokenWard#1!",
        "alice.smith@example.com",
    ],
)
def test_targeted_guessing_password_derived_from_email_or_service_is_rejected(
    checker: PasswordChecker, password: str
) -> None:
    """An attacker who knows the e-mail and the site tries passwords built from them first."""
    with pytest.raises(PasswordRejected) as caught:
        checker.check(password, context_words_for("Alice.Smith@Example.com", "Tokenward"))
    assert caught.value.reasons == [CONTEXT]


@pytest.mark.threat("T-ACC-03")
@pytest.mark.parametrize("password", ["zzzzzzzzzzzz", "87654321", "abcdefghijk", "xyzxyzxyzxyz"])
def test_brute_force_trivial_patterns_are_rejected(checker: PasswordChecker, password: str) -> None:
    """Repeated characters and sequences are among the first guesses of any cracking tool."""
    assert TRIVIAL in checker.problems(password)


@pytest.mark.threat("T-ACC-03")
def test_short_password_is_rejected_but_no_composition_rule_applies(checker: PasswordChecker) -> None:
    """Length, not character classes, is what resists guessing; a long lowercase passphrase is fine."""
    assert checker.problems("dk3#Qz!") == ["must be at least 8 characters long"]
    assert checker.problems("purple elephants juggle quietly") == []


# --- T-ACC-04: truncation or Unicode confusion ---------------------------------------------------------------


@pytest.mark.threat("T-ACC-04")
def test_truncation_attack_passwords_sharing_a_long_prefix_do_not_match(hasher: PasswordHasher) -> None:
    """bcrypt-style truncation (72 bytes) would let anyone who knows the prefix in: no truncation here."""
    prefix = "correct horse battery staple " * 4  # 116 characters, well past 72 bytes
    stored = hasher.hash(prefix + "A")
    assert hasher.verify(stored, prefix + "A").ok is True
    assert hasher.verify(stored, prefix + "B").ok is False
    assert hasher.verify(stored, prefix).ok is False
    assert hasher.verify(stored, prefix[:72]).ok is False


@pytest.mark.threat("T-ACC-04")
def test_truncation_attack_policy_accepts_1024_characters_and_never_shortens(
    checker: PasswordChecker, hasher: PasswordHasher
) -> None:
    """A 1024-character password is accepted whole; the 1025th character is refused, never cut off."""
    long = ("purple elephants juggle quietly " * 40)[:1023] + "!"
    assert checker.problems(long) == []
    assert checker.problems(long + "?") == ["must be at most 1024 characters long"]
    stored = hasher.hash(normalize_password(long))
    assert hasher.verify(stored, normalize_password(long[:-1] + "?")).ok is False


@pytest.mark.threat("T-ACC-04")
def test_unicode_confusion_full_width_common_password_is_still_rejected(checker: PasswordChecker) -> None:
    """Full-width look-alikes of a common password must not slip past the list."""
    assert checker.problems("ｐａｓｓｗｏｒｄ１２３") == [COMMON]
    assert checker.problems("ＴＯＫＥＮＷＡＲＤ ２０２６") == [CONTEXT]


@pytest.mark.threat("T-ACC-04")
@pytest.mark.parametrize(
    ("at_signup", "at_login"),
    [("\ufb01sh and chips", "fish and chips"), ("se\u0301same ouvre-toi", "s\u00e9same ouvre-toi")],
)
def test_unicode_confusion_equivalent_spellings_sign_in(
    hasher: PasswordHasher, at_signup: str, at_login: str
) -> None:
    """The same password typed on another keyboard (ligature, decomposed accent) must still sign in."""
    stored = hasher.hash(normalize_password(at_signup))
    assert hasher.verify(stored, normalize_password(at_login)).ok is True


@pytest.mark.threat("T-ACC-04")
def test_unicode_confusion_invisible_control_characters_are_rejected(checker: PasswordChecker) -> None:
    """Control characters cannot be typed the same way everywhere; they would lock users out or hide text."""
    assert checker.problems("violet\x00tractor") == [
        "must not contain control characters such as tabs or line breaks, which cannot be typed the same way "
        "on every device"
    ]


# --- T-ACC-05: offline cracking of leaked hashes ---------------------------------------------------------------


@pytest.mark.threat("T-ACC-05")
def test_offline_cracking_hashes_are_argon2id_with_owasp_parameters() -> None:
    """A leaked hash must be memory-hard to crack: Argon2id, 19 MiB, 2 passes, 1 lane by default."""
    stored = PasswordHasher().hash("violet tractor")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    params = argon2.extract_parameters(stored)
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        argon2.Type.ID,
        19456,
        2,
        1,
    )
    assert params.salt_len >= 16
    assert params.hash_len >= 32


@pytest.mark.threat("T-ACC-05")
def test_offline_cracking_hash_never_contains_the_password(hasher: PasswordHasher) -> None:
    """A database leak must not reveal the password in any trivial encoding."""
    password = "violet tractor on the moon"
    stored = hasher.hash(password)
    encoded = password.encode()
    for leak in (
        password,
        base64.b64encode(encoded).decode(),
        base64.b64encode(encoded).decode().rstrip("="),
    ):
        assert leak not in stored
    assert hashlib.sha256(encoded).hexdigest() not in stored


@pytest.mark.threat("T-ACC-05")
def test_offline_cracking_precomputed_tables_defeated_by_unique_salts(hasher: PasswordHasher) -> None:
    """Two users with the same password get different salts, so one cracking effort never covers both."""
    first, second = hasher.hash("violet tractor"), hasher.hash("violet tractor")
    salt_first, salt_second = first.split("$")[4], second.split("$")[4]
    assert salt_first != salt_second
    assert first.split("$")[5] != second.split("$")[5]


@pytest.mark.threat("T-ACC-05")
def test_offline_cracking_weak_legacy_hashes_are_flagged_for_upgrade(hasher: PasswordHasher) -> None:
    """Imported PBKDF2 and weaker Argon2 hashes verify once and are then replaced by current Argon2id."""
    digest = base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"violet tractor", b"salt1234", 1000)).decode()
    pbkdf2 = f"pbkdf2_sha256$1000$salt1234${digest}"
    assert hasher.verify(pbkdf2, "violet tractor").needs_rehash is True
    weaker = PasswordHasher(CHEAP).hash("violet tractor")
    stronger = PasswordHasher(Argon2Parameters(memory_kib=64, time_cost=2))
    assert stronger.verify(weaker, "violet tractor").needs_rehash is True


# --- T-ACC-02: account enumeration through timing ------------------------------------------------------------


@pytest.mark.threat("T-ACC-02")
def test_timing_enumeration_dummy_verify_runs_a_real_argon2_verification(
    argon2_verify_calls: list[str],
) -> None:
    """An unknown account must cost one full Argon2 verification, just like a wrong password for a real one."""
    hasher = PasswordHasher(CHEAP)
    real_stored = hasher.hash("violet tractor")

    hasher.verify(real_stored, "wrong guess")  # known account, wrong password
    hasher.dummy_verify("wrong guess")  # unknown account

    assert len(argon2_verify_calls) == 2
    known, unknown = argon2_verify_calls
    assert unknown != known
    # the dummy hash is made with the very same parameters, so it costs the same
    known_params, unknown_params = argon2.extract_parameters(known), argon2.extract_parameters(unknown)
    assert unknown_params == known_params


@pytest.mark.threat("T-ACC-02")
def test_timing_enumeration_dummy_verify_costs_one_verification_per_call(
    argon2_verify_calls: list[str],
) -> None:
    """Every unknown-account sign-in pays the full price, whatever the submitted password."""
    hasher = PasswordHasher(CHEAP)
    for password in ("a", "violet tractor", "x" * 1024):
        hasher.dummy_verify(password)
    assert len(argon2_verify_calls) == 3


# --- T-ACC-08: hashing floods ----------------------------------------------------------------------------------


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


@pytest.mark.threat("T-ACC-08")
async def test_login_flood_beyond_the_bound_fails_fast_without_queueing(release: threading.Event) -> None:
    """A flood of 200 sign-ins may hold at most 2 running + 10 waiting hashes; the other 188 get 503 at once."""
    pool = HashingPool(max_concurrent=2, max_waiting=10)
    lock = threading.Lock()
    running = 0
    peak = 0

    def slow_hash(value: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            assert release.wait(10)
            return value
        finally:
            with lock:
                running -= 1

    try:
        tasks = [asyncio.create_task(pool.run(slow_hash, i)) for i in range(200)]
        for _ in range(3):
            await asyncio.sleep(0)
        refused = [task for task in tasks if task.done()]
        assert len(refused) == 188
        assert all(isinstance(task.exception(), ServiceBusy) for task in refused)
        assert pool.in_flight + pool.waiting == 12

        release.set()
        accepted = [task for task in tasks if task not in refused]
        assert len(await asyncio.gather(*accepted)) == 12
        assert peak <= 2
    finally:
        release.set()
        pool.close()


@pytest.mark.threat("T-ACC-08")
def test_hashing_flood_busy_answer_tells_the_client_when_to_retry() -> None:
    """The refusal is a 503 with a retry hint, not a hang or a time-out."""
    error = ServiceBusy(retry_after=1)
    assert (error.status, error.code, error.retry_after) == (503, "service_busy", 1)


@pytest.mark.threat("T-ACC-08")
def test_hashing_flood_oversized_passwords_are_refused_by_the_policy(checker: PasswordChecker) -> None:
    """Megabyte-long passwords would make each hash costlier; new passwords are capped at 1024 characters."""
    assert checker.problems("q" * 1_000_000) == [
        "must be at most 1024 characters long",
        TRIVIAL,
    ]
