"""Multi-factor sign-in and factor management: each route parses, calls one service, answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response, status

from tokenward.api.auth import Context, CurrentPrincipal, RequestTransports, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import (
    CurrentFactor,
    MfaLoginRequest,
    MfaRemoved,
    RecoveryCodes,
    TokenResponse,
    TotpConfirmRequest,
    TotpEnrolmentResponse,
)
from tokenward.api.transport import NO_STORE, sign_in_transport
from tokenward.errors import (
    CodeSendLimited,
    InvalidMfaCode,
    InvalidMfaToken,
    InvalidPasskey,
    KeyUnavailable,
    MfaCodeExpired,
    MfaCodeReplayed,
    MfaMethodUnavailable,
    MfaStateConflict,
    PasskeyChallengeInvalid,
    PasskeyCounterRegressed,
    PasskeyOriginMismatch,
    PasskeyRpIdMismatch,
    PasskeyUnknown,
    ReauthenticationRequired,
    SmsUnavailable,
    TooManyAttempts,
)

router = APIRouter(prefix="/v1", tags=["mfa"], route_class=JsonBodyRoute)
OptionalFactor = Annotated[CurrentFactor | None, Body()]
#: what checking a passkey's response can refuse
PASSKEY_REFUSALS = (
    InvalidPasskey,
    PasskeyOriginMismatch,
    PasskeyRpIdMismatch,
    PasskeyChallengeInvalid,
    PasskeyUnknown,
    PasskeyCounterRegressed,
)
#: what checking any second factor can refuse: a code (TOTP, recovery, SMS, e-mail) or a passkey's response
SECOND_FACTOR_REFUSALS = (
    InvalidMfaCode,
    MfaCodeReplayed,
    MfaCodeExpired,
    MfaMethodUnavailable,
    TooManyAttempts,
    *PASSKEY_REFUSALS,
)
#: a change of the factors needs a recent sign-in and, while any factor is set up, a current one
FACTOR_CHANGE_REFUSALS = (ReauthenticationRequired, *SECOND_FACTOR_REFUSALS)
#: sending a one-time code
CODE_SEND_REFUSALS = (MfaMethodUnavailable, CodeSendLimited, SmsUnavailable)


@router.post("/login/mfa", response_model=TokenResponse, dependencies=[Depends(rate_limited("mfa"))])
@refuses(InvalidMfaToken, *SECOND_FACTOR_REFUSALS, KeyUnavailable)
async def login_mfa(
    request: Request,
    body: MfaLoginRequest,
    services: Services,
    transports: RequestTransports,
    context: Context,
) -> Response:
    """The second step of a sign-in: the MFA token from /v1/login and a second factor: a TOTP, recovery, SMS or
    e-mail code, or a passkey's response."""
    transport = sign_in_transport(request, transports)
    pair = await services.accounts.sign_in_mfa(body.mfa_token, body.proof(), context)
    return transport.write_token_response(pair)


@router.post(
    "/me/mfa/totp",
    response_model=TotpEnrolmentResponse,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(rate_limited("mfa"))],
)
@refuses(*FACTOR_CHANGE_REFUSALS)
async def start_totp_enrolment(
    principal: CurrentPrincipal,
    services: Services,
    context: Context,
    response: Response,
    body: OptionalFactor = None,
) -> TotpEnrolmentResponse:
    """Start enrolment: a new secret, its ``otpauth://`` URI and the QR code (SVG). Needs a recent sign-in."""
    enrolment = await services.mfa.start_enrolment(principal, body.proof() if body else None, context)
    response.headers.update(NO_STORE)
    return TotpEnrolmentResponse(
        secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg=enrolment.qr_svg
    )


@router.post(
    "/me/mfa/totp/confirm", response_model=RecoveryCodes, dependencies=[Depends(rate_limited("mfa"))]
)
@refuses(InvalidMfaCode, MfaStateConflict)
async def confirm_totp(
    body: TotpConfirmRequest,
    principal: CurrentPrincipal,
    services: Services,
    context: Context,
    response: Response,
) -> RecoveryCodes:
    """Turn MFA on with a code from the app; returns ten recovery codes, shown this once."""
    codes = await services.mfa.confirm_enrolment(principal, body.code, context)
    response.headers.update(NO_STORE)
    return RecoveryCodes(recovery_codes=codes)


@router.delete("/me/mfa/totp", response_model=MfaRemoved, dependencies=[Depends(rate_limited("mfa"))])
@refuses(*FACTOR_CHANGE_REFUSALS, MfaStateConflict)
async def remove_totp(
    principal: CurrentPrincipal, services: Services, context: Context, body: OptionalFactor = None
) -> MfaRemoved:
    """Turn MFA off (recent sign-in and a current code). Existing sessions then claim only ``pwd``."""
    await services.mfa.remove_totp(principal, body.proof() if body else None, context)
    return MfaRemoved()


@router.post(
    "/me/mfa/recovery-codes", response_model=RecoveryCodes, dependencies=[Depends(rate_limited("mfa"))]
)
@refuses(*FACTOR_CHANGE_REFUSALS, MfaStateConflict)
async def regenerate_recovery_codes(
    principal: CurrentPrincipal,
    services: Services,
    context: Context,
    response: Response,
    body: OptionalFactor = None,
) -> RecoveryCodes:
    """Replace every recovery code (recent sign-in and a current code); the new ones are shown this once."""
    codes = await services.mfa.regenerate_recovery_codes(principal, body.proof() if body else None, context)
    response.headers.update(NO_STORE)
    return RecoveryCodes(recovery_codes=codes)
