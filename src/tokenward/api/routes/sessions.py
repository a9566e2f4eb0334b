"""The signed-in user's sessions: list them (which device, from where, when) and end one."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.domain.sessions.model import Session
from tokenward.domain.sessions.user_agents import device_name
from tokenward.errors import NotFound

router = APIRouter(prefix="/v1", tags=["sessions"], route_class=JsonBodyRoute)


class SessionInfo(BaseModel):
    id: str
    created_at: datetime
    last_used_at: datetime
    ip: str | None
    #: a readable name from the User-Agent ("Firefox on Linux", "curl"); the raw header is not echoed
    device: str
    #: authentication methods (RFC 8176) used when the session started
    amr: list[str]
    #: the session of the access token making this request
    current: bool
    #: the OpenID Connect client holding the session; ``None`` for a sign-in through this API or its pages
    client_id: str | None = None

    @classmethod
    def of(cls, session: Session, current_id: str) -> SessionInfo:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_used_at=session.last_used_at,
            ip=session.ip,
            device=device_name(session.user_agent),
            amr=list(session.amr),
            current=session.id == current_id,
            client_id=session.client_id,
        )


class SessionList(BaseModel):
    sessions: list[SessionInfo]


@router.get("/me/sessions", response_model=SessionList)
async def list_sessions(principal: CurrentPrincipal, services: Services, response: Response) -> SessionList:
    """The caller's sessions that can still be used, newest first."""
    response.headers["Cache-Control"] = "no-store"
    sessions = await services.sessions.list_sessions(principal.user.id)
    return SessionList(sessions=[SessionInfo.of(s, principal.session.id) for s in sessions])


@router.delete(
    "/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
@refuses(NotFound)
async def revoke_session(
    session_id: str, principal: CurrentPrincipal, services: Services, context: Context
) -> Response:
    """End one session: its refresh tokens stop working at once, its access tokens on their next use."""
    await services.sessions.revoke_own_session(principal, session_id, context)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
