"""What a relying party and its user's browser do in the end-to-end OpenID Connect tests.

``PageBrowser`` is a browser over plain HTTP: it follows redirects itself and keeps the hosted pages' cookie
by hand (an HTTP client's cookie jar would not send a ``Secure`` cookie to ``http://127.0.0.1``, which browsers
treat as a secure context). ``register_client`` runs ``tokenward clients create`` as an operator would.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

# imported before the block below: ``authlib.deprecate`` adds an "always" filter for Authlib's deprecation
# warnings when first imported, which inside the block would come before (and defeat) the block's "ignore"
import authlib.deprecate  # noqa: F401
import httpx
from authlib.common.security import generate_token

from tests.servers import CHEAP_ARGON2

with warnings.catch_warnings():
    # Authlib announces a future move to another HTTP package; nothing here depends on it
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken

PASSWORD = "correct horse battery staple"
PAGE_COOKIE = "__Host-tokenward-page"
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')

__all__ = [
    "PASSWORD",
    "CodeIDToken",
    "JsonWebKey",
    "OAuth2Client",
    "PageBrowser",
    "generate_token",
    "jwt",
    "register_client",
]


def register_client(workdir: Path, base: str, name: str, *options: str) -> dict[str, Any]:
    env = {"PATH": "/usr/bin:/bin", "TOKENWARD_ISSUER": base, **CHEAP_ARGON2}
    tokenward = Path(sys.executable).with_name("tokenward")
    result = subprocess.run(
        [str(tokenward), "clients", "create", name, *options],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    created: dict[str, Any] = json.loads(result.stdout)
    return created


class PageBrowser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.cookie: str | None = None
        self.http = httpx.Client(base_url=base, timeout=10)

    def __enter__(self) -> PageBrowser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Cookie": f"{PAGE_COOKIE}={self.cookie}"} if self.cookie else {}
        response = self.http.request(method, url, headers=headers, **kwargs)
        found = response.cookies.get(PAGE_COOKIE)
        if found is not None:
            self.cookie = found
        return response

    def open(self, url: str, *, stop_at: str) -> httpx.Response:
        """Follow redirects from ``url`` until one leads to ``stop_at`` (the client's own address) or a page."""
        response = self._send("GET", url)
        while response.is_redirect:
            target = urljoin(str(response.url), response.headers["location"])
            if target.startswith(stop_at):
                return response
            response = self._send("GET", target)
        return response

    def submit(self, page: httpx.Response, fields: dict[str, str], *, stop_at: str) -> httpx.Response:
        """Post the page's form (its hidden fields, the CSRF token among them, plus ``fields``)."""
        form = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        target = urljoin(str(page.url), html.unescape(action.group(1)) if action else str(page.url))
        response = self._send("POST", target, data=form | fields)
        while response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(stop_at):
                return response
            response = self._send("GET", location)
        return response

    def sign_in_through(self, authorization_url: str, email: str, redirect_uri: str) -> str:
        """Open the authorization URL, sign in on the hosted page, return the redirect to the client."""
        page = self.open(authorization_url, stop_at=redirect_uri)
        if page.is_redirect:  # already signed in
            return str(page.headers["location"])
        assert "csrf_token" in page.text, page.text
        answer = self.submit(page, {"email": email, "password": PASSWORD}, stop_at=redirect_uri)
        assert answer.is_redirect, answer.text
        return str(answer.headers["location"])
