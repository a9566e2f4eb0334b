"""A small resource server that accepts Tokenward access tokens, verified offline against the JWKS.

Run Tokenward (``scripts/serve``), then::

    TOKENWARD_URL=http://127.0.0.1:8000 .venv/bin/uvicorn examples.resource_server:app --port 9000

and call it with an access token: ``curl localhost:9000/profile -H "Authorization: Bearer $AT"``.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import Depends, FastAPI

from tokenward_client import AccessTokenClaims, AsyncTokenVerifier
from tokenward_client.fastapi import BearerTokenAuth

TOKENWARD_URL = os.environ.get("TOKENWARD_URL", "http://127.0.0.1:8000").rstrip("/")
AUDIENCE = os.environ.get("TOKENWARD_AUDIENCE", "tokenward")

verifier = AsyncTokenVerifier(
    jwks_url=f"{TOKENWARD_URL}/.well-known/jwks.json",
    issuer=os.environ.get("TOKENWARD_ISSUER", TOKENWARD_URL),
    audiences=AUDIENCE,
)
auth = BearerTokenAuth(verifier)
app = FastAPI(title="Example resource server")


@app.get("/profile")
async def profile(
    claims: Annotated[AccessTokenClaims, Depends(auth.require_scopes("profile"))],
) -> dict[str, Any]:
    """Any signed-in user with the ``profile`` scope."""
    return {"user": claims.subject, "session": claims.session_id, "scopes": list(claims.scope)}


@app.get("/admin")
async def admin(
    claims: Annotated[AccessTokenClaims, Depends(auth.require_scopes("admin"))],
) -> dict[str, str]:
    """Needs the ``admin`` scope, which sign-in does not grant by default."""
    return {"user": claims.subject}
