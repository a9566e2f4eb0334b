"""Every forged or malformed token of ``jwt_attacks`` is refused by the server's verifier, for its exact reason.

Each case runs against a key of each supported algorithm. The positive controls show that the very same setup
accepts a valid token, so a refusal below is due to the attack and not to a broken fixture.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from tests.security.jwt_attacks import (
    AUDIENCE,
    ISSUER,
    NOW,
    AttackCase,
    TokenFactory,
    attack_cases,
    b64url,
    key_material,
)

from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
)
from tokenward.errors import InvalidToken
from tokenward_client import verification
from tokenward_client.signatures import P256_ORDER

ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())

CASES = [
    pytest.param(alg, case, marks=pytest.mark.threat(case.threat), id=f"{alg}-{case.name}")
    for alg in SUPPORTED_ALGORITHMS
    for case in attack_cases(alg)
]


def domain_verifier(alg: str) -> AccessTokenVerifier:
    ring = key_material(alg).ring
    return AccessTokenVerifier(
        ring.verification_key,
        VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE})),
        FrozenClock(NOW),
    )


@pytest.mark.parametrize(("alg", "case"), CASES)
def test_domain_verifier_refuses_attack(alg: str, case: AttackCase) -> None:
    """The attack named in the test id (built in ``jwt_attacks``) is refused with exactly its reason."""
    with pytest.raises(InvalidToken) as refused:
        domain_verifier(alg).verify(case.token)
    assert refused.value.reason == case.reason
    # the refusal never echoes the token
    assert case.token not in str(refused.value) or len(case.token) < 8


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_positive_control_the_attack_base_token_verifies(alg: str) -> None:
    """The unmodified token every attack starts from is valid: the attacks fail only because of the attack."""
    material = key_material(alg)
    factory = TokenFactory(material.signing_key, ISSUER, AUDIENCE, int(NOW.timestamp()))
    claims = domain_verifier(alg).verify(factory.token())
    assert claims.subject == "user-0001"
    assert claims.issuer == ISSUER


@pytest.mark.threat("T-JWT-13")
def test_oversized_token_is_refused_before_any_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 MB token costs one length check: base64 and JSON are never reached (patched to explode)."""

    class Untouchable:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"the oversized token reached {name}")

    monkeypatch.setattr(verification, "binascii", Untouchable())
    monkeypatch.setattr(verification, "json", Untouchable())
    monkeypatch.setattr(verification, "re", Untouchable())
    huge = "eyJhbGciOiJFUzI1NiJ9." + "A" * (1024 * 1024) + ".sig"
    with pytest.raises(InvalidToken) as refused:
        domain_verifier("ES256").verify(huge)
    assert refused.value.reason == "too_large"


def _issued_es256_tokens(count: int) -> list[str]:
    """Real access tokens from the server's issuer (``AccessTokenIssuer``), signed by the ES256 test key."""
    ring = key_material("ES256").ring
    issuer = AccessTokenIssuer(lambda: ring, AccessTokenSettings(ISSUER, (AUDIENCE,)), FrozenClock(NOW))
    return [
        issuer.issue(subject=f"user-{n}", session_id="s-1", scope="openid", amr=["pwd"], auth_time=NOW).token
        for n in range(count)
    ]


@pytest.mark.threat("T-JWT-15")
def test_the_high_s_twin_of_a_real_token_is_refused() -> None:
    """Attack: take a real ES256 token and replace ``s`` with ``n - s``. The twin is a valid ECDSA signature of
    the same bytes (``cryptography`` accepts it), but it is a second spelling of the token: refused."""
    verifier = domain_verifier("ES256")
    public_key = key_material("ES256").signing_key.key.public_key
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    for token in _issued_es256_tokens(
        16
    ):  # OpenSSL picks a high ``s`` about half the time: the issuer fixes it
        header, payload, signature = token.split(".")
        raw = base64.urlsafe_b64decode(signature + "==")
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        assert s <= P256_ORDER // 2, "Tokenward signs with low s only"
        assert verifier.verify(token).issuer == ISSUER
        twin_s = P256_ORDER - s
        public_key.verify(encode_dss_signature(r, twin_s), f"{header}.{payload}".encode(), ECDSA_SHA256)
        twin = f"{header}.{payload}.{b64url(raw[:32] + twin_s.to_bytes(32, 'big'))}"
        with pytest.raises(InvalidToken) as refused:
            verifier.verify(twin)
        assert refused.value.reason == "bad_signature"
