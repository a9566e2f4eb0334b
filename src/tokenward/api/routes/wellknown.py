"""Public key set and discovery document; cacheable, since they contain no secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tokenward.api.auth import Services
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.services import ApiConfig

router = APIRouter(tags=["discovery"], route_class=JsonBodyRoute)

#: short enough that a new key is learnt well before it signs, long enough to spare the server
JWKS_MAX_AGE = 300


@router.get("/.well-known/jwks.json")
async def jwks(services: Services, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return services.jwks()


@router.get("/.well-known/openid-configuration")
async def discovery(request: Request, services: Services, response: Response) -> dict[str, Any]:
    config: ApiConfig = request.app.state.config
    algorithms = sorted({key["alg"] for key in services.jwks()["keys"]})
    issuer = config.issuer.rstrip("/")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return {
        "issuer": config.issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        # RFC 8414 §2 requires the member; there is no authorization endpoint yet, so no response type
        "response_types_supported": [],
        "grant_types_supported": ["refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": list(config.scopes_supported),
        "subject_types_supported": ["public"],
        "access_token_signing_alg_values_supported": algorithms,
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
        ],
    }
