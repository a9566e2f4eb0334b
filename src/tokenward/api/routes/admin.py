"""The admin API, ``/v1/admin``: for confidential clients with the ``admin`` scope (HTTP Basic credentials).

A client without the scope gets 403 ``insufficient_scope`` and the attempt is recorded in the audit trail;
wrong credentials get 401 ``invalid_client``. Every action is recorded with the acting client's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tokenward.api.auth import ClientAuthorization, Context, Services
from tokenward.api.client_auth import basic_credentials
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.domain.accounts.administration import user_summary
from tokenward.domain.accounts.privacy import Actor
from tokenward.domain.audit.log import AuditQuery, decode_cursor
from tokenward.errors import Conflict, InsufficientScope, InvalidClient, InvalidRequest, NotFound

ADMIN_SCOPE = "admin"
NO_STORE = {"Cache-Control": "no-store"}


@refuses(InvalidClient, InsufficientScope)
async def admin_actor(
    request: Request, services: Services, context: Context, authorization: ClientAuthorization
) -> Actor:
    if not authorization:
        raise InvalidClient("Client authentication is required (HTTP Basic)")
    client = await services.clients.authenticate(*basic_credentials(authorization))
    actor = Actor("api_client", client.id)
    if ADMIN_SCOPE not in client.scopes:
        await services.admin.denied(actor, context, f"{request.method} {request.url.path}")
        raise InsufficientScope("This client lacks the admin scope")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]
router = APIRouter(prefix="/v1/admin", tags=["admin"], route_class=JsonBodyRoute)


@router.get("/users")
@refuses(InvalidRequest)
async def list_users(
    actor: AdminActor,
    services: Services,
    context: Context,
    response: Response,
    query: Annotated[str | None, Query(max_length=320, description="start of the e-mail address")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Users ordered by id; ``next_cursor`` continues the list."""
    response.headers.update(NO_STORE)
    page = await services.admin.list_users(actor, context, query=query, cursor=cursor, limit=limit)
    return {"users": [user_summary(user) for user in page.users], "next_cursor": page.next_cursor}


@router.get("/users/{user_id}")
@refuses(NotFound)
async def show_user(
    user_id: str, actor: AdminActor, services: Services, context: Context, response: Response
) -> dict[str, Any]:
    """The user with factors (metadata only), active sessions, known devices and last sign-in."""
    response.headers.update(NO_STORE)
    return await services.admin.overview(actor, context, user_id)


@router.post("/users/{user_id}/disable")
@refuses(NotFound)
async def disable_user(
    user_id: str, actor: AdminActor, services: Services, context: Context
) -> dict[str, Any]:
    """Disable the account and end every session."""
    return user_summary(await services.admin.set_disabled(actor, context, user_id, True))


@router.post("/users/{user_id}/enable")
@refuses(NotFound)
async def enable_user(
    user_id: str, actor: AdminActor, services: Services, context: Context
) -> dict[str, Any]:
    return user_summary(await services.admin.set_disabled(actor, context, user_id, False))


@router.delete("/users/{user_id}/sessions")
@refuses(NotFound)
async def end_sessions(
    user_id: str, actor: AdminActor, services: Services, context: Context
) -> dict[str, int]:
    """End every session of the user; their access tokens are refused from now on."""
    return {"sessions_ended": await services.admin.end_sessions(actor, context, user_id)}


@router.delete("/users/{user_id}/factors/{factor}", status_code=status.HTTP_204_NO_CONTENT)
@refuses(NotFound)
async def remove_factor(
    user_id: str, factor: str, actor: AdminActor, services: Services, context: Context
) -> None:
    """Remove a second factor (``totp``), e.g. after the user lost their authenticator."""
    await services.admin.remove_factor(actor, context, user_id, factor)


@router.post("/users/{user_id}/verification", status_code=status.HTTP_202_ACCEPTED)
@refuses(NotFound, Conflict)
async def resend_verification(
    user_id: str, actor: AdminActor, services: Services, context: Context
) -> dict[str, str]:
    await services.admin.resend_verification(actor, context, user_id)
    return {"status": "sent"}


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
@refuses(NotFound)
async def erase_user(user_id: str, actor: AdminActor, services: Services, context: Context) -> None:
    """Erase the account: personal data deleted, sessions ended, audit personal fields shredded."""
    await services.admin.erase(actor, context, user_id)


@router.get("/audit")
@refuses(InvalidRequest)
async def audit_events(
    actor: AdminActor,
    services: Services,
    context: Context,
    response: Response,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Audit events, newest first, with their personal fields where not erased or expired."""
    response.headers.update(NO_STORE)
    query = AuditQuery(
        user_id=user_id,
        type=type,
        since=since,
        until=until,
        before_seq=decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    page = await services.admin.audit_events(actor, context, query)
    return {"events": [event.as_dict() for event in page.events], "next_cursor": page.next_cursor}
