"""The FastAPI dependency: RFC 6750 answers for missing, invalid and under-scoped tokens."""

# No ``from __future__ import annotations``: the routes' dependency annotations name a fixture local.

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from tests.security.jwt_attacks import AUDIENCE, ISSUER, NOW, TokenFactory, key_material
from tokenward.domain.clock import FrozenClock
from tokenward_client import AccessTokenClaims, AsyncTokenVerifier
from tokenward_client.fastapi import BearerTokenAuth

JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
T = int(NOW.timestamp())


def jwks(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=key_material("ES256").ring.jwks())


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(jwks)) as jwks_client:
        verifier = AsyncTokenVerifier(
            jwks_url=JWKS_URL,
            issuer=ISSUER,
            audiences=AUDIENCE,
            http_client=jwks_client,
            clock=FrozenClock(NOW),
        )
        auth = BearerTokenAuth(verifier, realm="api")
        app = FastAPI()

        @app.get("/me")
        async def me(claims: Annotated[AccessTokenClaims, Depends(auth)]) -> dict[str, str]:
            return {"sub": claims.subject}

        @app.get("/admin")
        async def admin(
            claims: Annotated[AccessTokenClaims, Depends(auth.require_scopes("admin", "openid"))],
        ) -> dict[str, str]:
            return {"sub": claims.subject}

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield client


def bearer(scope: str = "openid profile", **claims: object) -> dict[str, str]:
    factory = TokenFactory(key_material("ES256").signing_key, ISSUER, AUDIENCE, T)
    return {"Authorization": f"Bearer {factory.token(claims=factory.claims(scope=scope, **claims))}"}


async def test_valid_token_yields_the_claims(api: httpx.AsyncClient) -> None:
    response = await api.get("/me", headers=bearer())
    assert response.status_code == 200
    assert response.json() == {"sub": "user-0001"}


async def test_scheme_is_case_insensitive(api: httpx.AsyncClient) -> None:
    token = bearer()["Authorization"].split(" ", 1)[1]
    assert (await api.get("/me", headers={"Authorization": f"bearer {token}"})).status_code == 200


async def test_no_credentials_is_a_bare_challenge(api: httpx.AsyncClient) -> None:
    """RFC 6750 §3.1: no error code when the client did not try to authenticate."""
    response = await api.get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Token abc", "Bearer not.a.jwt"],
)
async def test_unusable_credentials_are_invalid_token(api: httpx.AsyncClient, authorization: str) -> None:
    response = await api.get("/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_token"')


@pytest.mark.threat("T-JWT-09")
async def test_expired_token_is_invalid_token_with_its_reason(api: httpx.AsyncClient) -> None:
    headers = bearer(iat=T - 1200, nbf=T - 1200, exp=T - 600)
    response = await api.get("/me", headers=headers)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge == 'Bearer realm="api", error="invalid_token", error_description="expired"'
    # the token is echoed nowhere
    token = headers["Authorization"].split(" ", 1)[1]
    assert token not in response.text
    assert token not in challenge


async def test_missing_scope_is_403_insufficient_scope(api: httpx.AsyncClient) -> None:
    response = await api.get("/admin", headers=bearer(scope="openid"))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="admin openid"'
    )


async def test_all_scopes_present_passes(api: httpx.AsyncClient) -> None:
    response = await api.get("/admin", headers=bearer(scope="openid admin"))
    assert response.status_code == 200


async def test_scope_dependency_still_needs_a_token(api: httpx.AsyncClient) -> None:
    assert (await api.get("/admin")).status_code == 401


def test_realm_cannot_break_the_header() -> None:
    with pytest.raises(ValueError, match="realm"):
        BearerTokenAuth(AsyncTokenVerifier(jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE), realm='a"b')
