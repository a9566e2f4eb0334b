"""The access-token issuer: exact header, RFC 9068 claims, no personal data, settings bounds."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from tests.security.jwt_attacks import key_material
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.tokens import AccessTokenIssuer, AccessTokenSettings
from tokenward.errors import KeyUnavailable

ISSUER = "https://id.example.com"
AUDIENCE = "https://api.example.com"


def decode(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return value


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return decode(header), decode(payload)


def issuer_for(
    ring: KeyRing, clock: FrozenClock, audiences: tuple[str, ...] = (AUDIENCE,), lifetime: int = 600
) -> AccessTokenIssuer:
    return AccessTokenIssuer(lambda: ring, AccessTokenSettings(ISSUER, audiences, lifetime), clock)


def issue(issuer: AccessTokenIssuer, clock: FrozenClock, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "subject": "u_7f3a",
        "session_id": "s_91bc",
        "scope": "openid profile",
        "amr": ["pwd", "otp"],
        "auth_time": clock.now() - timedelta(minutes=5),
    }
    arguments.update(changes)
    return issuer.issue(**arguments)


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_header_is_exactly_alg_typ_kid(alg: str, clock: FrozenClock) -> None:
    ring = key_material(alg).ring
    header, _ = parts(issue(issuer_for(ring, clock), clock).token)
    assert header == {"alg": alg, "typ": "at+jwt", "kid": ring.signing_key.kid}


def test_claims(clock: FrozenClock) -> None:
    ring = key_material("ES256").ring
    issued = issue(issuer_for(ring, clock), clock)
    _, claims = parts(issued.token)
    now = int(clock.now().timestamp())
    assert claims == {
        "iss": ISSUER,
        "sub": "u_7f3a",
        "aud": AUDIENCE,
        "exp": now + 600,
        "iat": now,
        "nbf": now,
        "jti": issued.jti,
        "sid": "s_91bc",
        "scope": "openid profile",
        "amr": ["pwd", "otp"],
        "auth_time": now - 300,
    }
    assert issued.expires_in == 600
    assert issued.expires_at == clock.now() + timedelta(seconds=600)


def test_several_audiences_are_a_list(clock: FrozenClock) -> None:
    ring = key_material("ES256").ring
    _, claims = parts(issue(issuer_for(ring, clock, (AUDIENCE, "https://b.example")), clock).token)
    assert claims["aud"] == [AUDIENCE, "https://b.example"]


def test_scope_is_normalised_to_single_spaces(clock: FrozenClock) -> None:
    ring = key_material("ES256").ring
    _, claims = parts(issue(issuer_for(ring, clock), clock, scope="  openid   profile ").token)
    assert claims["scope"] == "openid profile"


def test_jti_is_random_and_at_least_128_bits(clock: FrozenClock) -> None:
    issuer = issuer_for(key_material("ES256").ring, clock)
    jtis = {issue(issuer, clock).jti for _ in range(200)}
    assert len(jtis) == 200
    assert all(len(base64.urlsafe_b64decode(j + "=" * (-len(j) % 4))) >= 16 for j in jtis)


def test_no_personal_data(clock: FrozenClock) -> None:
    """Only the opaque ids: no e-mail, name or other personal data ride in access tokens."""
    _, claims = parts(issue(issuer_for(key_material("ES256").ring, clock), clock).token)
    assert set(claims) == {
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "sid",
        "scope",
        "amr",
        "auth_time",
    }


def test_lifetime_follows_settings(clock: FrozenClock) -> None:
    issued = issue(issuer_for(key_material("ES256").ring, clock, lifetime=3600), clock)
    _, claims = parts(issued.token)
    assert claims["exp"] - claims["iat"] == 3600 == issued.expires_in


def test_the_ring_is_asked_for_each_token(clock: FrozenClock) -> None:
    """A rotated ring is picked up by the next token, without rebuilding the issuer."""
    rings = [key_material("ES256").ring]
    issuer = AccessTokenIssuer(lambda: rings[-1], AccessTokenSettings(ISSUER, (AUDIENCE,)), clock)
    first, _ = parts(issue(issuer, clock).token)
    rings.append(key_material("Ed25519").ring)
    second, _ = parts(issue(issuer, clock).token)
    assert (first["alg"], second["alg"]) == ("ES256", "Ed25519")
    assert first["kid"] != second["kid"]


def test_no_active_key_is_key_unavailable(clock: FrozenClock) -> None:
    ring = KeyRing([], key_material("ES256").encryptor)
    with pytest.raises(KeyUnavailable):
        issue(issuer_for(ring, clock), clock)


def test_naive_auth_time_is_refused(clock: FrozenClock) -> None:
    with pytest.raises(ValueError, match="timezone"):
        issue(
            issuer_for(key_material("ES256").ring, clock), clock, auth_time=clock.now().replace(tzinfo=None)
        )


def test_repr_does_not_show_the_token(clock: FrozenClock) -> None:
    issued = issue(issuer_for(key_material("ES256").ring, clock), clock)
    assert issued.token not in repr(issued)


@pytest.mark.parametrize("lifetime", [0, -1, 3601, 86400])
def test_lifetime_must_be_between_one_second_and_one_hour(lifetime: int) -> None:
    with pytest.raises(ValueError, match="lifetime_seconds"):
        AccessTokenSettings(ISSUER, (AUDIENCE,), lifetime)


@pytest.mark.parametrize(("issuer", "audiences"), [("", (AUDIENCE,)), (ISSUER, ()), (ISSUER, ("",))])
def test_issuer_and_audiences_are_required(issuer: str, audiences: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=r"issuer|audience"):
        AccessTokenSettings(issuer, audiences)
