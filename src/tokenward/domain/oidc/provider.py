"""The OpenID Connect provider: codes for signed-in browsers, the code grant, userinfo and RP-initiated logout.

``issue_code`` runs once the authorization endpoint has a checked request and a signed-in browser; ``redeem``
is the token endpoint's ``authorization_code`` grant for an already authenticated client. Every refusal of a
code is ``invalid_grant`` (RFC 6749 §5.2) with a description saying which binding failed; a code presented a
second time also ends the session its tokens belong to (RFC 6749 §4.1.2).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import uuid4

from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clients import Client, ClientRegistry
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.oidc.codes import CODE_LIFETIME, AuthorizationCode, hash_code, new_code
from tokenward.domain.oidc.id_tokens import IdTokenIssuer
from tokenward.domain.oidc.pkce import verify_code_verifier
from tokenward.domain.oidc.ports import AuthorizationCodeRepository
from tokenward.domain.oidc.requests import AuthorizationRequest
from tokenward.domain.sessions.client_grants import ClientGrant
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import Principal, SessionService, TokenPair
from tokenward.errors import InsufficientScope, InvalidGrant, InvalidRequest

MAX_CODE_CHARS = 128


@dataclass(frozen=True, slots=True)
class BrowserSignIn:
    """Who is signed in on the browser at the authorization endpoint, since when and how."""

    user_id: str
    session_id: str
    auth_time: datetime
    amr: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """The end-session endpoint's parameters (OpenID Connect RP-Initiated Logout §2)."""

    id_token_hint: str | None
    client_id: str | None
    post_logout_redirect_uri: str | None


@dataclass(frozen=True, slots=True)
class SignInNeeded:
    """The browser must sign in (again) before a code is issued; ``force``: even though someone is signed in
    (``prompt=login``, ``max_age`` exceeded); ``login_after``: the sign-in must be newer than this (Unix
    milliseconds), carried in the URL the hosted page returns to so the new sign-in is not asked for again."""

    force: bool
    login_after: int | None


class OidcProvider:
    def __init__(
        self,
        *,
        clients: ClientRegistry,
        codes: AuthorizationCodeRepository,
        sessions: SessionService,
        users: UserRepository,
        id_tokens: IdTokenIssuer,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._clients = clients
        self._codes = codes
        self._sessions = sessions
        self._users = users
        self._id_tokens = id_tokens
        self._audit = audit
        self._clock = clock

    def sign_in_needed(
        self, request: AuthorizationRequest, signed_in: BrowserSignIn | None
    ) -> SignInNeeded | None:
        """Whether the browser's sign-in satisfies ``prompt`` and ``max_age`` (OpenID Core §3.1.2.1).

        ``login_after`` is in milliseconds and a sign-in must come strictly after it: a request back from a
        forced sign-in accepts only the sign-in that happened since (it covers ``max_age`` too).
        """
        now = self._clock.now()
        now_ms = int(now.timestamp() * 1000)
        if "login" in request.prompts and request.login_after is None:
            return SignInNeeded(force=signed_in is not None, login_after=now_ms)
        if signed_in is None:
            return SignInNeeded(force=False, login_after=request.login_after)
        if request.login_after is not None:
            stale = int(signed_in.auth_time.timestamp() * 1000) <= request.login_after
        else:
            age = (now - signed_in.auth_time).total_seconds()
            stale = request.max_age is not None and age > request.max_age
        return SignInNeeded(force=True, login_after=now_ms) if stale else None

    async def issue_code(
        self, request: AuthorizationRequest, sign_in: BrowserSignIn, context: RequestContext
    ) -> str:
        now = self._clock.now()
        code = new_code()
        await self._codes.add(
            AuthorizationCode(
                code_hash=hash_code(code),
                client_id=request.client.id,
                user_id=sign_in.user_id,
                browser_session_id=sign_in.session_id,
                redirect_uri=request.redirect_uri,
                scope=request.scope,
                code_challenge=request.code_challenge,
                nonce=request.nonce,
                auth_time=sign_in.auth_time,
                amr=sign_in.amr,
                created_at=now,
                expires_at=now + CODE_LIFETIME,
            )
        )
        await self._audit.record(
            AuditEventType.AUTHORIZATION_CODE_ISSUED,
            context,
            user_id=sign_in.user_id,
            session_id=sign_in.session_id,
            client_id=request.client.id,
            scope=request.scope,
        )
        return code

    async def redeem(
        self,
        client: Client,
        code: str,
        redirect_uri: str | None,
        verifier: str | None,
        context: RequestContext,
    ) -> TokenPair:
        """Tokens for a code issued to ``client`` for ``redirect_uri`` and the verifier's challenge."""
        if not code or len(code) > MAX_CODE_CHARS:
            raise InvalidRequest("code is required")
        if not redirect_uri:
            raise InvalidRequest("redirect_uri is required")
        token_session_id = str(uuid4())
        redemption = await self._codes.consume(hash_code(code), self._clock.now(), token_session_id)
        if redemption is None:
            raise InvalidGrant("The authorization code is invalid")
        stored = redemption.code
        if not redemption.first_use:
            await self._replayed(stored, context)
        if self._clock.now() >= stored.expires_at:
            raise InvalidGrant("The authorization code has expired")
        if stored.client_id != client.id:
            raise InvalidGrant("The authorization code was issued to another client")
        if stored.redirect_uri != redirect_uri:
            raise InvalidGrant("redirect_uri differs from the one in the authorization request")
        verify_code_verifier(verifier, stored.code_challenge)
        user = await self._users.get(stored.user_id)
        if user is None or user.disabled:
            raise InvalidGrant("The authorization code is invalid")
        grant = ClientGrant(
            session_id=token_session_id,
            client_id=client.id,
            scope=stored.scope,
            auth_time=stored.auth_time,
            browser_session_id=stored.browser_session_id,
        )
        pair = await self._sessions.start(user, amr=stored.amr, context=context, grant=grant)
        again = await self._codes.get(stored.code_hash)
        if again is not None and again.replayed_at is not None:
            # a replay arrived before the session existed, so it could not end it: this redemption does
            await self._replayed(replace(stored, token_session_id=token_session_id), context)
        return self.with_id_token(pair, client, nonce=stored.nonce)

    def with_id_token(self, pair: TokenPair, client: Client, *, nonce: str | None = None) -> TokenPair:
        """``pair`` with an ID token if its session is ``client``'s with the ``openid`` scope: at the code
        grant (with the request's ``nonce``) and at every refresh (OpenID Core §12.2: the same ``sub``,
        ``aud``, ``auth_time``, ``amr`` and ``sid`` as the first one, and no ``nonce``)."""
        session = pair.session
        if (
            session is None
            or session.client_id != client.id
            or session.browser_session_id is None
            or "openid" not in session.scope.split()
        ):
            return pair
        id_token = self._id_tokens.issue(
            subject=session.user_id,
            client_id=client.id,
            session_id=session.browser_session_id,
            auth_time=session.auth_time,
            amr=session.amr,
            nonce=nonce,
            access_token=pair.access_token,
        )
        return replace(pair, id_token=id_token)

    async def _replayed(self, stored: AuthorizationCode, context: RequestContext) -> None:
        """Revoke what the code's first redemption issued, and refuse. The replay is recorded before the
        session is ended, so a first redemption that creates the session after this looks finds it."""
        await self._codes.mark_replayed(stored.code_hash, self._clock.now())
        if stored.token_session_id is not None:
            await self._sessions.end_client_session(
                stored.token_session_id, RevokeReason.CODE_REPLAYED, context
            )
        await self._audit.record(
            AuditEventType.AUTHORIZATION_CODE_REPLAYED,
            context,
            outcome="tokens_revoked",
            user_id=stored.user_id,
            session_id=stored.token_session_id,
            client_id=stored.client_id,
        )
        raise InvalidGrant("The authorization code was already used; the tokens issued from it are revoked")

    @staticmethod
    def userinfo(principal: Principal) -> dict[str, Any]:
        """The claims the access token's scopes allow (OpenID Core §5.4): ``sub`` always."""
        scopes = set(principal.claims.scope)
        if "openid" not in scopes:
            raise InsufficientScope("userinfo needs an access token issued with the openid scope")
        user = principal.user
        claims: dict[str, Any] = {"sub": user.id}
        if "email" in scopes:
            claims["email"] = user.email
            claims["email_verified"] = user.email_verified
        if "profile" in scopes and user.display_name:
            claims["name"] = user.display_name
        return claims

    async def logout(self, request: LogoutRequest, context: RequestContext) -> str | None:
        """Sign out the browser session an ID token names (RP-initiated logout) and every client session
        started from it; returns the checked ``post_logout_redirect_uri``, if any.

        ``id_token_hint`` is required: without it any site could sign users out by sending them here (a
        confirmation page would be the alternative). Every check comes before anything ends, so a refused
        request changes nothing.
        """
        if not request.id_token_hint:
            raise InvalidRequest("id_token_hint is required")
        hint = self._id_tokens.read_hint(request.id_token_hint)
        if request.client_id is not None and request.client_id not in hint.audience:
            raise InvalidRequest("id_token_hint was issued to another client than client_id")
        target = request.post_logout_redirect_uri
        if target is not None:
            client = await self._clients.find(request.client_id or hint.audience[0])
            if client is None or not client.accepts_post_logout_redirect_uri(target):
                raise InvalidRequest("post_logout_redirect_uri is not registered for this client")
        if hint.session_id is not None:
            await self._sessions.end_browser_session(hint.subject, hint.session_id, context)
        return target
