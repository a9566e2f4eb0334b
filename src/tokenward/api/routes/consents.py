"""The applications a signed-in user allowed (OpenID Connect consents): list them, and remove one, which also
ends the sessions that application holds for the user."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.refusals import refuses
from tokenward.api.routing import JsonBodyRoute
from tokenward.domain.oidc import AppAccess
from tokenward.errors import NotFound

router = APIRouter(prefix="/v1", tags=["sessions"], route_class=JsonBodyRoute)


class ConsentInfo(BaseModel):
    client_id: str
    #: the name the operator registered the client under
    client_name: str
    scopes: list[str]
    granted_at: datetime

    @classmethod
    def of(cls, app: AppAccess) -> ConsentInfo:
        return cls(
            client_id=app.client_id,
            client_name=app.client_name,
            scopes=sorted(app.scopes),
            granted_at=app.granted_at,
        )


class ConsentList(BaseModel):
    consents: list[ConsentInfo]


@router.get("/me/consents", response_model=ConsentList)
async def list_consents(principal: CurrentPrincipal, services: Services, response: Response) -> ConsentList:
    """The applications (clients that are not first-party) the caller allowed, and which scopes."""
    response.headers["Cache-Control"] = "no-store"
    apps = await services.consents.apps(principal.user.id)
    return ConsentList(consents=[ConsentInfo.of(app) for app in apps])


@router.delete("/me/consents/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
@refuses(NotFound)
async def revoke_consent(
    client_id: str, principal: CurrentPrincipal, services: Services, context: Context
) -> Response:
    """Remove an application's access: its consent is forgotten (the next sign-in asks again) and its
    sessions of this user end (refresh tokens at once, access tokens on their next check)."""
    await services.consents.revoke(principal.user.id, client_id, context)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
