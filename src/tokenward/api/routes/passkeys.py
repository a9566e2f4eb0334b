"""Passkeys: the account's list (rename, delete), registration, and passwordless sign-in.

Registration is two calls: ``POST /v1/me/passkeys/registration/options`` (a recent sign-in and, while any factor is set up,
a current one) returns the options for ``navigator.credentials.create``; ``POST /v1/me/passkeys`` stores the
result. Passwordless sign-in is ``POST /v1/login/passkey/options`` then ``POST /v1/login/passkey``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status

from tokenward.api.auth import Context, CurrentPrincipal, RequestTransports, Services
from tokenward.api.factor_schemas import (
    FactorRemoved,
    PasskeyInfo,
    PasskeyList,
    PasskeyLogin,
    PasskeyRegistration,
    PasskeyRename,
    WebAuthnOptions,
)
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routes.mfa import FACTOR_CHANGE_REFUSALS, PASSKEY_REFUSALS
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import CurrentFactor, TokenResponse
from tokenward.api.transport import NO_STORE
from tokenward.errors import AccountDisabled, Conflict, InvalidRequest, KeyUnavailable, NotFound

router = APIRouter(prefix="/v1", tags=["passkeys"], route_class=JsonBodyRoute)
OptionalFactor = Annotated[CurrentFactor | None, Body()]


@router.get("/me/passkeys", response_model=PasskeyList)
async def list_passkeys(principal: CurrentPrincipal, services: Services, response: Response) -> PasskeyList:
    response.headers.update(NO_STORE)
    passkeys = await services.mfa.passkeys.passkeys(principal.user.id)
    return PasskeyList(passkeys=[PasskeyInfo.of(p) for p in passkeys])


@router.post(
    "/me/passkeys/registration/options",
    response_model=WebAuthnOptions,
    dependencies=[Depends(rate_limited("mfa"))],
)
@refuses(*FACTOR_CHANGE_REFUSALS, Conflict)
async def passkey_registration_options(
    principal: CurrentPrincipal,
    services: Services,
    context: Context,
    response: Response,
    body: OptionalFactor = None,
) -> WebAuthnOptions:
    """Options for ``navigator.credentials.create`` (valid 5 minutes, once). Needs a recent sign-in and, while
    any factor is set up, a current one."""
    options = await services.factors.passkey_registration_options(
        principal, body.proof() if body else None, context
    )
    response.headers.update(NO_STORE)
    return WebAuthnOptions(public_key=options)


@router.post(
    "/me/passkeys",
    response_model=PasskeyInfo,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(rate_limited("mfa"))],
)
@refuses(*PASSKEY_REFUSALS, InvalidRequest)
async def register_passkey(
    body: PasskeyRegistration, principal: CurrentPrincipal, services: Services, context: Context
) -> PasskeyInfo:
    """Store the new passkey from ``navigator.credentials.create``."""
    passkey = await services.factors.register_passkey(principal, body.credential, body.name, context)
    return PasskeyInfo.of(passkey)


@router.patch("/me/passkeys/{credential_id}", response_model=PasskeyInfo)
@refuses(NotFound, InvalidRequest)
async def rename_passkey(
    credential_id: str, body: PasskeyRename, principal: CurrentPrincipal, services: Services
) -> PasskeyInfo:
    return PasskeyInfo.of(await services.factors.rename_passkey(principal, credential_id, body.name))


@router.delete(
    "/me/passkeys/{credential_id}", response_model=FactorRemoved, dependencies=[Depends(rate_limited("mfa"))]
)
@refuses(NotFound, *FACTOR_CHANGE_REFUSALS)
async def delete_passkey(
    credential_id: str,
    principal: CurrentPrincipal,
    services: Services,
    context: Context,
    body: OptionalFactor = None,
) -> FactorRemoved:
    """Remove a passkey (a recent sign-in and a current factor, which may be this passkey)."""
    await services.factors.delete_passkey(principal, credential_id, body.proof() if body else None, context)
    return FactorRemoved()


@router.post(
    "/login/passkey/options", response_model=WebAuthnOptions, dependencies=[Depends(rate_limited("login"))]
)
async def passwordless_options(services: Services, response: Response) -> WebAuthnOptions:
    """Options for ``navigator.credentials.get`` with any passkey of this site (user verification required)."""
    response.headers.update(NO_STORE)
    return WebAuthnOptions(public_key=await services.factors.passwordless_options())


@router.post("/login/passkey", response_model=TokenResponse, dependencies=[Depends(rate_limited("login"))])
@refuses(*PASSKEY_REFUSALS, AccountDisabled, KeyUnavailable)
async def passwordless_sign_in(
    body: PasskeyLogin, services: Services, transports: RequestTransports, context: Context
) -> Response:
    """Sign in with a passkey alone: ``amr`` is ``["hwk" or "swk", "user", "mfa"]``."""
    transport = transports.for_sign_in()
    pair = await services.accounts.sign_in_passkey(body.credential, context)
    return transport.write_token_response(pair)
