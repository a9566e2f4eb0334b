"""Passkey ceremonies on the hosted pages: add, rename and remove a passkey on the account page, and sign in
with a passkey alone on the sign-in page.

``navigator.credentials`` exists only in the browser, so these steps are the one place the pages need a
script (``static/passkeys.js``, served from this server as the CSP demands). The script posts the page's form
(with its CSRF token) to these endpoints and gets JSON back: the WebAuthn options, then where to go next or the
refusal's wording. Each endpoint calls the same domain service as the matching API route, under the same rate
limit. Renaming is a plain form and works without the script.

Adding a passkey needs a current factor while any is set up (``MfaService.authorise_change``), whichever the
user has: a code from the app or a recovery code, a passkey the script has them confirm first, or a code by
e-mail or text message, which a plain "send me a code" form sends (``PasskeyProofForm`` says which one the
form asks for).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.domain.mfa.proofs import EMAIL, SMS, TOTP, WEBAUTHN, FactorProof
from tokenward.errors import (
    CodeSendLimited,
    InvalidPasskey,
    InvalidRequest,
    MfaMethodUnavailable,
    SmsUnavailable,
    TokenwardError,
)
from tokenward.pages.forms import checked_return_to, read_fields
from tokenward.pages.page import CurrentPage, Page

router = APIRouter(prefix="/account", include_in_schema=False)
ACCOUNT = "/account"
SIGNED_OUT = {"detail": "You are signed out: sign in again.", "redirect": "/account/sign-in"}


def passkey_credential(form: Mapping[str, str], name: str = "credential") -> dict[str, Any]:
    values, errors = read_fields(form, (name,))
    if errors:
        raise InvalidPasskey("The browser sent no passkey response")
    try:
        credential = json.loads(values[name])
    except ValueError as exc:
        raise InvalidPasskey("The passkey response is not JSON") from exc
    if not isinstance(credential, dict):
        raise InvalidPasskey("The passkey response is not a JSON object")
    return credential


@dataclass(frozen=True, slots=True)
class PasskeyProofForm:
    """Which current factor the account page's "Add a passkey" form asks for.

    ``code_method`` is the code field's method: ``sms`` or ``email`` once such a code was sent
    (``PageSession.step_up``), else ``totp`` while the app is set up (a recovery code works there too), else
    ``None`` (no code field). ``passkey_step_up``: the script has the user confirm an existing passkey first.
    ``send_channels``: the "send me a code" buttons. With only SMS or e-mail set up and no code sent yet, the
    form asks for nothing and the page offers to send one.
    """

    send_channels: tuple[str, ...]
    code_method: str | None
    passkey_step_up: bool

    @classmethod
    def of(cls, methods: tuple[str, ...], sent: str | None) -> PasskeyProofForm:
        channels = tuple(m for m in methods if m in (SMS, EMAIL))
        if sent in channels:
            return cls(channels, sent, False)
        if TOTP in methods:
            return cls(channels, TOTP, False)
        return cls(channels, None, WEBAUTHN in methods)


def _proof(form: Mapping[str, str]) -> FactorProof | None:
    """A current factor for a change: a passkey's step-up response, or a code (``method`` names a code sent by
    SMS or e-mail; without it, a TOTP or recovery code)."""
    if form.get("webauthn"):
        return FactorProof(method=WEBAUTHN, credential=passkey_credential(form, "webauthn"))
    values, errors = read_fields(form, ("passkey_code",), optional=("passkey_code",))
    if errors:
        raise InvalidRequest(errors["passkey_code"])
    if not values["passkey_code"]:
        return None
    return FactorProof(method=form.get("method") or None, code=values["passkey_code"])


def _refused(page: Page, exc: TokenwardError) -> Response:
    return page.json({"code": exc.code, "detail": exc.detail}, exc.status)


@router.post("/passkeys/options", dependencies=[Depends(rate_limited("mfa"))])
async def registration_options(page: CurrentPage) -> Response:
    form = await page.form()
    principal = await page.principal()
    if principal is None:
        return page.json(SIGNED_OUT, 401)
    try:
        options = await page.services.factors.passkey_registration_options(
            principal, _proof(form), page.context
        )
    except TokenwardError as exc:
        return _refused(page, exc)
    return page.json({"publicKey": options})


@router.post("/passkeys", dependencies=[Depends(rate_limited("mfa"))])
async def register(page: CurrentPage) -> Response:
    form = await page.form()
    principal = await page.principal()
    if principal is None:
        return page.json(SIGNED_OUT, 401)
    try:
        passkey = await page.services.factors.register_passkey(
            principal, passkey_credential(form), form.get("name"), page.context
        )
    except TokenwardError as exc:
        return _refused(page, exc)
    page.update(replace(page.session, step_up=None, notice=f"Passkey “{passkey.name}” added."))
    return page.json({"redirect": ACCOUNT})


@router.post("/passkeys/code", dependencies=[Depends(rate_limited("mfa"))])
async def send_step_up_code(page: CurrentPage) -> Response:
    """E-mail or text a code that proves a current factor before adding a passkey; works without the script."""
    form = await page.form()
    principal = await page.principal()
    if principal is None:
        return page.redirect("/account/sign-in")
    try:
        sent = await page.services.factors.send_code(principal.user.id, form.get("method", ""), page.context)
    except (InvalidRequest, MfaMethodUnavailable, CodeSendLimited, SmsUnavailable) as exc:
        page.update(replace(page.session, notice=exc.detail))
        return page.redirect(ACCOUNT)
    notice = (
        f"A code is on its way to {sent.shown_to}. Enter it under Passkeys to add one; it works once, for "
        f"{sent.expires_in // 60} minutes."
    )
    page.update(replace(page.session, step_up=sent.channel.value, notice=notice))
    return page.redirect(f"{ACCOUNT}#passkeys-heading")


@router.post("/passkeys/step-up", dependencies=[Depends(rate_limited("mfa"))])
async def step_up_options(page: CurrentPage) -> Response:
    """Options to prove a passkey before removing one (or adding another)."""
    await page.form()
    principal = await page.principal()
    if principal is None:
        return page.json(SIGNED_OUT, 401)
    return page.json({"publicKey": await page.services.factors.passkey_options(principal.user.id)})


@router.post("/passkeys/remove", dependencies=[Depends(rate_limited("mfa"))])
async def remove(page: CurrentPage) -> Response:
    form = await page.form()
    principal = await page.principal()
    if principal is None:
        return page.json(SIGNED_OUT, 401)
    values, _ = read_fields(form, ("passkey_id",))
    try:
        await page.services.factors.delete_passkey(
            principal, values["passkey_id"], _proof(form), page.context
        )
    except TokenwardError as exc:
        return _refused(page, exc)
    page.update(replace(page.session, notice="Passkey removed."))
    return page.json({"redirect": ACCOUNT})


@router.post("/passkeys/rename")
async def rename(page: CurrentPage) -> Response:
    form = await page.form()
    principal = await page.principal()
    if principal is None:
        return page.redirect("/account/sign-in")
    values, errors = read_fields(form, ("passkey_id", "passkey_name"))
    notice = "Give the passkey a name." if errors else "Passkey renamed."
    if not errors:
        try:
            await page.services.factors.rename_passkey(
                principal, values["passkey_id"], values["passkey_name"]
            )
        except TokenwardError as exc:
            notice = exc.detail
    page.update(replace(page.session, notice=notice))
    return page.redirect(ACCOUNT)


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
