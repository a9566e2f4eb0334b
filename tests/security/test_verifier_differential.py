"""The verifier's hand-written signature path decides exactly as joserfc (plus the low-S rule), the library it
replaced.

``domain/keys/signatures.py`` calls ``cryptography`` directly instead of going through joserfc's compact-JWS layers
(bench/README.md has the profile that justified it). A fast path that accepts one token more than the library
is a forgery; one that refuses one token more is an outage. So every token below is verified twice, once as
shipped and once with the signature step swapped back to joserfc (``library_signature_valid``), and the two
outcomes must be identical: accepted with the same claims, or refused for the same ``InvalidToken.reason``.
The one rule Tokenward adds to joserfc, refusing the high-S twin of an ES256 signature, is applied on the library
path too (``is_low_s``); ``test_ecdsa_high_s_twin_is_refused_though_plain_ecdsa_accepts_it`` shows that it is the
only difference.

The tokens: the valid base token, every attack of ``jwt_attacks.attack_cases`` for each algorithm, and generated
variants (hypothesis): random signature bytes of any length, single-bit flips in each segment, truncated and
extended signatures, edge values of ECDSA ``r``/``s`` (zero, the group order, high ``s``), signatures made by
another key of the same algorithm, and valid signatures moved onto other payloads.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey
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
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS, KeyState
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.tokens import AccessTokenVerifier
from tokenward.errors import InvalidToken
from tokenward_client import verification
from tokenward_client.keys import VerificationKey
from tokenward_client.signatures import P256_ORDER, is_low_s
from tokenward_client.verification import UnverifiedToken, VerificationPolicy

VARIANTS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def joserfc_signature_valid(unverified: UnverifiedToken, key: VerificationKey) -> bool:
    """The replaced path: joserfc's compact-JWS validation restricted to the key's one algorithm."""
    # the ring's verification keys hold the joserfc key it publishes, which is what joserfc verifies with
    assert isinstance(key.key, ECKey | OKPKey | RSAKey)
    header_segment, payload_segment = unverified.signing_input.split(b".")
    obj = jws.CompactSignature({"alg": key.alg}, unverified.signing_input)
    obj.segments.update(
        {
            "header": header_segment,
            "payload": payload_segment,
            "signature": base64.urlsafe_b64encode(unverified.signature).rstrip(b"="),
        }
    )
    try:
        return jws.validate_compact(obj, key.key, registry=jws.JWSRegistry(algorithms=[key.alg]))
    except (JoseError, ValueError, TypeError):
        return False


def library_signature_valid(unverified: UnverifiedToken, key: VerificationKey) -> bool:
    """joserfc's decision with Tokenward's one added rule: an ES256 ``s`` in the lower half of the order."""
    if key.alg == "ES256" and not is_low_s(unverified.signature):
        return False
    return joserfc_signature_valid(unverified, key)


@contextmanager
def library_signatures() -> Iterator[None]:
    with mock.patch.object(verification, "_signature_valid", library_signature_valid):
        yield


@contextmanager
def plain_joserfc_signatures() -> Iterator[None]:
    with mock.patch.object(verification, "_signature_valid", joserfc_signature_valid):
        yield


def verifier(alg: str) -> AccessTokenVerifier:
    return AccessTokenVerifier(
        key_material(alg).ring.verification_key,
        VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE})),
        FrozenClock(NOW),
    )


def outcome(alg: str, token: str) -> tuple[str, object]:
    try:
        claims = verifier(alg).verify(token)
    except InvalidToken as refused:
        return ("refused", refused.reason)
    return ("accepted", dict(claims.raw))


def assert_same_decision(alg: str, token: str) -> tuple[str, object]:
    fast = outcome(alg, token)
    with library_signatures():
        library = outcome(alg, token)
    assert fast == library
    return fast


def factory(alg: str) -> TokenFactory:
    return TokenFactory(key_material(alg).signing_key, ISSUER, AUDIENCE, int(NOW.timestamp()))


def segments(token: str) -> list[str]:
    return token.split(".")


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


ALGS = pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
CASES = [
    pytest.param(alg, case, marks=pytest.mark.threat(case.threat), id=f"{alg}-{case.name}")
    for alg in SUPPORTED_ALGORITHMS
    for case in attack_cases(alg)
]


@pytest.mark.threat("T-JWT-14")
@ALGS
def test_valid_token_is_accepted_by_both_paths(alg: str) -> None:
    """Positive control: the base token of every attack is accepted, with the same claims, by both paths."""
    decision, _claims = assert_same_decision(alg, factory(alg).token())
    assert decision == "accepted"


@pytest.mark.parametrize(("alg", "case"), CASES)
def test_attack_token_gets_the_same_refusal_from_both_paths(alg: str, case: AttackCase) -> None:
    """The attack named in the test id is refused by the fast path for exactly the library path's reason."""
    assert assert_same_decision(alg, case.token) == ("refused", case.reason)


@pytest.mark.threat("T-JWT-04", "T-JWT-14")
@ALGS
@VARIANTS
@given(signature=st.binary(min_size=0, max_size=600))
def test_random_signature_bytes_get_the_same_decision(alg: str, signature: bytes) -> None:
    """Forged signatures of any length and content: both paths refuse them (``bad_signature``)."""
    header, payload, _ = segments(factory(alg).token())
    assert assert_same_decision(alg, f"{header}.{payload}.{b64url(signature)}") == (
        "refused",
        "bad_signature",
    )


@pytest.mark.threat("T-JWT-14")
@ALGS
@VARIANTS
@given(data=st.data())
def test_single_bit_flips_get_the_same_decision(alg: str, data: st.DataObject) -> None:
    """Tampering with one bit of the decoded header, payload or signature: the same decision on both paths."""
    parts = segments(factory(alg).token())
    index = data.draw(st.integers(min_value=0, max_value=2), label="segment")
    raw = bytearray(b64decode(parts[index]))
    bit = data.draw(st.integers(min_value=0, max_value=len(raw) * 8 - 1), label="bit")
    raw[bit // 8] ^= 1 << (bit % 8)
    parts[index] = b64url(bytes(raw))
    decision, _ = assert_same_decision(alg, ".".join(parts))
    assert decision == "refused"


@pytest.mark.threat("T-JWT-04", "T-JWT-14")
@ALGS
@VARIANTS
@given(cut=st.integers(min_value=1, max_value=64), extra=st.binary(min_size=1, max_size=64))
def test_truncated_and_extended_signatures_get_the_same_decision(alg: str, cut: int, extra: bytes) -> None:
    """A valid signature shortened or with bytes appended is refused by both paths."""
    header, payload, signature = segments(factory(alg).token())
    raw = b64decode(signature)
    for changed in (raw[:-cut], raw + extra, extra + raw):
        assert assert_same_decision(alg, f"{header}.{payload}.{b64url(changed)}") == (
            "refused",
            "bad_signature",
        )


ECDSA_EDGES = [0, 1, P256_ORDER - 1, P256_ORDER, P256_ORDER + 1, 2**256 - 1]


@pytest.mark.threat("T-JWT-04")
@pytest.mark.parametrize("r", ECDSA_EDGES)
@pytest.mark.parametrize("s", ECDSA_EDGES)
def test_ecdsa_edge_values_get_the_same_decision(r: int, s: int) -> None:
    """ES256 ``r``/``s`` at and around 0 and the group order ("psychic signatures"): refused by both paths."""
    header, payload, _ = segments(factory("ES256").token())
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert assert_same_decision("ES256", f"{header}.{payload}.{b64url(signature)}") == (
        "refused",
        "bad_signature",
    )


@pytest.mark.threat("T-JWT-15")
def test_ecdsa_high_s_twin_is_refused_though_plain_ecdsa_accepts_it() -> None:
    """ECDSA malleability: (r, n - s) is valid whenever (r, s) is. Both paths refuse the twin, while joserfc
    without the low-S rule accepts it: the refusal is that rule, and the twin is a real second spelling."""
    header, payload, signature = segments(factory("ES256").token())
    raw = b64decode(signature)
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    twin = f"{header}.{payload}.{b64url(r + (P256_ORDER - s).to_bytes(32, 'big'))}"
    assert assert_same_decision("ES256", twin) == ("refused", "bad_signature")
    with plain_joserfc_signatures():
        assert outcome("ES256", twin)[0] == "accepted"


def other_key_ring(alg: str) -> KeyRing:
    """A second key of the same algorithm whose kid is replaced by the real one: only the signature differs."""
    material = key_material(alg)
    stored = generate_key(alg, material.encryptor, NOW, KeyState.ACTIVE)
    return KeyRing([stored], material.encryptor)


@pytest.mark.threat("T-JWT-14")
@ALGS
def test_signature_by_another_key_of_the_same_algorithm_gets_the_same_decision(alg: str) -> None:
    """A well-formed signature by an attacker's key of the right algorithm, under the real kid: refused by both."""
    real = factory(alg)
    attacker = TokenFactory(other_key_ring(alg).signing_key, ISSUER, AUDIENCE, real.now)
    token = attacker.token(header=real.header())
    assert assert_same_decision(alg, token) == ("refused", "bad_signature")


@pytest.mark.threat("T-JWT-14")
@ALGS
@VARIANTS
@given(subject=st.text(min_size=1, max_size=40))
def test_valid_signature_moved_to_another_payload_gets_the_same_decision(alg: str, subject: str) -> None:
    """A genuine signature spliced onto a different payload: refused by both paths; re-signed, accepted by both."""
    real = factory(alg)
    header, _, signature = segments(real.token())
    claims = real.claims(sub=subject)
    spliced = real.token(claims=claims).split(".")[1]
    assert assert_same_decision(alg, f"{header}.{spliced}.{signature}") == ("refused", "bad_signature")
    assert assert_same_decision(alg, real.token(claims=claims))[0] == "accepted"
