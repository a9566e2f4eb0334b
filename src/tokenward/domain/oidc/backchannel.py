"""OpenID Back-Channel Logout 1.0: when a client's session ends, the client is told directly, server to
server, so it can end its own session for that user even though no browser passes by.

Every session that ends goes through ``Revocations`` (RP-initiated logout of another client, the user removing
the client's access, a replayed code, a reused refresh token, "sign out everywhere", a password reset, an
administrator disabling the account); for each one that belongs to a client with a registered
``backchannel_logout_uri``, a logout token naming the user (``sub``) and the sign-in (``sid``, the ID tokens'
``sid``) is posted there. The deliveries run at once and together, each bounded by the sender's own timeout; a
client that does not answer does not stop the sign-out (its tokens are already revoked), and each delivery is
audited with its outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clients import ClientRegistry
from tokenward.domain.context import RequestContext
from tokenward.domain.oidc.id_tokens import IdTokenIssuer
from tokenward.domain.oidc.ports import LogoutTokenSender
from tokenward.domain.sessions.model import Session
from tokenward.domain.sessions.ports import SessionRepository


@dataclass(frozen=True, slots=True)
class _Delivery:
    session: Session
    client_id: str
    uri: str
    logout_token: str


class BackChannelLogout:
    def __init__(
        self,
        *,
        clients: ClientRegistry,
        sessions: SessionRepository,
        id_tokens: IdTokenIssuer,
        sender: LogoutTokenSender,
        audit: AuditTrail,
    ) -> None:
        self._clients = clients
        self._sessions = sessions
        self._id_tokens = id_tokens
        self._sender = sender
        self._audit = audit

    async def sessions_ended(self, session_ids: Sequence[str]) -> None:
        """Tell each client whose session among these ended and that asked to be told."""
        deliveries = [delivery for s in session_ids if (delivery := await self._delivery(s)) is not None]
        if not deliveries:
            return
        results = await asyncio.gather(*(self._sender.send(d.uri, d.logout_token) for d in deliveries))
        for delivery, delivered in zip(deliveries, results, strict=True):
            await self._audit.record(
                AuditEventType.BACKCHANNEL_LOGOUT,
                RequestContext.internal(),
                outcome="delivered" if delivered else "failed",
                user_id=delivery.session.user_id,
                session_id=delivery.session.id,
                client_id=delivery.client_id,
            )

    async def _delivery(self, session_id: str) -> _Delivery | None:
        session = await self._sessions.get(session_id)
        if session is None or session.client_id is None or session.browser_session_id is None:
            return None
        client = await self._clients.find(session.client_id)
        if client is None or client.backchannel_logout_uri is None:
            return None
        token = self._id_tokens.issue_logout_token(
            subject=session.user_id, client_id=client.id, session_id=session.browser_session_id
        )
        return _Delivery(session, client.id, client.backchannel_logout_uri, token)
