"""Public key set and discovery document; cacheable, since they contain no secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tokenward.api.auth import Services
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.services import ApiConfig, ApiServices

router = APIRouter(tags=["discovery"], route_class=JsonBodyRoute)

#: short enough that a new key is learnt well before it signs, long enough to spare the server
JWKS_MAX_AGE = 300


@router.get("/.well-known/jwks.json")
async def jwks(services: Services, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return services.jwks()


def metadata(config: ApiConfig, algorithms: list[str]) -> dict[str, Any]:
    """What both discovery documents advertise: only what is implemented (code flow, PKCE S256, the client
    authentication methods of ``api.client_auth``)."""
    issuer = config.issuer.rstrip("/")
    client_auth = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": config.issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{issuer}/oauth/logout",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(set(config.scopes_supported) | {"openid", "email", "profile"}),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algorithms,
        "access_token_signing_alg_values_supported": algorithms,
        "prompt_values_supported": ["login", "none", "consent"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nbf",
            "jti",
            "sid",
            "scope",
            "amr",
            "auth_time",
            "nonce",
            "at_hash",
            "client_id",
            "email",
            "email_verified",
            "name",
        ],
    }


def _signing_algorithms(services: ApiServices) -> list[str]:
    return sorted({key["alg"] for key in services.jwks()["keys"]})


@router.get("/.well-known/openid-configuration")
async def discovery(request: Request, services: Services, response: Response) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return metadata(request.app.state.config, _signing_algorithms(services))


@router.get("/.well-known/oauth-authorization-server")
async def authorization_server_metadata(
    request: Request, services: Services, response: Response
) -> dict[str, Any]:
    """RFC 8414: the same document, for OAuth 2.0 clients."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return metadata(request.app.state.config, _signing_algorithms(services))
