"""The one strict access-token verifier, shared by the Tokenward server and every resource server.

Every rule lives here so that the server and every resource server refuse exactly the same tokens for exactly
the same ``InvalidToken.reason`` (the server imports this module). The work is split in two steps because the
key is looked up in between (from the key ring on the server, from a cached JWKS, possibly over the network,
in ``verifier``):

1. ``parse_unverified`` checks the size first, then the shape, then the header, without trusting anything
   in it: compact serialisation only, canonical base64url, no duplicate JSON members, an allowed ``alg``,
   ``typ`` ``at+jwt``, no key or key location in the header, no ``crit``/``b64``/``zip``, and a safe ``kid``.
2. ``verify_with_key`` takes the algorithm from the key (never from the header), verifies the signature with
   the key's own check (``signatures``, straight through ``cryptography``), then the claims: times with a small
   leeway, exact issuer, an accepted audience, required ids.

Reasons (``InvalidToken.reason``): too_large, malformed, duplicate_member, alg_not_allowed, wrong_type,
forbidden_header, unsupported_crit, bad_kid, unknown_kid, alg_mismatch, bad_signature, missing_claim,
invalid_claim, expired, not_yet_valid, issued_in_future, lifetime_too_long, bad_issuer, bad_audience.
No reason and no message ever contains the token.

``typ`` is a media type, and RFC 7515 §4.1.9 makes media types case-insensitive with an optional
``application/`` prefix, so ``at+jwt``, ``AT+JWT`` and ``application/at+jwt`` are the same type and all pass;
anything else (``JWT``, ``mfa+jwt``, a missing ``typ``) is ``wrong_type``. Case cannot turn one token kind
into another, so accepting it costs nothing and spares interoperability trouble.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from tokenward_client.errors import InvalidToken
from tokenward_client.keys import LEGACY_EDDSA, SUPPORTED_ALGORITHMS, VerificationKey

ACCESS_TOKEN_TYPE = "at+jwt"
#: header members that name a key or where to fetch one: trusting them lets the attacker choose the key
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"})
#: header members that change how the payload is read (RFC 7797 unencoded payload, JWE-style compression)
UNSUPPORTED_HEADERS = frozenset({"b64", "zip"})
MAX_KID_LENGTH = 128

#: compact serialisation: three base64url segments (header and payload not empty), nothing else, ASCII only
_COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)")
#: distinct token headers remembered decoded: a key's tokens all share one header segment
HEADER_CACHE_SIZE = 64
_KID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_KID_LENGTH}}}")


@dataclass(frozen=True, slots=True)
class VerificationPolicy:
    """What an access token must satisfy; the same values on the server and in every resource server."""

    issuer: str
    audiences: frozenset[str]
    algorithms: frozenset[str] = frozenset(SUPPORTED_ALGORITHMS)
    leeway_seconds: int = 30
    max_token_bytes: int = 8192
    token_type: str = ACCESS_TOKEN_TYPE
    max_lifetime_seconds: int = 3600
    #: accept the RFC 8037 ``EdDSA`` label for Ed25519 keys (older signers); off by default
    accept_legacy_eddsa: bool = False

    def __post_init__(self) -> None:
        if not self.issuer:
            raise ValueError("the issuer must not be empty")
        if not self.audiences or not all(isinstance(a, str) and a for a in self.audiences):
            raise ValueError("at least one non-empty audience is required")
        if not self.algorithms or not self.algorithms <= frozenset(SUPPORTED_ALGORITHMS):
            # this is what keeps "none" and HMAC out for good, whatever a caller passes
            raise ValueError(f"algorithms must be a non-empty subset of {', '.join(SUPPORTED_ALGORITHMS)}")
        if not 0 <= self.leeway_seconds <= 300:
            raise ValueError("leeway_seconds must be between 0 and 300")
        if not 256 <= self.max_token_bytes <= 65536:
            raise ValueError("max_token_bytes must be between 256 and 65536")
        if not 1 <= self.max_lifetime_seconds <= 86400:
            raise ValueError("max_lifetime_seconds must be between 1 and 86400")

    def header_algorithm(self, alg: str) -> str | None:
        """The algorithm a header's ``alg`` names, or ``None`` if not allowed (compared case-sensitively)."""
        if alg in self.algorithms:
            return alg
        if alg == LEGACY_EDDSA and self.accept_legacy_eddsa and "Ed25519" in self.algorithms:
            return "Ed25519"
        return None


@dataclass(frozen=True, slots=True)
class UnverifiedToken:
    """A token whose shape and header passed; nothing in it is trusted until ``verify_with_key``."""

    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    #: the algorithm the header asks for, normalised (``EdDSA`` -> ``Ed25519`` when the legacy label is on)
    alg: str
    kid: str
    signing_input: bytes
    signature: bytes

    def __repr__(self) -> str:
        return f"UnverifiedToken(alg={self.alg!r}, kid={self.kid!r})"


@dataclass(frozen=True, slots=True)
class AccessTokenClaims:
    """The verified claims of an access token."""

    subject: str
    session_id: str
    scope: tuple[str, ...]
    amr: tuple[str, ...]
    auth_time: datetime | None
    jti: str
    issued_at: datetime
    expires_at: datetime
    not_before: datetime | None
    issuer: str
    audience: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False)

    def has_scopes(self, *scopes: str) -> bool:
        """Whether every one of ``scopes`` was granted."""
        return set(scopes) <= set(self.scope)


# ---------------------------------------------------------------------------------------------------- parsing


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # two parsers may keep different copies (first vs last): refuse rather than pick one
        raise InvalidToken("duplicate_member")
    return result


def _reject_constant(_: str) -> Any:
    # NaN and Infinity are not JSON; Python accepts them, other parsers do not
    raise InvalidToken("malformed")


_TO_STANDARD_ALPHABET = bytes.maketrans(b"-_", b"+/")
_PADDING = (b"", b"", b"==", b"=")


def _b64decode(segment: str) -> bytes:
    """Decode a segment already matched by ``_COMPACT`` (base64url alphabet only), through binascii directly."""
    standard = segment.encode("ascii").translate(_TO_STANDARD_ALPHABET)
    try:
        raw = binascii.a2b_base64(standard + _PADDING[len(standard) % 4])
    except binascii.Error:
        raise InvalidToken("malformed") from None
    # only the canonical encoding: stray low bits would let two strings carry the same bytes
    if binascii.b2a_base64(raw, newline=False).rstrip(b"=") != standard:
        raise InvalidToken("malformed")
    return raw


#: built once: ``json.loads`` with these options would build a new decoder for every segment
_JSON = json.JSONDecoder(object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)


def _json_object(segment: str) -> dict[str, Any]:
    raw = _b64decode(segment)
    try:
        value = _JSON.decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidToken("malformed") from None
    if not isinstance(value, dict):
        raise InvalidToken("malformed")
    return value


@lru_cache(maxsize=HEADER_CACHE_SIZE)
def _header_object(segment: str) -> Mapping[str, Any]:
    """The decoded header, remembered by its exact segment (refusals are not cached), read-only when shared."""
    return MappingProxyType(_json_object(segment))


def _type_matches(typ: object, expected: str) -> bool:
    if not isinstance(typ, str):
        return False
    typ = typ.lower()
    if typ.startswith("application/"):
        typ = typ[len("application/") :]
    return typ == expected.lower()


@lru_cache(maxsize=HEADER_CACHE_SIZE)
def _header_rules(segment: str, policy: VerificationPolicy) -> tuple[str, str]:
    """``(alg, kid)`` of a header that keeps every rule, or ``InvalidToken`` for the first it breaks.

    Remembered per (segment, policy): the outcome depends on nothing else, and refusals are not cached.
    """
    header = _header_object(segment)
    raw_alg = header.get("alg")
    alg = policy.header_algorithm(raw_alg) if isinstance(raw_alg, str) else None
    if alg is None:
        raise InvalidToken("alg_not_allowed")
    if not _type_matches(header.get("typ"), policy.token_type):
        raise InvalidToken("wrong_type")
    if FORBIDDEN_HEADERS & header.keys():
        raise InvalidToken("forbidden_header")
    if "crit" in header:
        # RFC 7515 §4.1.11: a recipient must reject extensions it does not understand; we understand none
        raise InvalidToken("unsupported_crit")
    if UNSUPPORTED_HEADERS & header.keys():
        raise InvalidToken("forbidden_header")
    kid = header.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise InvalidToken("bad_kid")
    return alg, kid


def parse_unverified(token: str, policy: VerificationPolicy) -> UnverifiedToken:
    """Check size, shape and header of a compact JWS; raise ``InvalidToken`` at the first broken rule."""
    if not isinstance(token, str):
        raise InvalidToken("malformed")
    # before any decoding, so an oversized token costs one length comparison
    if len(token) > policy.max_token_bytes:
        raise InvalidToken("too_large")
    shape = _COMPACT.fullmatch(token)
    if shape is None:
        raise InvalidToken("malformed")
    header_segment, payload_segment, signature_segment = shape.groups()

    header = _header_object(header_segment)
    payload = _json_object(payload_segment)
    alg, kid = _header_rules(header_segment, policy)

    return UnverifiedToken(
        header=header,
        payload=payload,
        alg=alg,
        kid=kid,
        signing_input=f"{header_segment}.{payload_segment}".encode("ascii"),
        signature=_b64decode(signature_segment),
    )


# --------------------------------------------------------------------------------------------- verification


def _signature_valid(unverified: UnverifiedToken, key: VerificationKey) -> bool:
    """Verify with the key's own algorithm, straight through ``cryptography`` (``signatures``)."""
    return key.check_signature(unverified.signing_input, unverified.signature)


#: 9999-12-31T23:59:59Z: the last second a ``datetime`` can hold
_LAST_TIMESTAMP = 253_402_300_799


def _optional_number(claims: Mapping[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    # bool is an int in Python, never a timestamp; null, strings and non-finite numbers are not either, nor
    # anything outside the years 1970-9999 (a huge integer would overflow float and datetime conversions)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken("invalid_claim")
    if not 0 <= value <= _LAST_TIMESTAMP or not math.isfinite(value):
        raise InvalidToken("invalid_claim")
    return float(value)


def _required_number(claims: Mapping[str, Any], name: str) -> float:
    value = _optional_number(claims, name)
    if value is None:
        raise InvalidToken("missing_claim")
    return value


def _string(claims: Mapping[str, Any], name: str) -> str:
    if name not in claims:
        raise InvalidToken("missing_claim")
    value = claims[name]
    if not isinstance(value, str) or not value:
        raise InvalidToken("invalid_claim")
    return value


def _timestamp(value: float) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidToken("invalid_claim") from None


def _audiences(claims: Mapping[str, Any]) -> tuple[str, ...]:
    if "aud" not in claims:
        raise InvalidToken("missing_claim")
    aud = claims["aud"]
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        return tuple(aud)
    raise InvalidToken("bad_audience")


def _string_list(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = claims.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidToken("invalid_claim")
    return tuple(value)


def verify_with_key(
    unverified: UnverifiedToken, key: VerificationKey, policy: VerificationPolicy, now: datetime
) -> AccessTokenClaims:
    """Verify the signature with ``key`` and its algorithm, then every claim rule."""
    if unverified.alg != key.alg:
        raise InvalidToken("alg_mismatch")
    if not _signature_valid(unverified, key):
        raise InvalidToken("bad_signature")

    claims = unverified.payload
    leeway = policy.leeway_seconds
    current = now.timestamp()
    exp = _required_number(claims, "exp")
    iat = _required_number(claims, "iat")
    nbf = _optional_number(claims, "nbf")
    if current >= exp + leeway:
        raise InvalidToken("expired")
    if nbf is not None and nbf > current + leeway:
        raise InvalidToken("not_yet_valid")
    if iat > current + leeway:
        raise InvalidToken("issued_in_future")
    if exp - iat > policy.max_lifetime_seconds:
        raise InvalidToken("lifetime_too_long")

    issuer = claims.get("iss")
    if "iss" not in claims:
        raise InvalidToken("missing_claim")
    if not isinstance(issuer, str) or issuer != policy.issuer:
        raise InvalidToken("bad_issuer")
    audience = _audiences(claims)
    if policy.audiences.isdisjoint(audience):
        raise InvalidToken("bad_audience")

    subject = _string(claims, "sub")
    jti = _string(claims, "jti")
    session_id = _string(claims, "sid")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidToken("invalid_claim")
    auth_time = _optional_number(claims, "auth_time")

    return AccessTokenClaims(
        subject=subject,
        session_id=session_id,
        scope=tuple(scope.split()),
        amr=_string_list(claims, "amr"),
        auth_time=_timestamp(auth_time) if auth_time is not None else None,
        jti=jti,
        issued_at=_timestamp(iat),
        expires_at=_timestamp(exp),
        not_before=_timestamp(nbf) if nbf is not None else None,
        issuer=issuer,
        audience=audience,
        raw=claims,
    )
