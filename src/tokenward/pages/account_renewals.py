"""Two account-page actions that hand out something new: a verification link and a set of recovery codes.

Each calls the same service under the same rate limit as its API route (``POST /v1/email/resend``,
``POST /v1/me/mfa/recovery-codes``), so the page can do nothing the API would refuse. New recovery codes need
what the API rule asks: a sign-in from the last few minutes and a current code of the factor; they are shown
once, in the answer to the form, and never again.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.errors import InvalidMfaCode, MfaCodeReplayed, MfaStateConflict, ReauthenticationRequired
from tokenward.pages.account import SIGN_IN, back_to_account, render_account
from tokenward.pages.forms import read_fields
from tokenward.pages.page import CurrentPage

router = APIRouter(prefix="/account", include_in_schema=False)


@router.post("/email/resend", dependencies=[Depends(rate_limited("password_reset"))])
async def resend_verification(page: CurrentPage) -> Response:
    await page.form()
    principal = await page.principal()
    if principal is None:
        return page.redirect(SIGN_IN)
    if principal.user.email_verified:
        return back_to_account(page, "Your e-mail address is already verified.")
    await page.services.email_verification.send(principal.user, page.context)
    return back_to_account(
        page, f"A new link is on its way to {principal.user.email}. Links sent before no longer work."
    )


@router.post("/mfa/recovery-codes", dependencies=[Depends(rate_limited("mfa"))])
async def regenerate_recovery_codes(page: CurrentPage) -> Response:
    form = await page.form()
    principal = await page.principal()
    if principal is None:
        return page.redirect(SIGN_IN)
    values, errors = read_fields(form, ("code",))
    if errors:
        return await render_account(page, principal, 400, errors=errors)
    try:
        codes = await page.services.mfa.regenerate_recovery_codes(principal, values["code"], page.context)
    except (ReauthenticationRequired, InvalidMfaCode, MfaCodeReplayed, MfaStateConflict) as exc:
        return await render_account(page, principal, exc.status, errors={"code": exc.detail})
    return await render_account(page, principal, recovery_codes=codes, codes_renewed=True)
