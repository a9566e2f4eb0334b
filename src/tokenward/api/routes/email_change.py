"""Changing the e-mail address: ask (``POST /v1/me/email``), confirm from the new mailbox, undo from the old one.

The steps and why each is needed are in ``domain.email.address_change``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, EmailStr, Field

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import Accepted, LinkTokenRequest, StrictModel
from tokenward.domain.email.address_change import REQUEST_ANSWER, REVERTED
from tokenward.errors import InvalidOneTimeToken, RecentSignInRequired

router = APIRouter(prefix="/v1", tags=["email"], route_class=JsonBodyRoute)


class EmailChangeRequest(StrictModel):
    #: the same field as sign-up's; the sign-up address rules (look-alike domains ...) apply after it
    email: EmailStr = Field(max_length=254)


class EmailChanged(BaseModel):
    status: str = "email_changed"
    email: str


class EmailChangeReverted(BaseModel):
    status: str = "email_change_reverted"
    sessions_ended: int
    detail: str = REVERTED


@router.post(
    "/me/email",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(rate_limited("password_reset"))],
)
@refuses(RecentSignInRequired)
async def request_email_change(
    body: EmailChangeRequest, principal: CurrentPrincipal, services: Services, context: Context
) -> Accepted:
    """Send a confirmation link to the new address; the address changes only when the link is used.

    The answer is the same whether or not the new address already has an account.
    """
    await services.email_change.request(principal, body.email, context)
    return Accepted(detail=REQUEST_ANSWER)


@router.post(
    "/email/change/confirm",
    response_model=EmailChanged,
    dependencies=[Depends(rate_limited("password_reset"))],
)
@refuses(InvalidOneTimeToken)
async def confirm_email_change(body: LinkTokenRequest, services: Services, context: Context) -> EmailChanged:
    """Make the change with the single-use token sent to the new address; the old address gets an undo link."""
    return EmailChanged(email=await services.email_change.confirm(body.token, context))


@router.post(
    "/email/change/revert",
    response_model=EmailChangeReverted,
    dependencies=[Depends(rate_limited("password_reset"))],
)
@refuses(InvalidOneTimeToken)
async def revert_email_change(
    body: LinkTokenRequest, services: Services, context: Context
) -> EmailChangeReverted:
    """The "this was not me" link sent to the old address: restore it, end every session, remove the password."""
    return EmailChangeReverted(sessions_ended=await services.email_change.revert(body.token, context))
