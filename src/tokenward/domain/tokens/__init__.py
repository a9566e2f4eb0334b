"""Access tokens: issuing (``access``) and verifying against the server's key ring (``verification``).

The verification rules themselves are ``tokenward_client.verification``, the one strict verifier that resource
servers run as well; its names are exported here for the rest of the server.
"""

from tokenward.domain.tokens.access import AccessTokenIssuer, AccessTokenSettings, IssuedAccessToken
from tokenward.domain.tokens.verification import AccessTokenVerifier
from tokenward_client.verification import (
    ACCESS_TOKEN_TYPE,
    AccessTokenClaims,
    UnverifiedToken,
    VerificationPolicy,
    parse_unverified,
    verify_with_key,
)

__all__ = [
    "ACCESS_TOKEN_TYPE",
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
