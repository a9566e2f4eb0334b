"""Every forged or malformed token of ``jwt_attacks`` is refused by the server's verifier, for its exact reason.

Each case runs against a key of each supported algorithm. The positive controls show that the very same setup
accepts a valid token, so a refusal below is due to the attack and not to a broken fixture.
"""

from __future__ import annotations

import pytest
from tests.security.jwt_attacks import (
    AUDIENCE,
    ISSUER,
    NOW,
    AttackCase,
    TokenFactory,
    attack_cases,
    key_material,
)

from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward.domain.tokens import AccessTokenVerifier, VerificationPolicy
from tokenward.errors import InvalidToken
from tokenward_client import verification

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
