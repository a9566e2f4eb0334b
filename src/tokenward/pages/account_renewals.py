"""Two account-page actions that hand out something new: a verification link and a set of recovery codes.

Each calls the same service under the same rate limit as its API route (``POST /v1/email/resend``,
``POST /v1/me/mfa/recovery-codes``), so the page can do nothing the API would refuse. New recovery codes need
what the API rule asks: a sign-in from the last few minutes and a current factor, any the user has (the
account page's one step-up, ``pages.step_up``); they are shown once, in the answer to the form, and never again.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.pages.account import back_to_account, render_account
from tokenward.pages.signed_in import SignedInPage
from tokenward.pages.step_up import STEP_UP_REFUSALS, finished, step_up_proof

router = APIRouter(prefix="/account", include_in_schema=False)


@router.post("/email/resend", dependencies=[Depends(rate_limited("password_reset"))])
async def resend_verification(signed_in: SignedInPage) -> Response:
    page, user = signed_in.page, signed_in.principal.user
    if user.email_verified:
        return back_to_account(page, "Your e-mail address is already verified.")
    await page.services.email_verification.send(user, page.context)
    return back_to_account(
        page, f"A new link is on its way to {user.email}. Links sent before no longer work."
    )


@router.post("/mfa/recovery-codes", dependencies=[Depends(rate_limited("mfa"))])
async def regenerate_recovery_codes(signed_in: SignedInPage) -> Response:
    page, principal = signed_in.page, signed_in.principal
    try:
        proof = step_up_proof(signed_in.form)
        codes = await page.services.mfa.regenerate_recovery_codes(principal, proof, page.context)
    except STEP_UP_REFUSALS as exc:
        return await render_account(page, principal, exc.status, errors={"recovery-codes": exc.detail})
    finished(page)
    return await render_account(page, principal, recovery_codes=codes, codes_renewed=True)
