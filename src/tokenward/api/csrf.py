"""CSRF defence for requests a cookie authenticates (the cookie transport's refresh and sign-out).

A browser attaches cookies to requests that another site starts, so a cookie alone proves nothing about who
asked. Two checks, both required:

- where the request comes from: ``Origin`` must be the server's own origin or one on the CORS allow-list; a
  browser that sends no ``Origin`` is judged by ``Sec-Fetch-Site: same-origin``, else by the origin of
  ``Referer``; a request carrying none of the three is refused;
- a custom header (``X-Tokenward-CSRF``): a page on another site cannot add one without a CORS preflight,
  which the allow-list refuses.

Bearer-authenticated requests are not checked: a browser never adds an ``Authorization`` header by itself, so
another site cannot make it send one. The hosted pages' forms use a synchronizer token instead (``pages``).
"""

from __future__ import annotations

from starlette.datastructures import Headers

from tokenward.api.browser import BrowserConfig, origin_of
from tokenward.errors import CsrfFailed

CSRF_HEADER = "x-tokenward-csrf"


def request_origin_allowed(headers: Headers, config: BrowserConfig) -> bool:
    origin = headers.get("origin")
    if origin and origin != "null":
        return config.allows_origin(origin)
    if origin == "null":
        return False
    site = headers.get("sec-fetch-site")
    if site == "same-origin":
        return True
    referer = headers.get("referer")
    if not referer:
        return False
    try:
        return config.allows_origin(origin_of(referer))
    except ValueError:  # a port out of range, a broken IPv6 literal
        return False


def check_cookie_request(headers: Headers, config: BrowserConfig) -> None:
    """Raise ``CsrfFailed`` (403 ``csrf_failed``) unless the request shows it came from an allowed page."""
    if not request_origin_allowed(headers, config):
        raise CsrfFailed("The request does not come from an allowed origin")
    if not headers.get(CSRF_HEADER):
        raise CsrfFailed(f"Requests authenticated by a cookie must carry the {CSRF_HEADER} header")
