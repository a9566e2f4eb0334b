"""HTTP-level helpers for the browser-facing parts: an https client with a cookie jar, and form scraping.

The client talks to the app through ASGI at the issuer's own https origin, so ``Secure`` cookies round-trip as
in a browser.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.harness import TEST_ISSUER, RunningApp, make_settings, running_app
from tests.mfa_support import latest_mailed_code
from tokenward.domain.clock import FrozenClock

APP_ORIGIN = "https://app.example.test"
RETURN_URL = "https://app.example.test/signed-in"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser_settings(data_dir: Path, **overrides: Any) -> Any:
    values: dict[str, Any] = {"cors_origins": [APP_ORIGIN], "return_urls": [RETURN_URL]}
    values.update(overrides)
    return make_settings(data_dir, **values)


@asynccontextmanager
async def browser_app(
    data_dir: Path, clock: FrozenClock | None = None, **overrides: Any
) -> AsyncIterator[RunningApp]:
    async with running_app(browser_settings(data_dir, **overrides), clock) as running:
        yield running


def https_client(api: RunningApp, address: str = "198.51.100.20") -> httpx.AsyncClient:
    """A fresh "browser": its own cookie jar, at the server's https origin, calling from ``address``."""
    transport = httpx.ASGITransport(app=api.app, client=(address, 40000))
    return httpx.AsyncClient(
        transport=transport,
        base_url=TEST_ISSUER,
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/128.0"},
    )


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def post_form(client: httpx.AsyncClient, path: str, page: str, **fields: str) -> httpx.Response:
    """Fetch ``page`` and post ``fields`` to ``path`` with that page's CSRF token, as the form would."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    return await client.post(path, data={"csrf_token": csrf_of(shown.text), **fields})


async def sign_in_page(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await post_form(client, "/account/sign-in", "/account/sign-in", email=email, password=password)


async def sign_in_with_mailed_code(
    api: RunningApp, client: httpx.AsyncClient, email: str, password: str
) -> None:
    """The hosted sign-in of a user whose second factor is a code by e-mail, without script: the password, the
    "send me a code" button, the code."""
    first = await sign_in_page(client, email, password)
    assert first.headers["location"] == "/account/sign-in/mfa"
    sent = await post_form(client, "/account/sign-in/mfa/code", "/account/sign-in/mfa", method="email")
    assert sent.status_code == 303, sent.text
    code = latest_mailed_code(api, email)
    done = await post_form(
        client, "/account/sign-in/mfa", sent.headers["location"], method="email", code=code
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/account"
