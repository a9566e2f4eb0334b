"""SMS and e-mail factors, the account's factor list, and what a second step or a step-up needs sent first.

Enrolment is two calls: ``POST /v1/me/mfa/sms`` (or ``/email``) sends a code to the new destination (a recent
sign-in and, while any factor is set up, a current one); ``.../confirm`` with that code stores it. A code for
a sign-in's second step comes from ``POST /v1/login/mfa/code``, a passkey challenge for it from
``POST /v1/login/mfa/webauthn/options``; for a step-up before a change, ``POST /v1/me/mfa/code`` and
``POST /v1/me/mfa/webauthn/options``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.factor_schemas import (
    CodeConfirmation,
    CodeRequest,
    CodeSentResponse,
    FactorAdded,
    FactorList,
    FactorRemoved,
    SignInCodeRequest,
    SignInPasskeyOptionsRequest,
    SmsEnrolment,
    WebAuthnOptions,
)
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routes.mfa import CODE_SEND_REFUSALS, FACTOR_CHANGE_REFUSALS
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import CurrentFactor
from tokenward.api.transport import NO_STORE
from tokenward.domain.mfa.factors import shown_destination
from tokenward.domain.mfa.model import Channel
from tokenward.errors import (
    InvalidMfaCode,
    InvalidMfaToken,
    InvalidRequest,
    MfaCodeExpired,
    MfaMethodUnavailable,
)

router = APIRouter(prefix="/v1", tags=["mfa"], route_class=JsonBodyRoute)
OptionalFactor = Annotated[CurrentFactor | None, Body()]
LIMITED = [Depends(rate_limited("mfa"))]


@router.get("/me/mfa", response_model=FactorList)
async def list_factors(principal: CurrentPrincipal, services: Services, response: Response) -> FactorList:
    response.headers.update(NO_STORE)
    return FactorList.of(await services.factors.overview(principal.user.id))


@router.post(
    "/me/mfa/sms", response_model=CodeSentResponse, status_code=status.HTTP_202_ACCEPTED, dependencies=LIMITED
)
@refuses(*FACTOR_CHANGE_REFUSALS, *CODE_SEND_REFUSALS)
async def start_sms(
    body: SmsEnrolment, principal: CurrentPrincipal, services: Services, context: Context
) -> CodeSentResponse:
    """Text a code to the number; it is enrolled when the code comes back. 503 if the gateway fails."""
    sent = await services.factors.start_otp_enrolment(
        principal, Channel.SMS, body.phone, body.proof(), context
    )
    return CodeSentResponse.of(sent)


@router.post(
    "/me/mfa/email",
    response_model=CodeSentResponse,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=LIMITED,
)
@refuses(*FACTOR_CHANGE_REFUSALS, *CODE_SEND_REFUSALS)
async def start_email(
    principal: CurrentPrincipal, services: Services, context: Context, body: OptionalFactor = None
) -> CodeSentResponse:
    """E-mail a code to the account's address; the factor is on when the code comes back."""
    proof = body.proof() if body else None
    sent = await services.factors.start_otp_enrolment(principal, Channel.EMAIL, None, proof, context)
    return CodeSentResponse.of(sent)


def _code_factor_routes(channel: Channel) -> None:
    """Confirming and removing the SMS or e-mail factor: one pair of paths per channel, none shared."""

    @router.post(
        f"/me/mfa/{channel.value}/confirm",
        response_model=FactorAdded,
        dependencies=LIMITED,
        name=f"confirm_{channel.value}",
    )
    @refuses(InvalidMfaCode, MfaCodeExpired, MfaMethodUnavailable)
    async def confirm(
        body: CodeConfirmation, principal: CurrentPrincipal, services: Services, context: Context
    ) -> FactorAdded:
        factor = await services.factors.confirm_otp_enrolment(principal, channel, body.code, context)
        return FactorAdded(method=factor.channel.value, destination=shown_destination(factor))

    @router.delete(
        f"/me/mfa/{channel.value}",
        response_model=FactorRemoved,
        dependencies=LIMITED,
        name=f"remove_{channel.value}",
    )
    @refuses(*FACTOR_CHANGE_REFUSALS)
    async def remove(
        principal: CurrentPrincipal, services: Services, context: Context, body: OptionalFactor = None
    ) -> FactorRemoved:
        """Remove the factor (a recent sign-in and a current factor)."""
        await services.factors.remove_otp_factor(principal, channel, body.proof() if body else None, context)
        return FactorRemoved()


for _channel in Channel:
    _code_factor_routes(_channel)


@router.post(
    "/me/mfa/code",
    response_model=CodeSentResponse,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=LIMITED,
)
@refuses(InvalidRequest, *CODE_SEND_REFUSALS)
async def send_step_up_code(
    body: CodeRequest, principal: CurrentPrincipal, services: Services, context: Context
) -> CodeSentResponse:
    """A code to prove a current factor before a change (``{"method": "sms", "code": ...}`` in that change)."""
    return CodeSentResponse.of(await services.factors.send_code(principal.user.id, body.method, context))


@router.post("/me/mfa/webauthn/options", response_model=WebAuthnOptions, dependencies=LIMITED)
async def step_up_passkey_options(
    principal: CurrentPrincipal, services: Services, response: Response
) -> WebAuthnOptions:
    """Options to prove a passkey before a change (``{"method": "webauthn", "webauthn": ...}`` in that change)."""
    response.headers.update(NO_STORE)
    return WebAuthnOptions(public_key=await services.factors.passkey_options(principal.user.id))


@router.post(
    "/login/mfa/code",
    response_model=CodeSentResponse,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=LIMITED,
)
@refuses(InvalidMfaToken, InvalidRequest, *CODE_SEND_REFUSALS)
async def send_sign_in_code(
    body: SignInCodeRequest, services: Services, context: Context
) -> CodeSentResponse:
    """Text or e-mail the code for this sign-in's second step (then ``POST /v1/login/mfa``)."""
    return CodeSentResponse.of(await services.factors.send_sign_in_code(body.mfa_token, body.method, context))


@router.post("/login/mfa/webauthn/options", response_model=WebAuthnOptions, dependencies=LIMITED)
@refuses(InvalidMfaToken)
async def sign_in_passkey_options(
    body: SignInPasskeyOptionsRequest, services: Services, response: Response
) -> WebAuthnOptions:
    """Options for this sign-in's second step with a passkey (then ``POST /v1/login/mfa``)."""
    response.headers.update(NO_STORE)
    return WebAuthnOptions(public_key=await services.factors.sign_in_passkey_options(body.mfa_token))
