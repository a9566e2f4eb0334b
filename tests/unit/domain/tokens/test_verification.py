"""The strict verifier accepts what the issuer makes, and its edges: typ spelling, leeway, policy bounds.

The attacks themselves live in ``tests/security``; this module covers the happy path and the boundaries.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from tests.security.jwt_attacks import AUDIENCE, DROP, ISSUER, NOW, TokenFactory, json_text, key_material
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS, KeyState
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
    parse_unverified,
)
from tokenward.errors import InvalidToken

POLICY = VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE}))
T = int(NOW.timestamp())


def verifier(
    alg: str, policy: VerificationPolicy = POLICY, clock: FrozenClock | None = None
) -> AccessTokenVerifier:
    return AccessTokenVerifier(key_material(alg).ring.verification_key, policy, clock or FrozenClock(NOW))


def factory(alg: str = "ES256") -> TokenFactory:
    return TokenFactory(key_material(alg).signing_key, ISSUER, AUDIENCE, T)


def reason(alg: str, token: str, **kwargs: Any) -> str:
    with pytest.raises(InvalidToken) as refused:
        verifier(alg, **kwargs).verify(token)
    return refused.value.reason


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_issued_tokens_verify(alg: str) -> None:
    clock = FrozenClock(NOW)
    ring = key_material(alg).ring
    issued = AccessTokenIssuer(lambda: ring, AccessTokenSettings(ISSUER, (AUDIENCE,)), clock).issue(
        subject="u1",
        session_id="s1",
        scope="openid profile",
        amr=["pwd"],
        auth_time=NOW - timedelta(minutes=1),
    )
    claims = verifier(alg, clock=clock).verify(issued.token)
    assert claims.subject == "u1"
    assert claims.session_id == "s1"
    assert claims.scope == ("openid", "profile")
    assert claims.amr == ("pwd",)
    assert claims.auth_time == NOW - timedelta(minutes=1)
    assert claims.jti == issued.jti
    assert claims.issued_at == NOW
    assert claims.not_before == NOW
    assert claims.expires_at == issued.expires_at
    assert claims.issuer == ISSUER
    assert claims.audience == (AUDIENCE,)
    assert claims.raw["sid"] == "s1"
    assert claims.has_scopes("openid")
    assert claims.has_scopes("profile", "openid")
    assert claims.has_scopes()
    assert not claims.has_scopes("openid", "admin")


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "At+Jwt", "application/at+jwt", "Application/AT+JWT"])
def test_typ_is_a_case_insensitive_media_type(typ: str) -> None:
    """RFC 7515 §4.1.9: media types compare case-insensitively; the ``application/`` prefix is optional."""
    f = factory()
    assert verifier("ES256").verify(f.token(header=f.header(typ=typ))).subject == "user-0001"


def test_audience_list_containing_ours_is_accepted() -> None:
    f = factory()
    token = f.token(claims=f.claims(aud=["https://other.example", AUDIENCE]))
    assert verifier("ES256").verify(token).audience == ("https://other.example", AUDIENCE)


def test_any_accepted_audience_will_do() -> None:
    policy = VerificationPolicy(issuer=ISSUER, audiences=frozenset({"https://x.example", AUDIENCE}))
    assert verifier("ES256", policy).verify(factory().token()).subject == "user-0001"


def test_unknown_non_critical_header_members_are_ignored() -> None:
    f = factory()
    assert verifier("ES256").verify(f.token(header=f.header(note="hello"))).subject == "user-0001"


def test_optional_claims_may_be_absent() -> None:
    f = factory()
    claims = verifier("ES256").verify(
        f.token(claims=f.claims(nbf=DROP, scope=DROP, amr=DROP, auth_time=DROP))
    )
    assert claims.not_before is None
    assert claims.scope == ()
    assert claims.amr == ()
    assert claims.auth_time is None


def test_optional_claims_may_not_be_null_or_mistyped() -> None:
    f = factory()
    for changes in ({"nbf": None}, {"scope": ["a"]}, {"amr": "pwd"}, {"auth_time": "yesterday"}):
        # json_text drops only the DROP marker; None is written as null
        token = f.raw(json_text(f.header()), json_text(f.claims(**changes)))
        assert reason("ES256", token) == "invalid_claim", changes


@pytest.mark.parametrize("value", [10**400, -1, 253_402_300_800, 1e300])
def test_timestamps_outside_the_datetime_range_are_invalid_not_a_crash(value: float) -> None:
    f = factory()
    for claim in ("exp", "iat", "nbf", "auth_time"):
        token = f.raw(json_text(f.header()), json_text(f.claims(**{claim: value})))
        assert reason("ES256", token) == "invalid_claim", claim


@pytest.mark.parametrize(
    ("seconds", "accepted"), [(-29, True), (-30, False), (-31, False), (10, True), (600, True)]
)
def test_expiry_leeway(seconds: int, accepted: bool) -> None:
    """``exp`` is honoured up to ``leeway_seconds`` (30) late, and not one second more."""
    f = factory()
    token = f.token(claims=f.claims(iat=T - 600, nbf=T - 600, exp=T + seconds))
    if accepted:
        verifier("ES256").verify(token)
    else:
        assert reason("ES256", token) == "expired"


@pytest.mark.parametrize(("seconds", "accepted"), [(30, True), (31, False)])
def test_not_before_and_issued_at_leeway(seconds: int, accepted: bool) -> None:
    f = factory()
    nbf_token = f.token(claims=f.claims(nbf=T + seconds))
    iat_token = f.token(claims=f.claims(iat=T + seconds, nbf=DROP))
    if accepted:
        verifier("ES256").verify(nbf_token)
        verifier("ES256").verify(iat_token)
    else:
        assert reason("ES256", nbf_token) == "not_yet_valid"
        assert reason("ES256", iat_token) == "issued_in_future"


def test_lifetime_limit_is_inclusive() -> None:
    f = factory()
    verifier("ES256").verify(f.token(claims=f.claims(exp=T + 3600)))
    assert reason("ES256", f.token(claims=f.claims(exp=T + 3601))) == "lifetime_too_long"


def test_legacy_eddsa_label_only_when_configured() -> None:
    f = factory("Ed25519")
    token = f.token(header=f.header(alg="EdDSA"))
    assert reason("Ed25519", token) == "alg_not_allowed"
    legacy = VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE}), accept_legacy_eddsa=True)
    assert verifier("Ed25519", legacy).verify(token).subject == "user-0001"
    # the legacy label never unlocks another key type
    es = factory("ES256")
    assert reason("ES256", es.token(header=es.header(alg="EdDSA")), policy=legacy) == "alg_mismatch"


def test_algorithms_can_be_narrowed() -> None:
    policy = VerificationPolicy(
        issuer=ISSUER, audiences=frozenset({AUDIENCE}), algorithms=frozenset({"Ed25519"})
    )
    assert reason("ES256", factory().token(), policy=policy) == "alg_not_allowed"


def test_revoked_key_stops_verifying() -> None:
    """Revoking a key (and reloading the ring) makes the tokens it signed fail at once."""
    material = key_material("ES256")
    token = factory().token()
    revoked = KeyRing([dataclasses.replace(material.stored, state=KeyState.REVOKED)], material.encryptor)
    with pytest.raises(InvalidToken) as refused:
        AccessTokenVerifier(revoked.verification_key, POLICY, FrozenClock(NOW)).verify(token)
    assert refused.value.reason == "unknown_kid"


def test_parse_unverified_exposes_header_without_trusting_it() -> None:
    token = factory().token()
    unverified = parse_unverified(token, POLICY)
    assert unverified.kid == key_material("ES256").signing_key.kid
    assert unverified.alg == "ES256"
    assert unverified.header["typ"] == "at+jwt"
    assert unverified.signing_input == token.rsplit(".", 1)[0].encode()
    assert token not in repr(unverified)


def test_reasons_never_contain_the_token() -> None:
    f = factory()
    token = f.token(claims=f.claims(iss="https://evil.example"))
    with pytest.raises(InvalidToken) as refused:
        verifier("ES256").verify(token)
    assert refused.value.reason == "bad_issuer"
    assert token not in str(refused.value)
    assert refused.value.detail == "bad_issuer"


@pytest.mark.parametrize(
    "changes",
    [
        {"algorithms": frozenset({"HS256"})},
        {"algorithms": frozenset({"ES256", "none"})},
        {"algorithms": frozenset()},
        {"audiences": frozenset()},
        {"audiences": frozenset({""})},
        {"issuer": ""},
        {"leeway_seconds": -1},
        {"leeway_seconds": 3600},
        {"max_token_bytes": 10},
        {"max_lifetime_seconds": 0},
    ],
)
def test_policy_refuses_unsafe_settings(changes: dict[str, Any]) -> None:
    """HMAC and ``none`` can never be configured in, whatever a caller passes."""
    arguments: dict[str, Any] = {"issuer": ISSUER, "audiences": frozenset({AUDIENCE}), **changes}
    with pytest.raises(ValueError):  # noqa: PT011 - each case breaks a different bound
        VerificationPolicy(**arguments)
