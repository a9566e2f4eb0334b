"""Imported hashes against the libraries that make them: bcrypt, passlib (PBKDF2, Django PBKDF2, scrypt), argon2.

Differential: each vector is made by the other system's own library with a random password and salt, and
``PasswordHasher`` must accept exactly that password, refuse a neighbour, and ask for a rehash.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable

import argon2
import bcrypt
import pytest

from tokenward.domain.accounts.passwords import Argon2Parameters, PasswordHasher
from tokenward.domain.accounts.passwords.hashing import imported_hash_problem

with warnings.catch_warnings():
    # passlib 1.7 imports the standard library's deprecated ``crypt`` module; the handlers used here do not
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.hash import django_pbkdf2_sha256, pbkdf2_sha256, scrypt


def _bcrypt(prefix: bytes) -> Callable[[str], str]:
    def make(password: str) -> str:
        made = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4))
        return (prefix + made[4:]).decode()

    return make


def _argon2(kind: argon2.Type) -> Callable[[str], str]:
    def make(password: str) -> str:
        return argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=kind).hash(password)

    return make


MAKERS: dict[str, Callable[[str], str]] = {
    "bcrypt $2a$": _bcrypt(b"$2a$"),
    "bcrypt $2b$": _bcrypt(b"$2b$"),
    "bcrypt $2y$": _bcrypt(b"$2y$"),
    "argon2id": _argon2(argon2.Type.ID),
    "argon2i": _argon2(argon2.Type.I),
    "django pbkdf2_sha256": lambda pw: str(django_pbkdf2_sha256.using(rounds=1000).hash(pw)),
    "passlib pbkdf2-sha256": lambda pw: str(pbkdf2_sha256.using(rounds=1000).hash(pw)),
    "passlib scrypt": lambda pw: str(scrypt.using(rounds=4).hash(pw)),
}


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(Argon2Parameters.for_tests())


@pytest.mark.parametrize("scheme", MAKERS)
@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "caf\u00e9 \u00fcber \u00e5ngstr\u00f6m"]
)
def test_vectors_from_the_other_library_verify_and_ask_for_a_rehash(
    hasher: PasswordHasher, scheme: str, password: str
) -> None:
    password = f"{password} {secrets.token_hex(4)}"
    stored = MAKERS[scheme](password)

    assert imported_hash_problem(stored) is None
    result = hasher.verify(stored, password)
    assert result.ok
    assert result.needs_rehash or scheme == "argon2id"
    assert not hasher.verify(stored, password + "x").ok
    assert not hasher.verify(stored, password[:-1]).ok


def test_bcrypt_counts_only_72_bytes_as_the_system_that_made_it_did(hasher: PasswordHasher) -> None:
    long = "a" * 72
    stored = bcrypt.hashpw(long.encode(), bcrypt.gensalt(4)).decode()
    assert hasher.verify(stored, long + "anything after byte 72").ok


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ("", "unknown hash format"),
        ("plaintext-password", "unknown hash format"),
        ("$1$saltsalt$abcdefghijklmnopqrstuv", "unknown hash format"),
        ("{SSHA}abcdef", "unknown hash format"),
        ("pbkdf2_sha1$1000$salt$aGFzaA==", "unknown hash format"),
        ("$2b$04$tooshort", "bcrypt: expected"),
        ("$2b$31$" + "a" * 53, "bcrypt: the cost"),
        ("$2x$04$" + "a" * 53, "unknown hash format"),
        ("$argon2id$v=19$m=8,t=1,p=1$bad", "argon2: not a well-formed"),
        ("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "argon2: the cost"),
        ("pbkdf2_sha256$1000$salt", "pbkdf2_sha256: expected"),
        ("pbkdf2_sha256$abc$salt$aGFzaA==", "pbkdf2_sha256: the iteration count"),
        ("pbkdf2_sha256$999999999$salt$aGFzaA==", "pbkdf2_sha256: the iteration count"),
        ("pbkdf2_sha256$1000$salt$not base64!", "pbkdf2_sha256: the digest is not valid base64"),
        ("pbkdf2_sha256$1000$salt$aGFzaA==", "pbkdf2_sha256: the digest must be 32 bytes"),
        ("pbkdf2_sha256$1000$s\u00e4lt$aGFzaA==", "pbkdf2_sha256: the hash must be ASCII"),
        ("$pbkdf2-sha256$1000$c2FsdA$aGFzaA", "pbkdf2-sha256: the digest must be 32 bytes"),
        ("$pbkdf2-sha256$0$c2FsdA$aGFzaA", "pbkdf2-sha256: the iteration count"),
        ("$scrypt$ln=4,r=8$c2FsdA$aGFzaA", "scrypt: expected the parameters"),
        ("$scrypt$ln=24,r=8,p=1$c2FsdA$" + "A" * 43, "scrypt: the parameters need more than 256 MiB"),
        ("$scrypt$ln=4,r=8,p=1$c2Fsd!$" + "A" * 43, "scrypt: the salt is not valid base64"),
    ],
)
def test_malformed_unknown_or_too_costly_hashes_are_named_and_never_verify(
    hasher: PasswordHasher, stored: str, problem: str
) -> None:
    found = imported_hash_problem(stored)
    assert found is not None
    assert found.startswith(problem)
    assert stored not in found or not stored
    assert not hasher.verify(stored, "anything").ok
