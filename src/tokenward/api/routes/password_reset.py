"""Password reset by e-mailed link, and the "this was not me" link of a new-sign-in notice."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from tokenward.api.auth import Context, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import (
    Accepted,
    ForgotPasswordRequest,
    LinkTokenRequest,
    NotMeDone,
    PasswordResetDone,
    PasswordResetRequest,
)
from tokenward.errors import InvalidOneTimeToken, PasswordRejected, ServiceBusy, TooManyAttempts

router = APIRouter(prefix="/v1", tags=["password reset"], route_class=JsonBodyRoute)
FORGOT_ANSWER = "If an account uses this address, a link to reset its password has been sent to it."


@router.post(
    "/password/forgot",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(rate_limited("password_reset"))],
)
@refuses(TooManyAttempts)
async def forgot_password(body: ForgotPasswordRequest, services: Services, context: Context) -> Accepted:
    """Always the same answer, whether or not the address has an account."""
    await services.password_reset.forgot(body.email, context)
    return Accepted(detail=FORGOT_ANSWER)


@router.post(
    "/password/reset",
    response_model=PasswordResetDone,
    dependencies=[Depends(rate_limited("password_reset"))],
)
@refuses(InvalidOneTimeToken, PasswordRejected, ServiceBusy)
async def reset_password(
    body: PasswordResetRequest, services: Services, context: Context
) -> PasswordResetDone:
    """Set a new password with the e-mailed token; every session ends, MFA stays on."""
    ended = await services.password_reset.reset(body.token, body.new_password, context)
    return PasswordResetDone(sessions_ended=ended)


@router.post(
    "/sign-in/not-me",
    response_model=NotMeDone,
    dependencies=[Depends(rate_limited("password_reset"))],
)
@refuses(InvalidOneTimeToken)
async def report_not_me(body: LinkTokenRequest, services: Services, context: Context) -> NotMeDone:
    """The "this was not me" link: end every session, remove the password, e-mail a reset link."""
    await services.sign_in_notices.report_not_me(body.token, context)
    return NotMeDone()
