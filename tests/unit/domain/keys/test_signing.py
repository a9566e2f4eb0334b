"""Signing straight through ``cryptography`` (``sign_compact``) against signing through joserfc, per algorithm.

For every algorithm Tokenward signs with, tokens signed both ways from the same key, header and payload must
have the same header and payload segments, signatures that joserfc, the server's own signature check and
``tokenward_client``'s accept, and for the deterministic algorithms (Ed25519, RS256) the very same bytes.
ES256 signatures are always in the lower half (one spelling per token: the verifier refuses the other).
A key whose ``key_ops`` do not allow signing signs nothing either way.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jws
from joserfc.errors import UnsupportedAlgorithmError, UnsupportedKeyOperationError
from joserfc.jwk import ECKey

from tokenward.domain.keys import signing
from tokenward.domain.keys.jwk import SigningKey, as_jose_key
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward_client.signatures import is_low_s, signature_check

PAYLOAD = '{"iss":"https://auth.example.test","sub":"ü-1","exp":2000000000,"amr":["pwd"]}'


def _key(alg: str) -> SigningKey:
    if alg == "ES256":
        private: object = ec.generate_private_key(ec.SECP256R1())
    elif alg == "Ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid="k-" + alg, alg=alg, key=as_jose_key(private))


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_direct_signing_writes_what_joserfc_writes(alg: str) -> None:
    key = _key(alg)
    header = {"alg": alg, "typ": "at+jwt", "kid": key.kid}
    check = signature_check(alg, key.key.get_op_key("sign").public_key())
    for _ in range(40 if alg == "ES256" else 3):
        direct = signing.sign_compact(key, header, PAYLOAD)
        reference = signing._sign_with_joserfc(key, header, PAYLOAD)
        assert direct.rsplit(".", 1)[0] == reference.rsplit(".", 1)[0]
        if alg in ("Ed25519", "RS256"):
            assert direct == reference
        for token in (direct, reference):
            jws.deserialize_compact(token, key.key, algorithms=[alg])
            signing_input, _, signature = token.rpartition(".")
            raw = signing._b64decode(signature)
            assert check(signing_input.encode("ascii"), raw)
            if alg == "ES256":
                assert is_low_s(raw)


def test_a_key_that_may_not_sign_signs_nothing_either_way() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    key = SigningKey(kid="k", alg="ES256", key=ECKey.import_key(private, {"key_ops": ["verify"]}))
    header = {"alg": "ES256", "typ": "at+jwt", "kid": "k"}
    for sign in (signing.sign_compact, signing._sign_with_joserfc):
        with pytest.raises(UnsupportedKeyOperationError):
            sign(key, header, PAYLOAD)


def test_a_header_naming_another_algorithm_is_refused_as_joserfc_refuses_it() -> None:
    key = _key("ES256")
    for sign in (signing.sign_compact, signing._sign_with_joserfc):
        with pytest.raises(UnsupportedAlgorithmError):
            sign(key, {"alg": "RS256", "kid": key.kid}, PAYLOAD)
