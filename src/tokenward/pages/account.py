"""The account page: profile, two-step sign-in, password, sessions, signing out.

(A new verification link and new recovery codes are in ``account_renewals``.)

Every action is a form posted with the session's CSRF token, calls the same domain service as the API route
that does the same thing, and ends in a redirect back to the page (or, on a refusal, the page again with the
API's wording next to the field concerned). ``SignedInPage`` checks the token and finds who is signed in first.
The forms that change the second factors prove a current one of them the same way (``pages.step_up``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.rate_limit import rate_limited
from tokenward.domain.email.address_change import REQUEST_ANSWER
from tokenward.domain.mfa.model import Passkey
from tokenward.domain.mfa.totp import qr_code_svg
from tokenward.domain.oidc import AppAccess
from tokenward.domain.sessions.model import Session
from tokenward.domain.sessions.service import Principal
from tokenward.domain.sessions.user_agents import device_name
from tokenward.errors import (
    InvalidCredentials,
    InvalidMfaCode,
    InvalidRequest,
    MfaCodeReplayed,
    MfaStateConflict,
    NotFound,
    PasswordRejected,
    RecentSignInRequired,
)
from tokenward.pages.consent import scope_descriptions
from tokenward.pages.forms import read_fields
from tokenward.pages.page import CurrentPage, Page
from tokenward.pages.signed_in import SIGN_IN, SignedInPage
from tokenward.pages.step_up import STEP_UP_REFUSALS, StepUp, finished, step_up_proof

router = APIRouter(prefix="/account", include_in_schema=False)
ACCOUNT = "/account"


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    device: str
    ip: str | None
    created: str
    last_used: str
    current: bool
    #: the application holding the session (OpenID Connect), ``None`` for a sign-in on a device
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    qr_data_uri: str

    @classmethod
    def of(cls, otpauth_uri: str) -> Enrolment:
        secret = parse_qs(urlsplit(otpauth_uri).query).get("secret", [""])[0]
        svg = base64.b64encode(qr_code_svg(otpauth_uri).encode()).decode()
        return cls(secret=secret, qr_data_uri=f"data:image/svg+xml;base64,{svg}")


@dataclass(frozen=True, slots=True)
class PasskeyRow:
    id: str
    name: str
    added: str
    last_used: str

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyRow:
        used = passkey.last_used_at
        return cls(
            passkey.credential_id, passkey.name, when(passkey.created_at), when(used) if used else "never"
        )


@dataclass(frozen=True, slots=True)
class AppRow:
    client_id: str
    name: str
    allowed: str
    since: str

    @classmethod
    def of(cls, app: AppAccess) -> AppRow:
        allowed = "; ".join(scope_descriptions(app.scopes))
        return cls(app.client_id, app.client_name, allowed, when(app.granted_at))


def when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC")


async def _row(page: Page, session: Session, current_id: str) -> SessionRow:
    """An application's session is named by the application: its user agent is the application's server."""
    client = await page.services.clients.find(session.client_id) if session.client_id else None
    return SessionRow(
        id=session.id,
        device=device_name(session.user_agent),
        ip=session.ip,
        created=when(session.created_at),
        last_used=when(session.last_used_at),
        current=session.id == current_id,
        app=client.name if client is not None else None,
    )


async def render_account(page: Page, principal: Principal, status: int = 200, **values: Any) -> Response:
    services = page.services
    user_id = principal.user.id
    sessions = await services.sessions.list_sessions(user_id)
    uri = page.session.totp_uri
    methods = await services.mfa.methods(user_id)
    values.setdefault("errors", {})
    values.setdefault("recovery_codes", None)
    values.setdefault("codes_renewed", False)
    return page.render(
        "account.html",
        status,
        title="Your account",
        wide=True,
        user=principal.user,
        sessions=[await _row(page, s, principal.session.id) for s in sessions],
        mfa_enabled="totp" in methods,
        any_factor=bool(methods),
        passkeys=[PasskeyRow.of(p) for p in await services.mfa.passkeys.passkeys(user_id)],
        step_up=StepUp.of(methods, page.session.step_up),
        apps=[AppRow.of(app) for app in await services.consents.apps(user_id)],
        recovery_left=await services.mfa.unused_recovery_codes(user_id),
        enrolment=Enrolment.of(uri) if uri and values["recovery_codes"] is None else None,
        notice=page.take_notice(),
        **values,
    )


@router.get("")
async def account_page(signed_in: SignedInPage) -> Response:
    page, principal = signed_in.page, signed_in.principal
    return await render_account(page, principal)


def back_to_account(page: Page, notice: str) -> Response:
    page.update(replace(page.session, notice=notice))
    return page.redirect(ACCOUNT)


@router.post("/profile")
async def update_profile(signed_in: SignedInPage) -> Response:
    page, principal, form = signed_in.page, signed_in.principal, signed_in.form
    values, errors = read_fields(form, ("display_name",), optional=("display_name",))
    if errors:
        return await render_account(page, principal, 400, errors=errors)
    await page.services.accounts.update_profile(
        principal, display_name=values["display_name"].strip() or None
    )
    return back_to_account(page, "Profile saved.")


@router.post("/email", dependencies=[Depends(rate_limited("password_reset"))])
async def change_email(signed_in: SignedInPage) -> Response:
    page, principal, form = signed_in.page, signed_in.principal, signed_in.form
    values, errors = read_fields(form, ("new_email",))
    if errors:
        return await render_account(page, principal, 400, errors=errors)
    try:
        await page.services.email_change.request(principal, values["new_email"], page.context)
    except (InvalidRequest, RecentSignInRequired) as exc:
        return await render_account(page, principal, exc.status, errors={"new_email": exc.detail})
    return back_to_account(page, REQUEST_ANSWER)


@router.post("/password", dependencies=[Depends(rate_limited("login"))])
async def change_password(signed_in: SignedInPage) -> Response:
    page, principal, form = signed_in.page, signed_in.principal, signed_in.form
    values, errors = read_fields(form, ("current_password", "new_password"))
    if errors:
        return await render_account(page, principal, 400, errors=errors)
    try:
        ended = await page.services.accounts.change_password(
            principal, values["current_password"], values["new_password"], page.context
        )
    except InvalidCredentials as exc:
        return await render_account(page, principal, exc.status, errors={"current_password": exc.detail})
    except PasswordRejected as exc:
        message = f"{exc.title}: {exc.detail}"
        return await render_account(page, principal, exc.status, errors={"new_password": message})
    return back_to_account(
        page, f"Password changed. {ended} other session{'s' if ended != 1 else ''} signed out."
    )


@router.post("/sessions/revoke")
async def revoke_session(signed_in: SignedInPage) -> Response:
    page, principal, form = signed_in.page, signed_in.principal, signed_in.form
    values, errors = read_fields(form, ("session_id",))
    try:
        if errors:
            raise NotFound("No such session")
        await page.services.sessions.revoke_own_session(principal, values["session_id"], page.context)
    except NotFound as exc:
        return back_to_account(page, exc.detail)
    return back_to_account(page, "That session is signed out.")


@router.post("/sign-out")
async def sign_out(page: CurrentPage) -> Response:
    await page.form()
    principal = await page.principal()
    if principal is not None:
        await page.services.sessions.logout(principal, everywhere=False, context=page.context)
    page.sign_out("You are signed out.")
    return page.redirect(SIGN_IN)


@router.post("/sign-out-everywhere")
async def sign_out_everywhere(page: CurrentPage) -> Response:
    await page.form()
    principal = await page.principal()
    if principal is not None:
        await page.services.sessions.logout(principal, everywhere=True, context=page.context)
    page.sign_out("You are signed out on every device.")
    return page.redirect(SIGN_IN)


@router.post("/mfa/start", dependencies=[Depends(rate_limited("mfa"))])
async def start_totp(signed_in: SignedInPage) -> Response:
    """With any factor already set up, one of them proves this change (the step-up fields of the form)."""
    page, principal = signed_in.page, signed_in.principal
    try:
        proof = step_up_proof(signed_in.form)
        enrolment = await page.services.mfa.start_enrolment(principal, proof, page.context)
    except STEP_UP_REFUSALS as exc:
        return await render_account(page, principal, exc.status, errors={"mfa-start": exc.detail})
    finished(page, totp_uri=enrolment.otpauth_uri)
    return page.redirect(ACCOUNT)


@router.post("/mfa/confirm", dependencies=[Depends(rate_limited("mfa"))])
async def confirm_totp(signed_in: SignedInPage) -> Response:
    page, principal, form = signed_in.page, signed_in.principal, signed_in.form
    values, errors = read_fields(form, ("code",))
    if errors:
        return await render_account(page, principal, 400, errors=errors)
    try:
        codes = await page.services.mfa.confirm_enrolment(principal, values["code"], page.context)
    except (InvalidMfaCode, MfaCodeReplayed) as exc:
        return await render_account(page, principal, exc.status, errors={"code": exc.detail})
    except MfaStateConflict as exc:
        page.update(replace(page.session, totp_uri=None))
        return await render_account(page, principal, exc.status, errors={"mfa-start": exc.detail})
    page.update(replace(page.session, totp_uri=None))
    return await render_account(page, principal, recovery_codes=codes)


@router.post("/mfa/remove", dependencies=[Depends(rate_limited("mfa"))])
async def remove_totp(signed_in: SignedInPage) -> Response:
    page, principal = signed_in.page, signed_in.principal
    try:
        proof = step_up_proof(signed_in.form)
        await page.services.mfa.remove_totp(principal, proof, page.context)
    except STEP_UP_REFUSALS as exc:
        return await render_account(page, principal, exc.status, errors={"mfa-remove": exc.detail})
    finished(page, notice="Two-step sign-in is off.")
    return page.redirect(ACCOUNT)
