"""E-mail verification: confirm an address with the e-mailed token, or ask for a new link."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import Accepted, EmailVerified, LinkTokenRequest
from tokenward.errors import InvalidOneTimeToken

router = APIRouter(prefix="/v1/email", tags=["email"], route_class=JsonBodyRoute)


@router.post("/verify", response_model=EmailVerified, dependencies=[Depends(rate_limited("password_reset"))])
@refuses(InvalidOneTimeToken)
async def verify_email(body: LinkTokenRequest, services: Services, context: Context) -> EmailVerified:
    """Mark the address verified with the single-use token from the verification e-mail."""
    await services.email_verification.verify(body.token, context)
    return EmailVerified()


@router.post(
    "/resend",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(rate_limited("password_reset"))],
)
async def resend_verification(principal: CurrentPrincipal, services: Services, context: Context) -> Accepted:
    """Send a new verification link to the signed-in user's address (earlier links stop working)."""
    await services.email_verification.send(principal.user, context)
    return Accepted(detail="If the address is not verified yet, a new link has been sent to it.")
