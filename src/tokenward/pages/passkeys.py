"""Passkey ceremonies on the hosted pages: add, rename and remove a passkey on the account page, and sign in
with a passkey alone on the sign-in page.

``navigator.credentials`` exists only in the browser, so these steps are the one place the pages need a
script (``static/passkeys.js``, served from this server as the CSP demands). The script posts the page's form
(with its CSRF token) to these endpoints and gets JSON back: the WebAuthn options, then where to go next or the
refusal's wording. Each endpoint calls the same domain service as the matching API route, under the same rate
limit. Renaming is a plain form and works without the script, and so does removing one with a code.

Adding or removing a passkey needs a current factor while any is set up (``MfaService.authorise_change``),
whichever the user has: the account page's one step-up (``pages.step_up``) says which and reads it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.errors import NotFound, TokenwardError
from tokenward.pages.account import back_to_account, render_account
from tokenward.pages.forms import checked_return_to, passkey_credential, read_fields
from tokenward.pages.page import CurrentPage, Page
from tokenward.pages.signed_in import SignedInPage, SignedInScript
from tokenward.pages.step_up import STEP_UP_REFUSALS, finished, step_up_proof

router = APIRouter(prefix="/account", include_in_schema=False)
ACCOUNT = "/account"


def _refused(page: Page, exc: TokenwardError) -> Response:
    return page.json({"code": exc.code, "detail": exc.detail}, exc.status)


@router.post("/passkeys/options", dependencies=[Depends(rate_limited("mfa"))])
async def registration_options(signed_in: SignedInScript) -> Response:
    page = signed_in.page
    try:
        options = await page.services.factors.passkey_registration_options(
            signed_in.principal, step_up_proof(signed_in.form), page.context
        )
    except TokenwardError as exc:
        return _refused(page, exc)
    return page.json({"publicKey": options})


@router.post("/passkeys", dependencies=[Depends(rate_limited("mfa"))])
async def register(signed_in: SignedInScript) -> Response:
    page, form = signed_in.page, signed_in.form
    try:
        passkey = await page.services.factors.register_passkey(
            signed_in.principal, passkey_credential(form), form.get("name"), page.context
        )
    except TokenwardError as exc:
        return _refused(page, exc)
    finished(page, notice=f"Passkey “{passkey.name}” added.")
    return page.json({"redirect": ACCOUNT})


@router.post("/passkeys/remove", dependencies=[Depends(rate_limited("mfa"))])
async def remove(signed_in: SignedInPage) -> Response:
    """A plain form: the step-up is a code in the form, or the passkey response the script put there."""
    page, principal = signed_in.page, signed_in.principal
    values, errors = read_fields(signed_in.form, ("passkey_id",))
    passkey_id = values["passkey_id"]
    try:
        if errors:
            raise NotFound("No such passkey on this account")
        proof = step_up_proof(signed_in.form)
        await page.services.factors.delete_passkey(principal, passkey_id, proof, page.context)
    except NotFound as exc:
        return back_to_account(page, exc.detail)
    except STEP_UP_REFUSALS as exc:
        return await render_account(page, principal, exc.status, errors={f"remove:{passkey_id}": exc.detail})
    finished(page, notice="Passkey removed.")
    return page.redirect(ACCOUNT)


@router.post("/passkeys/rename")
async def rename(signed_in: SignedInPage) -> Response:
    page = signed_in.page
    values, errors = read_fields(signed_in.form, ("passkey_id", "passkey_name"))
    notice = "Give the passkey a name." if errors else "Passkey renamed."
    if not errors:
        try:
            await page.services.factors.rename_passkey(
                signed_in.principal, values["passkey_id"], values["passkey_name"]
            )
        except TokenwardError as exc:
            notice = exc.detail
    return back_to_account(page, notice)


@router.post("/sign-in/passkey/options", dependencies=[Depends(rate_limited("login"))])
async def sign_in_options(page: CurrentPage) -> Response:
    await page.form()
    return page.json({"publicKey": await page.services.factors.passwordless_options()})


@router.post("/sign-in/passkey", dependencies=[Depends(rate_limited("login"))])
async def sign_in(page: CurrentPage) -> Response:
    form = await page.form()
    try:
        return_to = checked_return_to(form.get("return_to"), page.config)
        pair = await page.services.accounts.sign_in_passkey(passkey_credential(form), page.context)
    except TokenwardError as exc:
        return _refused(page, exc)
    await page.sign_in(pair)
    return page.json({"redirect": return_to or ACCOUNT})
