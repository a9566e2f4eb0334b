"""The answers of the browser-facing OpenID Connect endpoints: redirects back to a client, and the error page
shown when there is no client to send the browser back to (RFC 6749 §4.1.2.1: never an unregistered URI)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi.responses import HTMLResponse, RedirectResponse

from tokenward.domain.oidc import RedirectableError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: the error page loads nothing and cannot be framed
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"


def with_query(uri: str, values: Mapping[str, str | None]) -> str:
    """``uri`` with ``values`` added to its query (a registered URI may already have one)."""
    parts = urlsplit(uri)
    added = urlencode({name: value for name, value in values.items() if value is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


def error_redirect_url(error: RedirectableError, issuer: str) -> str:
    """The client's redirect URI with the error, ``state`` and the RFC 9207 ``iss``."""
    return with_query(
        error.redirect_uri,
        {"error": error.error, "error_description": error.description, "state": error.state, "iss": issuer},
    )


def redirect_error(error: RedirectableError, issuer: str) -> RedirectResponse:
    """The error back to the client."""
    return redirect(error_redirect_url(error, issuer))


def error_page(title: str, detail: str, status: int = 400) -> HTMLResponse:
    body = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
        "<p>Go back to the application and try again, or tell its owner.</p></body></html>"
    )
    headers = NO_STORE | {"Content-Security-Policy": _PAGE_POLICY}
    return HTMLResponse(body, status_code=status, headers=headers)


#: how the OpenAPI document describes the answers of a browser-facing endpoint
BROWSER_RESPONSES: dict[int | str, dict[str, Any]] = {
    302: {
        "description": "Back to the client's registered redirect URI (or to the hosted sign-in page)",
        "headers": {"Location": {"description": "Where the browser goes next", "schema": {"type": "string"}}},
    },
    400: {
        "description": "An HTML error page: the client, its redirect URI or the ID token hint is not one this "
        "server knows (or the query breaks its rules), so there is nowhere safe to send the browser back to",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}
