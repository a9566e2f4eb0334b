"""Password hashes made by other systems, kept until the next sign-in replaces them with Argon2id.

Accepted formats (``tokenward users import``, docs/operations.md "Migrating users"):

- bcrypt ``$2a$``, ``$2b$``, ``$2y$`` (the ``bcrypt`` package). Like every bcrypt implementation, only the first
  72 bytes of a password count; longer passwords are cut there before checking, as the system that made the
  hash did;
- PBKDF2-HMAC-SHA256 as Django writes it, ``pbkdf2_sha256$<iterations>$<salt>$<base64 digest>``, and as passlib
  writes it, ``$pbkdf2-sha256$<iterations>$<ab64 salt>$<ab64 digest>`` (``hashlib.pbkdf2_hmac``);
- scrypt in passlib's format, ``$scrypt$ln=<log2 N>,r=<r>,p=<p>$<base64 salt>$<base64 digest>``
  (``hashlib.scrypt``), the only scrypt format with a self-describing text form in common use.

Argon2 (``$argon2id$``, ``$argon2i$``) is Tokenward's own and is handled by ``hashing``.

Each format has one parser, used both to check a hash before it is imported (``foreign_hash_problem``: a
malformed hash never reaches the database) and to verify it at sign-in, so the two can never disagree. Costs
are bounded: an imported hash asking for a billion PBKDF2 rounds or gigabytes of scrypt memory would turn a
sign-in into a denial of service, so it is refused at import and fails verification if it got in otherwise.
Problems name the field that is wrong and never repeat the hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

import bcrypt

MAX_PBKDF2_ITERATIONS = 10_000_000
MAX_BCRYPT_COST = 16
#: 128 * N * r bytes: at most 256 MiB of scrypt memory per verification
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
MAX_SCRYPT_PARALLELISM = 16
_BCRYPT_MAX_BYTES = 72
_SHA256_SIZE = hashlib.sha256().digest_size

_BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
_SCRYPT_PARAMS = re.compile(r"ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})")


class MalformedHash(ValueError):
    """The hash is not a well-formed instance of its format; the message says which part."""


@dataclass(frozen=True, slots=True)
class _Pbkdf2:
    iterations: int
    salt: bytes
    digest: bytes


@dataclass(frozen=True, slots=True)
class _Scrypt:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def _parse_bcrypt(stored: str) -> str:
    match = _BCRYPT.fullmatch(stored)
    if match is None:
        raise MalformedHash("bcrypt: expected $2b$<cost>$ and 53 characters of salt and digest")
    if not 4 <= int(match.group(1)) <= MAX_BCRYPT_COST:
        raise MalformedHash(f"bcrypt: the cost must be between 4 and {MAX_BCRYPT_COST}")
    return stored


def _iterations(text: str, scheme: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_PBKDF2_ITERATIONS:
        raise MalformedHash(f"{scheme}: the iteration count must be between 1 and {MAX_PBKDF2_ITERATIONS:,}")
    return int(text)


def _b64(text: str, scheme: str, part: str, *, altchars: bytes = b"+/") -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedHash(f"{scheme}: the {part} is not valid base64") from None


def _digest(text: str, scheme: str, *, altchars: bytes = b"+/") -> bytes:
    digest = _b64(text, scheme, "digest", altchars=altchars)
    if len(digest) != _SHA256_SIZE:
        raise MalformedHash(f"{scheme}: the digest must be {_SHA256_SIZE} bytes")
    return digest


def _parse_django_pbkdf2(stored: str) -> _Pbkdf2:
    """``pbkdf2_sha256$<iterations>$<salt>$<base64 digest>``; the salt is used as the text it is."""
    parts = stored.split("$")
    if len(parts) != 4 or not parts[2]:
        raise MalformedHash("pbkdf2_sha256: expected pbkdf2_sha256$<iterations>$<salt>$<digest>")
    _, iterations, salt, digest = parts
    return _Pbkdf2(
        _iterations(iterations, "pbkdf2_sha256"), salt.encode("ascii"), _digest(digest, "pbkdf2_sha256")
    )


def _parse_passlib_pbkdf2(stored: str) -> _Pbkdf2:
    """``$pbkdf2-sha256$<iterations>$<ab64 salt>$<ab64 digest>`` (ab64: base64 with ``.`` for ``+``, no padding)."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[0] or not parts[3]:
        raise MalformedHash("pbkdf2-sha256: expected $pbkdf2-sha256$<iterations>$<salt>$<digest>")
    _, _, iterations, salt, digest = parts
    scheme = "pbkdf2-sha256"
    return _Pbkdf2(
        _iterations(iterations, scheme),
        _b64(salt, scheme, "salt", altchars=b"./"),
        _digest(digest, scheme, altchars=b"./"),
    )


def _parse_scrypt(stored: str) -> _Scrypt:
    parts = stored.split("$")
    if len(parts) != 5 or parts[0] or not parts[3]:
        raise MalformedHash("scrypt: expected $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<digest>")
    params = _SCRYPT_PARAMS.fullmatch(parts[2])
    if params is None:
        raise MalformedHash("scrypt: expected the parameters as ln=<log2 N>,r=<r>,p=<p>")
    log_n, r, p = (int(value) for value in params.groups())
    if not 1 <= log_n <= 30 or not r >= 1 or not 1 <= p <= MAX_SCRYPT_PARALLELISM:
        raise MalformedHash(f"scrypt: ln must be 1 to 30, r at least 1, p 1 to {MAX_SCRYPT_PARALLELISM}")
    if 128 * r * (1 << log_n) > MAX_SCRYPT_MEMORY:
        raise MalformedHash(
            f"scrypt: the parameters need more than {MAX_SCRYPT_MEMORY // 2**20} MiB of memory"
        )
    return _Scrypt(1 << log_n, r, p, _b64(parts[3], "scrypt", "salt"), _digest(parts[4], "scrypt"))


def _verify_bcrypt(stored: str, password: bytes) -> bool:
    return bcrypt.checkpw(password[:_BCRYPT_MAX_BYTES], _parse_bcrypt(stored).encode("ascii"))


def _verify_pbkdf2(parsed: _Pbkdf2, password: bytes) -> bool:
    actual = hashlib.pbkdf2_hmac("sha256", password, parsed.salt, parsed.iterations)
    return hmac.compare_digest(actual, parsed.digest)


def _verify_scrypt(stored: str, password: bytes) -> bool:
    parsed = _parse_scrypt(stored)
    actual = hashlib.scrypt(
        password,
        salt=parsed.salt,
        n=parsed.n,
        r=parsed.r,
        p=parsed.p,
        maxmem=MAX_SCRYPT_MEMORY + 2**20,
        dklen=_SHA256_SIZE,
    )
    return hmac.compare_digest(actual, parsed.digest)


@dataclass(frozen=True, slots=True)
class _Format:
    prefix: str
    name: str
    parse: Callable[[str], object]
    verify: Callable[[str, bytes], bool]


_FORMATS = (
    _Format("$2a$", "bcrypt", _parse_bcrypt, _verify_bcrypt),
    _Format("$2b$", "bcrypt", _parse_bcrypt, _verify_bcrypt),
    _Format("$2y$", "bcrypt", _parse_bcrypt, _verify_bcrypt),
    _Format(
        "pbkdf2_sha256$",
        "pbkdf2_sha256",
        _parse_django_pbkdf2,
        lambda stored, password: _verify_pbkdf2(_parse_django_pbkdf2(stored), password),
    ),
    _Format(
        "$pbkdf2-sha256$",
        "pbkdf2-sha256",
        _parse_passlib_pbkdf2,
        lambda stored, password: _verify_pbkdf2(_parse_passlib_pbkdf2(stored), password),
    ),
    _Format("$scrypt$", "scrypt", _parse_scrypt, _verify_scrypt),
)


def _format_of(stored: str) -> _Format | None:
    return next((f for f in _FORMATS if stored.startswith(f.prefix)), None)


def is_foreign(stored: str) -> bool:
    """Whether the hash claims one of the formats of this module (well-formed or not)."""
    return _format_of(stored) is not None


def foreign_hash_problem(stored: str) -> str | None:
    """Why the hash cannot be imported (naming the part that is wrong, never the hash), or ``None``."""
    found = _format_of(stored)
    if found is None:
        return "unknown hash format"
    if not stored.isascii():
        return f"{found.name}: the hash must be ASCII text"
    try:
        found.parse(stored)
    except MalformedHash as problem:
        return str(problem)
    return None


def verify_foreign(stored: str, password: bytes) -> bool:
    """Check ``password`` against an imported hash; ``False`` for a mismatch and for any unusable hash."""
    found = _format_of(stored)
    if found is None or not stored.isascii():
        return False
    try:
        return found.verify(stored, password)
    except (MalformedHash, ValueError):
        return False
