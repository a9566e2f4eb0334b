"""The web application and its lifespan: the container is built when the server starts and closed when it stops.

``build_app`` only builds the FastAPI application; everything that opens a store or checks the settings runs in
the lifespan, through ``build_container``, once per server process.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tokenward.adapters.dependencies import last_resort_refusal
from tokenward.adapters.logging import get_logger
from tokenward.api.app import Lifespan, create_app
from tokenward.api.services import ApiConfig
from tokenward.bootstrap.container import build_container
from tokenward.bootstrap.stores import database_kind
from tokenward.config import Settings
from tokenward.domain.clock import Clock
from tokenward.pages import browser_config, install_pages

_log = get_logger("tokenward.bootstrap")


def api_config(settings: Settings) -> ApiConfig:
    return ApiConfig(
        issuer=settings.issuer,
        audiences=tuple(settings.audiences),
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        trusted_proxies=tuple(settings.trusted_proxies),
        hsts=settings.issuer.startswith("https://"),
        explain_token_refusals=not settings.is_production,
        browser=browser_config(settings),
        triage=last_resort_refusal,
    )


def build_app(
    settings: Settings | None = None, *, clock: Clock | None = None, freeze_after_start: bool = False
) -> FastAPI:
    """``freeze_after_start``: see ``_lifespan``; for a server process, not for the many apps of a test run."""
    settings = settings or Settings()
    app = create_app(api_config(settings), _lifespan(settings, clock, freeze_after_start))
    install_pages(app)
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory tokenward.bootstrap:app_from_environment``."""
    return build_app(Settings(), freeze_after_start=True)


def _lifespan(settings: Settings, clock: Clock | None, freeze_after_start: bool = False) -> Lifespan:
    """Build the container and install its services, run the background tasks if asked, close on the way out."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await build_container(settings, clock=clock)
        app.state.container = container
        app.state.services = container.api_services()
        _log.info(
            "tokenward_started",
            issuer=settings.issuer,
            mode=settings.mode.value,
            database=database_kind(settings),
        )
        if freeze_after_start:
            # what start-up built (modules, the application, the services, the schema, about 200,000 objects)
            # lives as long as the process; a full collection walked it all, a pause of about 100 ms that
            # came back every few thousand requests and set the refresh p99 under load (bench/README.md)
            gc.collect()
            gc.freeze()
        background = container.background_tasks() if settings.background_tasks else None
        if background is not None:
            background.start()
        try:
            yield
        finally:
            if background is not None:
                await background.stop()
            await container.close()

    return lifespan
