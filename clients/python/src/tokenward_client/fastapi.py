"""FastAPI integration: a bearer-token dependency and per-route scope checks (RFC 6750).

The only module of ``tokenward_client`` that imports FastAPI, so resource servers on other frameworks never
need it installed (``pip install 'tokenward-client[fastapi]'`` brings it).

Answers follow RFC 6750 §3: an invalid token gets ``401`` with ``WWW-Authenticate: Bearer
error="invalid_token"``, a token without the needed scope ``403`` with ``error="insufficient_scope"``. A request
without any credentials gets ``401`` with a plain ``Bearer`` challenge and no error code, because §3.1 says the
server SHOULD NOT include one when the client did not try to authenticate. The submitted token is never
echoed; ``error_description`` is the stable ``InvalidToken.reason``.
"""

# No ``from __future__ import annotations``: FastAPI reads the dependency annotations at run time, and the
# one inside ``require_scopes`` refers to a local (``self``) that a string annotation could not resolve.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from tokenward_client.errors import InvalidToken, KeyUnavailable
from tokenward_client.verification import AccessTokenClaims
from tokenward_client.verifier import AsyncTokenVerifier


def _challenge(realm: str | None, **params: str) -> str:
    parts = [f'realm="{realm}"'] if realm else []
    parts.extend(f'{name}="{value}"' for name, value in params.items())
    return "Bearer " + ", ".join(parts) if parts else "Bearer"


class BearerTokenAuth:
    """``Depends(auth)`` yields the verified ``AccessTokenClaims`` of the request's bearer token."""

    def __init__(self, verifier: AsyncTokenVerifier, *, realm: str | None = None) -> None:
        if realm is not None and ('"' in realm or "\\" in realm):
            raise ValueError("realm must not contain quotes or backslashes")
        self._verifier = verifier
        self._realm = realm

    def _unauthorized(self, reason: str | None) -> HTTPException:
        if reason is None:
            return HTTPException(
                401, "authentication required", {"WWW-Authenticate": _challenge(self._realm)}
            )
        challenge = _challenge(self._realm, error="invalid_token", error_description=reason)
        return HTTPException(401, reason, {"WWW-Authenticate": challenge})

    async def __call__(self, request: Request) -> AccessTokenClaims:
        authorization = request.headers.get("authorization")
        if not authorization:
            raise self._unauthorized(None)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token or " " in token:
            raise self._unauthorized("malformed")
        try:
            return await self._verifier.verify(token)
        except InvalidToken as exc:
            raise self._unauthorized(exc.reason) from None
        except KeyUnavailable:
            raise HTTPException(503, "token verification temporarily unavailable") from None

    def require_scopes(self, *scopes: str) -> Callable[..., Awaitable[AccessTokenClaims]]:
        """A dependency that also demands every one of ``scopes``; answers 403 ``insufficient_scope``."""
        wanted = " ".join(scopes)

        async def dependency(claims: Annotated[AccessTokenClaims, Depends(self)]) -> AccessTokenClaims:
            if not claims.has_scopes(*scopes):
                challenge = _challenge(self._realm, error="insufficient_scope", scope=wanted)
                raise HTTPException(403, "insufficient_scope", {"WWW-Authenticate": challenge})
            return claims

        return dependency
