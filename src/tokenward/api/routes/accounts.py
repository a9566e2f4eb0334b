"""Sign-up, sign-in, profile, password change and logout: each route parses, calls one service, answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response, status

from tokenward.api.auth import Context, CurrentPrincipal, RequestTransports, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import (
    LoggedOut,
    LoginRequest,
    LogoutRequest,
    MfaRequiredResponse,
    PasswordChanged,
    PasswordChangeRequest,
    ProfileUpdate,
    SignupAccepted,
    SignupRequest,
    TokenResponse,
    UserProfile,
)
from tokenward.api.services import ApiServices
from tokenward.api.transport import NO_STORE, sign_in_transport
from tokenward.domain.accounts.service import MfaRequired
from tokenward.domain.sessions.service import Principal
from tokenward.errors import (
    AccountDisabled,
    EmailNotVerified,
    InvalidCredentials,
    KeyUnavailable,
    PasswordRejected,
    ServiceBusy,
    TooManyAttempts,
)

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=JsonBodyRoute)


@router.post(
    "/signup",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SignupAccepted,
    dependencies=[Depends(rate_limited("signup"))],
)
@refuses(PasswordRejected, ServiceBusy)
async def sign_up(body: SignupRequest, services: Services, context: Context) -> SignupAccepted:
    """Create an account. The answer is the same whether or not the address already has one."""
    await services.accounts.sign_up(body.email, body.password, context)
    return SignupAccepted()


@router.post(
    "/login",
    response_model=TokenResponse | MfaRequiredResponse,
    dependencies=[Depends(rate_limited("login"))],
)
@refuses(InvalidCredentials, AccountDisabled, EmailNotVerified, TooManyAttempts, ServiceBusy, KeyUnavailable)
async def login(
    request: Request,
    body: LoginRequest,
    services: Services,
    transports: RequestTransports,
    context: Context,
    response: Response,
) -> Response | MfaRequiredResponse:
    """Sign in with e-mail and password: a token response, or with MFA on ``mfa_required`` and no tokens.
    ``X-Tokenward-Transport: cookie`` asks for the refresh token in a cookie (``api.transport.cookie``)."""
    transport = sign_in_transport(request, transports)
    result = await services.accounts.sign_in(body.email, body.password, context)
    if isinstance(result, MfaRequired):
        response.headers.update(NO_STORE)
        return MfaRequiredResponse(
            mfa_token=result.mfa_token, methods=list(result.methods), expires_in=result.expires_in
        )
    return transport.write_token_response(result)


@router.get("/me", response_model=UserProfile)
async def me(principal: CurrentPrincipal, response: Response) -> UserProfile:
    response.headers["Cache-Control"] = "no-store"
    return UserProfile.of(principal.user)


@router.patch("/me", response_model=UserProfile)
async def update_me(body: ProfileUpdate, principal: CurrentPrincipal, services: Services) -> UserProfile:
    if "display_name" not in body.model_fields_set:
        return UserProfile.of(principal.user)
    user = await services.accounts.update_profile(principal, display_name=body.display_name)
    return UserProfile.of(user)


@router.post("/me/password", response_model=PasswordChanged, dependencies=[Depends(rate_limited("login"))])
@refuses(InvalidCredentials, PasswordRejected, TooManyAttempts, ServiceBusy)
async def change_password(
    body: PasswordChangeRequest, principal: CurrentPrincipal, services: Services, context: Context
) -> PasswordChanged:
    """Change the password (the current one is required); every other session is ended."""
    ended = await services.accounts.change_password(
        principal, body.current_password, body.new_password, context
    )
    return PasswordChanged(other_sessions_ended=ended)


@router.post("/logout", response_model=LoggedOut)
async def logout(
    request: Request,
    principal: CurrentPrincipal,
    services: Services,
    transports: RequestTransports,
    context: Context,
    response: Response,
    body: Annotated[LogoutRequest | None, Body()] = None,
) -> LoggedOut:
    """End this session, or with ``{"all": true}`` every session of the user.

    The access token authenticates it, so a refresh cookie sent along is not checked for CSRF: it is only
    cleared, and only when its session ends here or is over already (``api.transport.cookie``)."""
    everywhere = bool(body and body.all)
    transport, held = transports.held_refresh_token(request)
    # decided before the sign-out, while the cookie's session still shows whether it is alive
    forget = held is None or await _ends_with(services, principal, held, everywhere=everywhere)
    ended = await services.sessions.logout(principal, everywhere=everywhere, context=context)
    if forget:
        transport.clear(response)
    return LoggedOut(sessions_ended=ended)


async def _ends_with(services: ApiServices, principal: Principal, held: str, *, everywhere: bool) -> bool:
    """Whether a refresh token the client holds is done once this sign-out has run: unusable already, or of a
    session it ends. A token of another live session (another account in the same browser) is not."""
    found = await services.sessions.find_active_refresh_token(held)
    if found is None:
        return True
    _, session = found
    return session.id == principal.session.id or (everywhere and session.user_id == principal.user.id)
