"""PKCE S256: RFC 7636 Appendix B's example, and every other form refused."""

from __future__ import annotations

import pytest

from tokenward.domain.oidc.pkce import check_code_challenge, s256, verify_code_verifier
from tokenward.errors import InvalidGrant, InvalidRequest

#: RFC 7636 Appendix B
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_rfc_example() -> None:
    assert s256(VERIFIER) == CHALLENGE
    assert check_code_challenge(CHALLENGE, "S256") == CHALLENGE
    verify_code_verifier(VERIFIER, CHALLENGE)


@pytest.mark.parametrize(
    ("challenge", "method"),
    [(None, "S256"), (CHALLENGE, "plain"), (CHALLENGE, None), (CHALLENGE[:-1], "S256")],
)
def test_other_challenges_are_refused(challenge: str | None, method: str | None) -> None:
    with pytest.raises(InvalidRequest):
        check_code_challenge(challenge, method)


@pytest.mark.parametrize("verifier", [VERIFIER[:-1] + "Y", "short", VERIFIER + " ", CHALLENGE])
def test_a_wrong_verifier_is_invalid_grant(verifier: str) -> None:
    with pytest.raises(InvalidGrant):
        verify_code_verifier(verifier, CHALLENGE)
