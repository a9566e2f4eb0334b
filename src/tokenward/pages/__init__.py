"""Hosted pages: sign-in, sign-up, password reset, e-mail links and the account page, served at ``/account``.

Server-rendered (Jinja2), working without JavaScript, loading nothing from another origin, and calling the
same domain services as the API. ``install_pages`` adds them to the application the API factory built.
"""

from __future__ import annotations

from fastapi import FastAPI

from tokenward.api.browser import BrowserConfig
from tokenward.config import Settings
from tokenward.pages import (
    account,
    account_renewals,
    apps,
    consent,
    links,
    passkeys,
    second_step,
    sign_in,
    static,
    step_up,
)
from tokenward.pages.errors import install_page_error_handlers
from tokenward.pages.oidc import PageBrowserSessions
from tokenward.pages.session import derive_page_secret

__all__ = ["browser_config", "derive_page_secret", "install_pages"]


def install_pages(app: FastAPI) -> None:
    app.include_router(static.router)
    app.include_router(sign_in.router)
    app.include_router(second_step.router)
    app.include_router(links.router)
    app.include_router(account.router)
    app.include_router(account_renewals.router)
    app.include_router(passkeys.router)
    app.include_router(step_up.router)
    app.include_router(consent.router)
    app.include_router(apps.router)
    install_page_error_handlers(app)
    # the authorization endpoint asks the pages' session who is signed in on the browser
    app.state.browser_sessions = PageBrowserSessions()


def browser_config(settings: Settings) -> BrowserConfig:
    return BrowserConfig(
        cors_origins=frozenset(settings.cors_origins),
        return_urls=frozenset(settings.return_urls),
        public_url=settings.effective_public_url,
        service_name=settings.service_name,
        logo_url=settings.brand_logo_url,
        accent_color=settings.brand_accent_color,
        password_min_length=settings.password_min_length,
    )
