"""Liveness (the process answers) and readiness (its dependencies answer)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tokenward.api.auth import Services
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import Health
from tokenward.errors import describe_error

router = APIRouter(tags=["health"], route_class=JsonBodyRoute)
_log = structlog.get_logger("tokenward.readiness")


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request, services: Services) -> JSONResponse:
    checks: dict[str, str] = {}
    causes: dict[str, str] = {}
    for name, check in services.readiness_checks.items():
        try:
            await check()
        except Exception as exc:  # any failure means not ready; the reason goes to the log, not to the caller
            checks[name] = "unavailable"
            causes[name] = describe_error(exc.__cause__ or exc)
        else:
            checks[name] = "ok"
    _log_change(request.app.state, causes)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        Health(status="ok" if ready else "unavailable", checks=checks).model_dump(),
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


def _log_change(state: Any, causes: dict[str, str]) -> None:
    """One line when the verdict or its reasons change (not one per probe): why this process is not ready,
    or that it is ready again."""
    previous: dict[str, str] = getattr(state, "readiness_causes", {})
    if causes == previous:
        return
    state.readiness_causes = causes
    if causes:
        _log.warning("not_ready", causes=causes)
    else:
        _log.info("ready_again", was=previous)
