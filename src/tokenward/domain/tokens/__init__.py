"""Access tokens: issuing (``access``) and the one strict verifier (``verification``)."""

from tokenward.domain.tokens.access import AccessTokenIssuer, AccessTokenSettings, IssuedAccessToken
from tokenward.domain.tokens.verification import (
    AccessTokenClaims,
    AccessTokenVerifier,
    UnverifiedToken,
    VerificationPolicy,
    parse_unverified,
    verify_with_key,
)

__all__ = [
    "AccessTokenClaims",
    "AccessTokenIssuer",
    "AccessTokenSettings",
    "AccessTokenVerifier",
    "IssuedAccessToken",
    "UnverifiedToken",
    "VerificationPolicy",
    "parse_unverified",
    "verify_with_key",
]
