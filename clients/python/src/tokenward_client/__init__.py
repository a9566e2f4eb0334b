"""Resource-server library: verify Tokenward access tokens offline against the issuer's JWKS.

A distribution of its own (``tokenward-client``) that needs only ``cryptography`` and ``httpx`` (and FastAPI
for ``tokenward_client.fastapi``). Its ``verification`` module is the one strict verifier: the Tokenward server
imports it too, so both refuse the same tokens for the same ``InvalidToken.reason``::

    verifier = TokenVerifier(
        jwks_url="https://id.example.com/.well-known/jwks.json",
        issuer="https://id.example.com",
        audiences="https://api.example.com",
    )
    claims = verifier.verify(token)   # raises InvalidToken(reason)

``IntrospectingVerifier`` is the strict mode: it also asks the issuer's introspection endpoint (cached for a
few seconds) so revoked tokens are refused before they expire; see its module for the trade-off.
"""

from tokenward_client.errors import InvalidToken, KeyUnavailable
from tokenward_client.introspection import IntrospectingVerifier
from tokenward_client.jwks import AsyncJWKSCache, JWKSCache
from tokenward_client.keys import SUPPORTED_ALGORITHMS, VerificationKey
from tokenward_client.verification import AccessTokenClaims, VerificationPolicy
from tokenward_client.verifier import AsyncTokenVerifier, TokenVerifier

__all__ = [
    "SUPPORTED_ALGORITHMS",
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
