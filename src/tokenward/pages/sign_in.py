"""Hosted sign-in, sign-up and forgotten password (the second step after a password is ``second_step``).

Each form calls the same domain service as the matching API route, under the same rate limit, and shows the
API's own wording; the answers that must not reveal whether an address has an account (sign-up, forgotten
password, wrong e-mail or password) are the same for every address.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import ValidationError

from tokenward.api.rate_limit import rate_limited
from tokenward.api.routes.password_reset import FORGOT_ANSWER
from tokenward.api.schemas import SignupAccepted, SignupRequest
from tokenward.domain.accounts.service import MfaRequired
from tokenward.errors import (
    AccountDisabled,
    EmailNotVerified,
    InvalidCredentials,
    InvalidRequest,
    PasswordRejected,
)
from tokenward.pages.forms import checked_return_to, read_fields
from tokenward.pages.page import CurrentPage, Page

router = APIRouter(prefix="/account", include_in_schema=False)
ACCOUNT = "/account"


def sign_in_form(
    page: Page, *, status: int = 200, email: str = "", return_to: str | None = None, **values: object
) -> Response:
    values.setdefault("errors", {})
    values.setdefault("error", None)
    return page.render("sign_in.html", status, title="Sign in", email=email, return_to=return_to, **values)


@router.get("/sign-in")
async def sign_in_page(
    page: CurrentPage, return_to: str | None = None, prompt: str | None = None
) -> Response:
    """``prompt=login`` (from the authorization endpoint): ask for the password even when signed in."""
    checked = checked_return_to(return_to, page.config)
    await page.allow_return_to(checked)
    if prompt != "login" and await page.principal() is not None:
        return page.redirect(checked or ACCOUNT)
    return sign_in_form(page, return_to=checked, notice=page.take_notice())


@router.post("/sign-in", dependencies=[Depends(rate_limited("login"))])
async def sign_in(page: CurrentPage) -> Response:
    form = await page.form()
    return_to = checked_return_to(form.get("return_to"), page.config)
    await page.allow_return_to(return_to)
    values, errors = read_fields(form, ("email", "password"))
    if errors:
        return sign_in_form(page, status=400, email=values["email"], return_to=return_to, errors=errors)
    try:
        result = await page.services.accounts.sign_in(values["email"], values["password"], page.context)
    except (InvalidCredentials, AccountDisabled, EmailNotVerified) as exc:
        return sign_in_form(
            page, status=exc.status, email=values["email"], return_to=return_to, error=exc.detail
        )
    if isinstance(result, MfaRequired):
        page.update(replace(page.session, mfa_token=result.mfa_token, return_to=return_to))
        return page.redirect(f"{ACCOUNT}/sign-in/mfa")
    await page.sign_in(result)
    return page.redirect(return_to or ACCOUNT)


def _sign_up_form(page: Page, status: int = 200, email: str = "", **values: object) -> Response:
    values.setdefault("errors", {})
    return page.render(
        "sign_up.html",
        status,
        title="Create an account",
        email=email,
        min_length=page.config.password_min_length,
        **values,
    )


@router.get("/sign-up")
async def sign_up_page(page: CurrentPage) -> Response:
    return _sign_up_form(page)


@router.post("/sign-up", dependencies=[Depends(rate_limited("signup"))])
async def sign_up(page: CurrentPage) -> Response:
    form = await page.form()
    values, errors = read_fields(form, ("email", "password"))
    if not errors:
        try:  # the API's own body model, so the page accepts exactly the addresses the API does
            SignupRequest(email=values["email"], password=values["password"])
        except ValidationError:
            errors["email"] = "A valid e-mail address is required"
    if errors:
        return _sign_up_form(page, 400, values["email"], errors=errors)
    try:
        await page.services.accounts.sign_up(values["email"], values["password"], page.context)
    except InvalidRequest as exc:
        return _sign_up_form(page, exc.status, values["email"], errors={"email": exc.detail})
    except PasswordRejected as exc:
        return _sign_up_form(
            page, exc.status, values["email"], errors={"password": f"{exc.title}: {exc.detail}"}
        )
    return page.render(
        "message.html",
        title="Check your e-mail",
        message=SignupAccepted().detail,
        next_url=f"{ACCOUNT}/sign-in",
        next_label="Go to sign-in",
    )


@router.get("/forgot-password")
async def forgot_page(page: CurrentPage) -> Response:
    return page.render("forgot.html", title="Forgot your password?", email="", errors={})


@router.post("/forgot-password", dependencies=[Depends(rate_limited("password_reset"))])
async def forgot(page: CurrentPage) -> Response:
    form = await page.form()
    values, errors = read_fields(form, ("email",))
    if errors:
        return page.render("forgot.html", 400, title="Forgot your password?", email="", errors=errors)
    await page.services.password_reset.forgot(values["email"], page.context)
    return page.render("message.html", title="Check your e-mail", message=FORGOT_ANSWER, next_url=None)
