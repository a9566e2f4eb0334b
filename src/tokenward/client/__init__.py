"""Resource-server library: verify Tokenward access tokens offline against the issuer's JWKS.

Usable on its own: it needs only httpx (and FastAPI for ``tokenward.client.fastapi``). It applies the
server's own verification rules, so both refuse the same tokens for the same ``InvalidToken.reason``::

    verifier = TokenVerifier(
        jwks_url="https://id.example.com/.well-known/jwks.json",
        issuer="https://id.example.com",
        audiences="https://api.example.com",
    )
    claims = verifier.verify(token)   # raises InvalidToken(reason)

``IntrospectingVerifier`` is the strict mode: it also asks the issuer's introspection endpoint (cached for a
few seconds) so revoked tokens are refused before they expire; see its module for the trade-off.
"""

from tokenward.client.introspection import IntrospectingVerifier
from tokenward.client.jwks import AsyncJWKSCache, JWKSCache
from tokenward.client.verifier import AsyncTokenVerifier, TokenVerifier
from tokenward.domain.keys.ring import VerificationKey
from tokenward.domain.tokens.verification import AccessTokenClaims, VerificationPolicy
from tokenward.errors import InvalidToken, KeyUnavailable

__all__ = [
    "AccessTokenClaims",
    "AsyncJWKSCache",
    "AsyncTokenVerifier",
    "IntrospectingVerifier",
    "InvalidToken",
    "JWKSCache",
    "KeyUnavailable",
    "TokenVerifier",
    "VerificationKey",
    "VerificationPolicy",
]
