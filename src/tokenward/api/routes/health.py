"""Liveness (the process answers) and readiness (its dependencies answer)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tokenward.api.auth import Services
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import Health

router = APIRouter(tags=["health"], route_class=JsonBodyRoute)


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(services: Services) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, check in services.readiness_checks.items():
        try:
            await check()
        except Exception:  # any failure means not ready; the reason goes to the log, not to the caller
            checks[name] = "unavailable"
        else:
            checks[name] = "ok"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        Health(status="ok" if ready else "unavailable", checks=checks).model_dump(),
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )
