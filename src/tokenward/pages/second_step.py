"""The second step of a hosted sign-in, after a correct password: whichever factor the user has.

The page offers every factor the account has set up. The code factors work without JavaScript: a code from the
authenticator app (or a recovery code) goes straight into the form; a code by e-mail or text message is sent
by a "send me a code" button (a plain form), after which the page asks for that code
(``/account/sign-in/mfa?method=email``). A passkey needs ``navigator.credentials``, so that button is run by
``static/passkeys.js`` against the JSON endpoints below, like passwordless sign-in on the sign-in page.

Every step calls the same domain service as the matching API route (``/v1/login/mfa``, ``/v1/login/mfa/code``,
``/v1/login/mfa/webauthn/options``), under the same rate limit, and is bound to the MFA token in the page
session: a wrong factor counts against that token's attempts, and once it is spent the user starts again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.domain.mfa.proofs import EMAIL, RECOVERY_CODE, SMS, TOTP, WEBAUTHN, FactorProof
from tokenward.errors import (
    CodeSendLimited,
    InvalidMfaCode,
    InvalidMfaToken,
    InvalidPasskey,
    InvalidRequest,
    MfaCodeExpired,
    MfaCodeReplayed,
    MfaMethodUnavailable,
    SmsUnavailable,
    TokenwardError,
)
from tokenward.pages.forms import passkey_credential, read_fields
from tokenward.pages.page import CurrentPage, Page
from tokenward.pages.sign_in import ACCOUNT, sign_in_form

router = APIRouter(prefix="/account", include_in_schema=False)
SECOND_STEP = f"{ACCOUNT}/sign-in/mfa"
#: the code channels: a code is sent first, and the code form names its method
SENT_CODES = (SMS, EMAIL)
#: what the code form may name (none: a code from the app or a recovery code)
CODE_METHODS = (TOTP, RECOVERY_CODE, *SENT_CODES)
#: what a wrong code or passkey response is refused with; the page shows it and the user tries again
FACTOR_REFUSALS = (InvalidMfaCode, MfaCodeReplayed, MfaCodeExpired, MfaMethodUnavailable, InvalidPasskey)
#: what sending a code is refused with (``TooManyAttempts`` and the rate limit get the error page)
SEND_REFUSALS = (InvalidRequest, MfaMethodUnavailable, CodeSendLimited, SmsUnavailable)


@dataclass(frozen=True, slots=True)
class SecondStep:
    """What the page shows: the account's methods, and the one the form asks for now.

    ``chosen`` is ``totp`` (a code from the app or a recovery code), ``sms`` or ``email`` (a sent code),
    ``webauthn`` (the passkey button first), or ``None``: only sent codes, and none asked for yet.
    """

    methods: tuple[str, ...]
    chosen: str | None

    @classmethod
    def of(cls, methods: tuple[str, ...], asked: str | None) -> SecondStep:
        if asked in methods and asked != RECOVERY_CODE:
            return cls(methods, asked)
        for default in (TOTP, WEBAUTHN):
            if default in methods:
                return cls(methods, default)
        return cls(methods, None)

    @property
    def code_channels(self) -> tuple[str, ...]:
        return tuple(m for m in self.methods if m in SENT_CODES)

    @property
    def passkey(self) -> bool:
        return WEBAUTHN in self.methods

    @property
    def authenticator_app(self) -> bool:
        return TOTP in self.methods


async def _form(
    page: Page,
    asked: str | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The page for this sign-in, or the sign-in form again once its MFA token is spent."""
    token = page.session.mfa_token
    if token is None:
        return page.redirect(f"{ACCOUNT}/sign-in")
    try:
        methods = await page.services.factors.sign_in_methods(token)
    except InvalidMfaToken as exc:
        return _start_again(page, exc)
    step = SecondStep.of(methods, asked)
    response = page.render(
        "mfa.html",
        status,
        title="Two-step sign-in",
        step=step,
        errors=errors or {},
        error=error,
        notice=page.take_notice(),
    )
    response.headers.update(headers or {})
    return response


def _start_again(page: Page, exc: InvalidMfaToken) -> Response:
    return_to = page.session.return_to
    page.update(replace(page.session, mfa_token=None))
    return sign_in_form(page, status=exc.status, return_to=return_to, error=exc.detail)


@router.get("/sign-in/mfa")
async def mfa_page(page: CurrentPage, method: str | None = None) -> Response:
    await page.allow_return_to(page.session.return_to)
    return await _form(page, method)


@router.post("/sign-in/mfa", dependencies=[Depends(rate_limited("mfa"))])
async def mfa_step(page: CurrentPage) -> Response:
    """A code: from the app or a recovery code (no ``method``), or one sent by SMS or e-mail."""
    form = await page.form()
    session = page.session
    if session.mfa_token is None:
        return page.redirect(f"{ACCOUNT}/sign-in")
    await page.allow_return_to(session.return_to)
    method = form.get("method") or None
    if method is not None and method not in CODE_METHODS:
        return await _form(page, None, 400, error="Choose one of the ways offered on this page.")
    values, errors = read_fields(form, ("code",))
    if errors:
        return await _form(page, method, 400, errors)
    proof = FactorProof(method=method, code=values["code"])
    try:
        pair = await page.services.accounts.sign_in_mfa(session.mfa_token, proof, page.context)
    except FACTOR_REFUSALS as exc:
        return await _form(page, method, exc.status, {"code": exc.detail})
    except InvalidMfaToken as exc:
        return _start_again(page, exc)
    await page.sign_in(pair)
    return page.redirect(session.return_to or ACCOUNT)


@router.post("/sign-in/mfa/code", dependencies=[Depends(rate_limited("mfa"))])
async def send_code(page: CurrentPage) -> Response:
    """E-mail or text the code for this sign-in, then ask for it."""
    form = await page.form()
    token = page.session.mfa_token
    if token is None:
        return page.redirect(f"{ACCOUNT}/sign-in")
    method = form.get("method", "")
    try:
        sent = await page.services.factors.send_sign_in_code(token, method, page.context)
    except InvalidMfaToken as exc:
        return _start_again(page, exc)
    except SEND_REFUSALS as exc:
        await page.allow_return_to(page.session.return_to)
        return await _form(page, None, exc.status, error=exc.detail, headers=exc.headers())
    minutes = sent.expires_in // 60
    notice = f"A code is on its way to {sent.shown_to}. It works once, for {minutes} minutes."
    page.update(replace(page.session, notice=notice))
    return page.redirect(f"{SECOND_STEP}?method={sent.channel.value}")


@router.post("/sign-in/mfa/passkey/options", dependencies=[Depends(rate_limited("mfa"))])
async def passkey_options(page: CurrentPage) -> Response:
    """Options for ``navigator.credentials.get`` with the passkeys of the account signing in."""
    await page.form()
    token = page.session.mfa_token
    try:
        if token is None:
            raise InvalidMfaToken()
        options = await page.services.factors.sign_in_passkey_options(token)
    except InvalidMfaToken as exc:
        return _refused(page, exc)
    return page.json({"publicKey": options})


@router.post("/sign-in/mfa/passkey", dependencies=[Depends(rate_limited("mfa"))])
async def passkey_step(page: CurrentPage) -> Response:
    form = await page.form()
    session = page.session
    try:
        if session.mfa_token is None:
            raise InvalidMfaToken()
        proof = FactorProof(method=WEBAUTHN, credential=passkey_credential(form))
        pair = await page.services.accounts.sign_in_mfa(session.mfa_token, proof, page.context)
    except TokenwardError as exc:
        return _refused(page, exc)
    await page.sign_in(pair)
    return page.json({"redirect": session.return_to or ACCOUNT})


def _refused(page: Page, exc: TokenwardError) -> Response:
    """The script shows ``detail``; once the sign-in is over, the page's "Start again" is the way on."""
    detail = exc.detail
    if isinstance(exc, InvalidMfaToken):
        page.update(replace(page.session, mfa_token=None))
        detail = f"{exc.detail}: start again."
    return page.json({"code": exc.code, "detail": detail}, exc.status)
