"""The user's own data: ``GET /v1/me/export`` and ``DELETE /v1/me``; both need a recent sign-in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response, status
from pydantic import ConfigDict, Field

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routes.mfa import SECOND_FACTOR_REFUSALS
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import MAX_CODE_CHARS, CurrentFactor
from tokenward.domain.mfa.proofs import FactorProof
from tokenward.errors import InvalidCredentials, RecentSignInRequired

router = APIRouter(prefix="/v1", tags=["privacy"], route_class=JsonBodyRoute)


class EraseRequest(CurrentFactor):
    """The password and, while any second factor is set up, a current one (see ``CurrentFactor``): a TOTP or
    recovery code in ``code`` alone, as before there were other factors, or ``method`` with a code sent by
    ``POST /v1/me/mfa/code`` or a passkey's response to ``POST /v1/me/mfa/webauthn/options``."""

    #: as lenient as this body was before it took every factor: unknown fields are ignored
    model_config = ConfigDict(extra="ignore", strict=False)

    password: str = Field(min_length=1, max_length=4096)
    #: an empty code counts as none, as it always did here
    code: str | None = Field(default=None, max_length=MAX_CODE_CHARS)

    def proof(self) -> FactorProof:
        return FactorProof(method=self.method, code=self.code or None, credential=self.webauthn)


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
@refuses(RecentSignInRequired, InvalidCredentials, *SECOND_FACTOR_REFUSALS)
async def erase_me(
    body: EraseRequest, principal: CurrentPrincipal, services: Services, context: Context
) -> None:
    """Erase the caller's account for good: data deleted, sessions ended, audit personal fields shredded.
    Needs a recent sign-in, the password and, while any second factor is set up, a current one."""
    await services.privacy.erase_own(principal, body.password, body.proof(), context)
