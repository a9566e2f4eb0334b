"""The pages the e-mailed links open: reset the password, confirm the address, "this was not me".

The links carry their single-use code after ``#`` (``domain.email.flows``), which browsers never send to a
server; a small script of this server's own (``static/link-token.js``) moves it into the form. Without
JavaScript the field stays visible and the code can be pasted. Nothing happens on opening a link: the user
presses the button, so a mail scanner that follows links changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.api.schemas import NotMeDone
from tokenward.errors import InvalidOneTimeToken, PasswordRejected
from tokenward.pages.forms import read_fields
from tokenward.pages.page import CurrentPage, Page

router = APIRouter(prefix="/account", include_in_schema=False)
SIGN_IN = "/account/sign-in"

RESET = {
    "title": "Choose a new password",
    "explanation": "Choose a new password for your account. Every session will be signed out.",
    "action": "/account/reset-password",
    "button": "Set the new password",
    "new_password": True,
}
VERIFY = {
    "title": "Confirm your e-mail address",
    "explanation": "Press the button to confirm that this address belongs to your account.",
    "action": "/account/verify-email",
    "button": "Confirm my address",
    "new_password": False,
}
NOT_ME = {
    "title": "This was not me",
    "explanation": (
        "If you did not sign in, press the button: every session of your account will be signed out, its "
        "password removed, and a link to choose a new one sent to your address."
    ),
    "action": "/account/not-me",
    "button": "Secure my account",
    "new_password": False,
    "danger": True,
}


def _form(
    page: Page, texts: dict[str, object], status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    return page.render(
        "link.html", status, errors=errors or {}, min_length=page.config.password_min_length, **texts
    )


def _done(page: Page, title: str, message: str) -> Response:
    return page.render("message.html", title=title, message=message, next_url=SIGN_IN, next_label="Sign in")


@router.get("/reset-password")
async def reset_page(page: CurrentPage) -> Response:
    return _form(page, RESET)


@router.post("/reset-password", dependencies=[Depends(rate_limited("password_reset"))])
async def reset(page: CurrentPage) -> Response:
    values, errors = read_fields(await page.form(), ("token", "new_password"))
    if errors:
        return _form(page, RESET, 400, errors)
    try:
        ended = await page.services.password_reset.reset(
            values["token"], values["new_password"], page.context
        )
    except InvalidOneTimeToken as exc:
        return _form(page, RESET, exc.status, {"token": exc.detail})
    except PasswordRejected as exc:
        return _form(page, RESET, exc.status, {"new_password": f"{exc.title}: {exc.detail}"})
    page.sign_out()
    return _done(
        page,
        "Password changed",
        f"Your new password is set and {ended} session{'s' if ended != 1 else ''} signed out. Sign in with it.",
    )


@router.get("/verify-email")
async def verify_page(page: CurrentPage) -> Response:
    return _form(page, VERIFY)


@router.post("/verify-email", dependencies=[Depends(rate_limited("password_reset"))])
async def verify(page: CurrentPage) -> Response:
    values, errors = read_fields(await page.form(), ("token",))
    if errors:
        return _form(page, VERIFY, 400, errors)
    try:
        await page.services.email_verification.verify(values["token"], page.context)
    except InvalidOneTimeToken as exc:
        return _form(page, VERIFY, exc.status, {"token": exc.detail})
    return _done(page, "Address confirmed", "Thank you: your e-mail address is confirmed.")


@router.get("/not-me")
async def not_me_page(page: CurrentPage) -> Response:
    return _form(page, NOT_ME)


@router.post("/not-me", dependencies=[Depends(rate_limited("password_reset"))])
async def not_me(page: CurrentPage) -> Response:
    values, errors = read_fields(await page.form(), ("token",))
    if errors:
        return _form(page, NOT_ME, 400, errors)
    try:
        await page.services.sign_in_notices.report_not_me(values["token"], page.context)
    except InvalidOneTimeToken as exc:
        return _form(page, NOT_ME, exc.status, {"token": exc.detail})
    page.sign_out()
    return _done(page, "Your account is secured", NotMeDone().detail)
