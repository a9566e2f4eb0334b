"""The user's own data: ``GET /v1/me/export`` and ``DELETE /v1/me``; both need a recent sign-in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.errors import InvalidCredentials, InvalidMfaCode, RecentSignInRequired

router = APIRouter(prefix="/v1", tags=["privacy"], route_class=JsonBodyRoute)


class EraseRequest(BaseModel):
    password: str = Field(min_length=1, max_length=4096)
    #: a current TOTP or recovery code; required while MFA is on
    code: str | None = Field(default=None, max_length=64)


@router.get("/me/export")
@refuses(RecentSignInRequired)
async def export_me(
    principal: CurrentPrincipal, services: Services, context: Context, response: Response
) -> dict[str, Any]:
    """Everything held about the caller as one JSON document (never a secret)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = 'attachment; filename="tokenward-export.json"'
    return await services.privacy.export_own(principal, context)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(rate_limited("login"))])
@refuses(RecentSignInRequired, InvalidCredentials, InvalidMfaCode)
async def erase_me(
    body: EraseRequest, principal: CurrentPrincipal, services: Services, context: Context
) -> None:
    """Erase the caller's account for good: data deleted, sessions ended, audit personal fields shredded."""
    await services.privacy.erase_own(principal, body.password, body.code, context)
