"""Sessions: start one at sign-in, rotate its refresh token, authenticate access tokens against it, end it.

Refresh-token rotation and reuse detection (docs/security/token-lifecycle.md#rotation-and-reuse-detection):
- every refresh replaces the token; the old hash stays, marked ``rotated_at``;
- a rotated token presented again *within* the grace window (default 10 s) is refused with ``invalid_grant``
  but revokes nothing: that is what a client does when two tabs refresh at once or a response was lost, and
  the winner of the race already holds the successor;
- presented again *after* the grace window it is treated as stolen: the session and its whole family are
  revoked and a ``refresh_token_reuse`` security event is recorded.

Every path that ends a session also puts it on the deny-list (``Revocations``), and ``authenticate`` consults
the deny-list before the database, so an access token of an ended session is refused on its next request by
every process sharing the deny-list (docs/security/token-lifecycle.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import uuid4

from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.sessions.client_grants import ClientGrant
from tokenward.domain.sessions.denylist import Revocations, SessionsEnded
from tokenward.domain.sessions.model import RefreshTokenRecord, RevokeReason, RotationTerms, Session
from tokenward.domain.sessions.ports import SessionRepository
from tokenward.domain.sessions.refresh_tokens import (
    hash_refresh_token,
    looks_like_refresh_token,
    new_refresh_token,
)
from tokenward.domain.tokens import (
    AccessTokenClaims,
    AccessTokenIssuer,
    AccessTokenVerifier,
    parse_unverified,
)
from tokenward.errors import InvalidGrant, InvalidToken, NotFound

_USER_AGENT_MAX = 512


@dataclass(frozen=True, slots=True)
class SessionSettings:
    idle_ttl: timedelta
    absolute_ttl: timedelta
    reuse_grace: timedelta
    default_scope: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    scope: str
    session_id: str
    token_type: str = "Bearer"
    #: seconds the refresh token stays usable (the session's idle or absolute end, whichever comes first)
    refresh_expires_in: int = 0
    #: OpenID Connect: the ID token issued with the pair (a client session with the ``openid`` scope)
    id_token: str | None = None
    #: the session the pair belongs to, as the rotation left it: what an ID token says about the sign-in
    session: Session | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a verified access token whose session and user are still valid."""

    claims: AccessTokenClaims
    session: Session
    user: User


class SessionService:
    def __init__(
        self,
        *,
        sessions: SessionRepository,
        users: UserRepository,
        issuer: AccessTokenIssuer,
        verifier: AccessTokenVerifier,
        audit: AuditTrail,
        clock: Clock,
        settings: SessionSettings,
        revocations: Revocations,
        learn_key: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        """``learn_key(kid)`` reloads the key ring when a token names a kid it does not know yet (a key another
        process just activated) and says whether the kid is known now; it rate-limits itself."""
        self._sessions = sessions
        self._users = users
        self._issuer = issuer
        self._verifier = verifier
        self._audit = audit
        self._clock = clock
        self._settings = settings
        self._revocations = revocations
        self._learn_key = learn_key

    def on_sessions_ended(self, listener: SessionsEnded) -> None:
        """``listener`` hears the ids of every session that ends, however it ends (``Revocations``)."""
        self._revocations.subscribe(listener)

    async def start(
        self,
        user: User,
        *,
        amr: tuple[str, ...],
        context: RequestContext,
        grant: ClientGrant | None = None,
    ) -> TokenPair:
        """A new session: a sign-in now, or (``grant``) a client's session from an authorization code."""
        now = self._clock.now()
        session = Session(
            id=grant.session_id if grant else str(uuid4()),
            user_id=user.id,
            family_id=str(uuid4()),
            created_at=now,
            last_used_at=now,
            expires_at=now + self._settings.absolute_ttl,
            auth_time=grant.auth_time if grant else now,
            amr=amr,
            scope=grant.scope if grant else self._settings.default_scope,
            ip=context.ip,
            user_agent=(context.user_agent or "")[:_USER_AGENT_MAX] or None,
            client_id=grant.client_id if grant else None,
            browser_session_id=grant.browser_session_id if grant else None,
        )
        refresh_token = new_refresh_token()
        # sign before storing: a signing failure must not leave a session without tokens behind
        pair = self._token_pair(session, refresh_token)
        await self._sessions.create(session, self._refresh_record(refresh_token, session))
        return pair

    async def refresh(
        self, refresh_token: str, context: RequestContext, *, client_id: str | None = None
    ) -> TokenPair:
        """Rotate: the storage checks and rotates in one transaction (``rotate_current``); the access token is
        signed inside it, so a signing failure leaves the old token current. Only a refused rotation reads
        the token, its session and its user to say why, and to act on a reuse or a disabled user.

        ``client_id`` is the client the request authenticated as (``None``: this server's own API) and must be
        the one the token was issued to; a mismatch is refused inside the rotation, so it rolls back."""
        if not looks_like_refresh_token(refresh_token):
            raise InvalidGrant("The refresh token is invalid")
        now = self._clock.now()
        old_hash = hash_refresh_token(refresh_token)
        successor_token = new_refresh_token()
        terms = RotationTerms(
            now=now, idle_before=now - self._settings.idle_ttl, idle_end=now + self._settings.idle_ttl
        )
        async with self._sessions.rotate_current(
            old_hash, hash_refresh_token(successor_token), terms
        ) as rotation:
            if rotation is not None:
                if rotation.session.client_id != client_id:
                    raise InvalidGrant("The refresh token was not issued to this client")
                return self._token_pair(rotation.session, successor_token)
        raise await self._refusal(old_hash, context, client_id)

    async def _refusal(self, old_hash: str, context: RequestContext, client_id: str | None) -> InvalidGrant:
        """Why a refresh token could not be rotated; acts on a reuse (ends the session) or a disabled user."""
        found = await self._sessions.find_refresh_token_and_session(old_hash)
        if found is None:
            return InvalidGrant("The refresh token is invalid")
        record, session = found
        if record.revoked_at is not None or not session.active:
            return InvalidGrant("The refresh token is invalid")
        if session.client_id != client_id:
            return InvalidGrant("The refresh token was not issued to this client")
        if record.rotated_at is not None:
            return await self._rotated_token_presented(record, session, context)
        if self._expired(record, session):
            return InvalidGrant("The session has expired; sign in again")
        user = await self._users.get(session.user_id)
        if user is None or user.disabled:
            await self._revoke(session.id, RevokeReason.USER_DISABLED)
            return InvalidGrant("The refresh token is invalid")
        # current a moment after it could not be rotated: another request won the race for it
        return InvalidGrant("The refresh token was already used; use the newest refresh token")

    async def authenticate(self, access_token: str) -> Principal:
        claims, session = await self.verify_active(access_token)
        user = await self._users.get(claims.subject)
        if user is None or user.disabled:
            raise InvalidToken("session_revoked")
        return Principal(claims=claims, session=session, user=user)

    async def verify_active(self, access_token: str) -> tuple[AccessTokenClaims, Session]:
        """A verified access token whose session is neither denied nor ended (``InvalidToken`` otherwise).

        The deny-list comes first: it is one cheap look-up and is what other processes see at once.
        """
        claims = await self._verify_not_denied(access_token)
        return claims, await self._active_session(claims)

    async def verify_unrevoked(self, access_token: str) -> AccessTokenClaims:
        """A verified access token that is not revoked, for introspection: like ``verify_active``, but the
        session is read only when the deny-list cannot answer alone (it is not ``complete``)."""
        claims = await self._verify_not_denied(access_token)
        if not self._revocations.complete:
            await self._active_session(claims)
        return claims

    async def _verify_not_denied(self, access_token: str) -> AccessTokenClaims:
        claims = await self._verify(access_token)
        if await self._revocations.is_denied(claims.session_id, claims.jti):
            raise InvalidToken("revoked")
        return claims

    async def _active_session(self, claims: AccessTokenClaims) -> Session:
        session = await self._sessions.get(claims.session_id)
        if session is None or not session.active or session.user_id != claims.subject:
            raise InvalidToken("session_revoked")
        return session

    async def _verify(self, access_token: str) -> AccessTokenClaims:
        try:
            return self._verifier.verify(access_token)
        except InvalidToken as exc:
            if exc.reason != "unknown_kid" or self._learn_key is None:
                raise
            kid = parse_unverified(access_token, self._verifier.policy).kid
            if not await self._learn_key(kid):
                raise
            return self._verifier.verify(access_token)

    async def find_active_refresh_token(
        self, refresh_token: str
    ) -> tuple[RefreshTokenRecord, Session] | None:
        """The current (not rotated, revoked or expired) refresh token and its active session; no side effect."""
        if not looks_like_refresh_token(refresh_token):
            return None
        record = await self._sessions.find_refresh_token(hash_refresh_token(refresh_token))
        if record is None or record.revoked_at is not None or record.rotated_at is not None:
            return None
        session = await self._sessions.get(record.session_id)
        if session is None or not session.active or self._expired(record, session):
            return None
        return record, session

    async def revoke_refresh_token(self, refresh_token: str, context: RequestContext) -> None:
        """RFC 7009: end the token's session and family (and so its access tokens); unknown tokens are ignored.

        A rotated or already revoked token of the family ends the session too: whoever holds any token of the
        family may ask for it to end, and ending it only ever takes access away.
        """
        if not looks_like_refresh_token(refresh_token):
            return
        record = await self._sessions.find_refresh_token(hash_refresh_token(refresh_token))
        if record is None:
            return
        if await self._revoke(record.session_id, RevokeReason.TOKEN_REVOKED):
            await self._audit.record(
                AuditEventType.SESSION_REVOKED,
                context,
                user_id=record.user_id,
                session_id=record.session_id,
                reason=RevokeReason.TOKEN_REVOKED.value,
                via="refresh_token",
            )

    async def revoke_access_token(self, access_token: str, context: RequestContext) -> None:
        """RFC 7009: deny this one access token until it expires; invalid or expired tokens are ignored.

        Only the token goes: its session and refresh token stay (revoke the refresh token to end the session).
        """
        try:
            claims = await self._verify(access_token)
        except InvalidToken:
            return
        await self._revocations.token_revoked(claims.jti, claims.expires_at)
        await self._audit.record(
            AuditEventType.TOKEN_REVOKED,
            context,
            user_id=claims.subject,
            session_id=claims.session_id,
            jti=claims.jti,
        )

    async def logout(self, principal: Principal, *, everywhere: bool, context: RequestContext) -> int:
        """End this session, or every session of the user; returns how many were ended."""
        if everywhere:
            ended = len(await self.revoke_all(principal.user.id, RevokeReason.LOGOUT_ALL))
        else:
            ended = int(await self._revoke(principal.session.id, RevokeReason.LOGOUT))
        await self._audit.record(
            AuditEventType.LOGOUT,
            context,
            user_id=principal.user.id,
            session_id=principal.session.id,
            everywhere=everywhere,
            sessions_ended=ended,
        )
        return ended

    async def revoke_all(
        self, user_id: str, reason: str, *, except_session_id: str | None = None
    ) -> list[str]:
        """End every session of the user (but one, if named) and deny them; returns the ended ids."""
        ended = await self._sessions.revoke_all_for_user(
            user_id, self._clock.now(), reason, except_session_id=except_session_id
        )
        await self._revocations.sessions_revoked(ended)
        return ended

    async def set_amr_for_user(self, user_id: str, amr: tuple[str, ...]) -> int:
        """Lower (or set) what every active session of the user claims in ``amr`` from the next refresh."""
        return await self._sessions.set_amr_for_user(user_id, amr)

    async def list_sessions(self, user_id: str) -> list[Session]:
        """The user's sessions that can still be used: not revoked, not past their idle or absolute end."""
        now = self._clock.now()
        return [
            session
            for session in await self._sessions.list_for_user(user_id)
            if now < session.expires_at and now < session.last_used_at + self._settings.idle_ttl
        ]

    async def revoke_own_session(
        self, principal: Principal, session_id: str, context: RequestContext | None = None
    ) -> None:
        """End one of the caller's own sessions; another user's session id is ``NotFound`` like an unknown one."""
        session = await self._sessions.get(session_id) if len(session_id) <= 64 else None
        if session is None or session.user_id != principal.user.id or not session.active:
            raise NotFound("No such session")
        await self._revoke(session_id, RevokeReason.USER_REQUEST)
        await self._audit.record(
            AuditEventType.SESSION_REVOKED,
            context,
            user_id=principal.user.id,
            session_id=session_id,
            reason=RevokeReason.USER_REQUEST.value,
            by_session=principal.session.id,
        )

    async def end_client_session(self, session_id: str, reason: str, context: RequestContext) -> None:
        """End a client's session (a replayed authorization code, a signed-out browser) and deny its tokens."""
        if await self._revoke(session_id, reason):
            await self._audit.record(
                AuditEventType.SESSION_REVOKED, context, session_id=session_id, reason=reason
            )

    async def end_browser_session(
        self, user_id: str, browser_session_id: str, context: RequestContext
    ) -> int:
        """Sign a browser out: its session and every client session started from it; returns how many ended."""
        ended = 0
        for session in await self._sessions.list_for_user(user_id):
            if browser_session_id in (session.id, session.browser_session_id):
                ended += int(await self._revoke(session.id, RevokeReason.BROWSER_SIGNED_OUT))
        await self._audit.record(
            AuditEventType.OIDC_LOGOUT,
            context,
            user_id=user_id,
            session_id=browser_session_id,
            sessions_ended=ended,
        )
        return ended

    async def _revoke(self, session_id: str, reason: str) -> bool:
        """End one session and its family and deny it (even if it had already ended: denying is harmless)."""
        ended = await self._sessions.revoke(session_id, self._clock.now(), reason)
        await self._revocations.sessions_revoked([session_id])
        return ended

    async def _rotated_token_presented(
        self, record: RefreshTokenRecord, session: Session, context: RequestContext
    ) -> InvalidGrant:
        now = self._clock.now()
        assert record.rotated_at is not None
        if now - record.rotated_at <= self._settings.reuse_grace:
            return InvalidGrant("The refresh token was already used; use the newest refresh token")
        await self._revoke(session.id, RevokeReason.REFRESH_TOKEN_REUSE)
        await self._audit.record(
            AuditEventType.REFRESH_TOKEN_REUSE,
            context,
            outcome="session_revoked",
            user_id=session.user_id,
            session_id=session.id,
            family_id=session.family_id,
            rotated_seconds_ago=int((now - record.rotated_at).total_seconds()),
        )
        return InvalidGrant("Refresh token reuse detected; the session has been revoked")

    def _expired(self, record: RefreshTokenRecord, session: Session) -> bool:
        now = self._clock.now()
        return (
            now >= record.expires_at
            or now >= session.expires_at
            or now >= session.last_used_at + self._settings.idle_ttl
        )

    def _refresh_record(self, token: str, session: Session) -> RefreshTokenRecord:
        now = self._clock.now()
        return RefreshTokenRecord(
            token_hash=hash_refresh_token(token),
            session_id=session.id,
            family_id=session.family_id,
            user_id=session.user_id,
            created_at=now,
            expires_at=self._refresh_expiry(session),
        )

    def _refresh_expiry(self, session: Session) -> datetime:
        return min(self._clock.now() + self._settings.idle_ttl, session.expires_at)

    def _token_pair(self, session: Session, refresh_token: str) -> TokenPair:
        issued = self._issuer.issue(
            subject=session.user_id,
            session_id=session.id,
            scope=session.scope,
            amr=session.amr,
            auth_time=session.auth_time,
            client_id=session.client_id,
        )
        return TokenPair(
            access_token=issued.token,
            expires_in=issued.expires_in,
            refresh_token=refresh_token,
            scope=session.scope,
            session_id=session.id,
            refresh_expires_in=int((self._refresh_expiry(session) - self._clock.now()).total_seconds()),
            session=session,
        )
