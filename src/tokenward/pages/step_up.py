"""Proving a current factor on the account page before a change of the factors: the one step-up of every such
form (set up an authenticator app, new recovery codes, turn the app off, add or remove a passkey).

The API lets each of these changes be authorised by any factor the user has (``MfaService.authorise_change``),
so the page does too, the same way on every form:

- ``StepUp`` says what the forms ask for: the code sent by e-mail or SMS once one was sent (its channel is in
  ``PageSession.step_up``), else a code from the app (or a recovery code) while the app is set up, else a
  passkey the page's script has the user confirm first (``data-step-up``), else nothing yet: with only
  e-mail or SMS codes set up, the page offers to send one.
- ``step_up_proof`` reads that proof from any of these forms: the fields ``step_up_code`` and
  ``step_up_method`` (the code factors, without JavaScript), or ``webauthn`` (the script's passkey response).
- ``POST /account/step-up/code`` sends the code (a plain form) and ``POST /account/step-up/passkey`` gives the
  script the WebAuthn options, under the API's rate limit for factors.

A change that went through forgets the sent code's channel (``finished``): the code is spent, and the next
change proves a factor afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.domain.mfa.proofs import EMAIL, SMS, TOTP, WEBAUTHN, FactorProof
from tokenward.errors import (
    CodeSendLimited,
    InvalidMfaCode,
    InvalidPasskey,
    InvalidRequest,
    MfaCodeExpired,
    MfaCodeReplayed,
    MfaMethodUnavailable,
    MfaStateConflict,
    ReauthenticationRequired,
    SmsUnavailable,
)
from tokenward.pages.forms import passkey_credential, read_fields
from tokenward.pages.page import Page
from tokenward.pages.signed_in import SignedInPage, SignedInScript

router = APIRouter(prefix="/account", include_in_schema=False)
ACCOUNT = "/account"
#: the code channels: a code is sent first, then the forms ask for it
SENT_CODES = (SMS, EMAIL)
#: the account page's sections with factor-protected forms: where a "send me a code" form returns to
SECTIONS = {"mfa": ("mfa-heading", "Two-step sign-in"), "passkeys": ("passkeys-heading", "Passkeys")}
#: what a wrong, missing or spent proof (or a sign-in that is too old) is refused with; the form shows it next
#: to its field and nothing changes (``TooManyAttempts`` and the rate limit get the error page, with Retry-After)
STEP_UP_REFUSALS = (
    InvalidRequest,
    ReauthenticationRequired,
    InvalidMfaCode,
    MfaCodeReplayed,
    MfaCodeExpired,
    MfaMethodUnavailable,
    MfaStateConflict,
    InvalidPasskey,
)
SEND_REFUSALS = (InvalidRequest, MfaMethodUnavailable, CodeSendLimited, SmsUnavailable)


@dataclass(frozen=True, slots=True)
class StepUp:
    """Which current factor the account page's protected forms ask for.

    ``code_method``: ``sms`` or ``email`` once such a code was sent, else ``totp`` while the app is set up (a
    recovery code works there too), else ``None`` (no code field). ``passkey``: the script has the user confirm
    an existing passkey first (only when no code is asked for). ``send_channels``: the "send me a code"
    buttons. With no factor at all, nothing is asked and nothing offered.
    """

    send_channels: tuple[str, ...]
    code_method: str | None
    passkey: bool

    @classmethod
    def of(cls, methods: tuple[str, ...], sent: str | None) -> StepUp:
        channels = tuple(m for m in methods if m in SENT_CODES)
        if sent in channels:
            return cls(channels, sent, False)
        if TOTP in methods:
            return cls(channels, TOTP, False)
        return cls(channels, None, WEBAUTHN in methods)

    @property
    def code_sent(self) -> bool:
        return self.code_method in SENT_CODES


def step_up_proof(form: Mapping[str, str]) -> FactorProof | None:
    """The current factor a protected form carries: a passkey's step-up response, or a code (``step_up_method``
    names a code sent by SMS or e-mail; without it, a TOTP or recovery code); ``None`` when it carries none."""
    if form.get("webauthn"):
        return FactorProof(method=WEBAUTHN, credential=passkey_credential(form, "webauthn"))
    fields = ("step_up_code", "step_up_method")
    values, errors = read_fields(form, fields, optional=fields)
    if errors:
        raise InvalidRequest(next(iter(errors.values())))
    if not values["step_up_code"]:
        return None
    return FactorProof(method=values["step_up_method"] or None, code=values["step_up_code"])


def finished(page: Page, notice: str | None = None, totp_uri: str | None = None) -> None:
    """A protected change went through: its step-up code is spent, so the forms stop asking for it. ``notice``
    and ``totp_uri`` (a new enrolment) are set along with it when given."""
    session = replace(page.session, step_up=None)
    if notice is not None:
        session = replace(session, notice=notice)
    if totp_uri is not None:
        session = replace(session, totp_uri=totp_uri)
    page.update(session)


@router.post("/step-up/code", dependencies=[Depends(rate_limited("mfa"))])
async def send_step_up_code(signed_in: SignedInPage) -> Response:
    """E-mail or text a code that proves a current factor for the next change; works without the script."""
    page, form = signed_in.page, signed_in.form
    anchor, title = SECTIONS.get(form.get("section", ""), SECTIONS["passkeys"])
    try:
        sent = await page.services.factors.send_code(
            signed_in.principal.user.id, form.get("method", ""), page.context
        )
    except SEND_REFUSALS as exc:
        page.update(replace(page.session, notice=exc.detail))
        return page.redirect(f"{ACCOUNT}#{anchor}")
    notice = (
        f"A code is on its way to {sent.shown_to}. Enter it under {title}; it works once, for "
        f"{sent.expires_in // 60} minutes."
    )
    page.update(replace(page.session, step_up=sent.channel.value, notice=notice))
    return page.redirect(f"{ACCOUNT}#{anchor}")


@router.post("/step-up/passkey", dependencies=[Depends(rate_limited("mfa"))])
async def passkey_step_up_options(signed_in: SignedInScript) -> Response:
    """Options for the script's ``navigator.credentials.get``: an existing passkey proves the next change."""
    options = await signed_in.page.services.factors.passkey_options(signed_in.principal.user.id)
    return signed_in.page.json({"publicKey": options})
