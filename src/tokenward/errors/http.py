"""Request-level refusals: the shape of the request is wrong before any account is looked at.

Malformed input, a body or header block over the limit, a body too slow, a method or media type the route
does not take, a path that does not exist, and a cookie-authenticated request without CSRF proof.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenward.errors.base import TokenwardError


class InvalidRequest(TokenwardError):
    code = "invalid_request"
    status = 400
    title = "Invalid request"
    oauth_error = "invalid_request"


class RequestTooLarge(TokenwardError):
    code = "request_too_large"
    status = 413
    title = "Request body too large"
    oauth_error = "invalid_request"

    @classmethod
    def beyond(cls, limit: int) -> RequestTooLarge:
        return cls(f"The request body exceeds {limit} bytes")


class RequestHeadersTooLarge(TokenwardError):
    """Refused before any route runs (the ASGI layer, or the HTTP protocol while the head still arrives)."""

    code = "request_headers_too_large"
    status = 431
    title = "Request headers too large"
    oauth_error = "invalid_request"

    @classmethod
    def beyond(cls, limit: int) -> RequestHeadersTooLarge:
        return cls(f"The request headers exceed {limit} bytes")


class RequestTimeout(TokenwardError):
    """A request head or body that did not arrive in time; the HTTP protocol answers and closes the connection."""

    code = "request_timeout"
    status = 408
    title = "Request timeout"
    oauth_error = "invalid_request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "The request did not arrive in time")


class MethodNotAllowed(TokenwardError):
    """The path exists but not with this method; ``Allow`` lists the methods it has (RFC 9110 §15.5.6)."""

    code = "method_not_allowed"
    status = 405
    title = "Method not allowed"
    oauth_error = "invalid_request"

    def __init__(self, detail: str | None = None, *, allow: str | None = None) -> None:
        self.allow = allow
        super().__init__(detail)

    def headers(self) -> dict[str, str]:
        return {"Allow": self.allow} if self.allow else {}


class UnsupportedMediaType(TokenwardError):
    """A body sent as a media type the operation does not read (or with no ``Content-Type`` at all).

    The answer names the accepted types in ``Accept-Post`` (W3C LDP §7.1) or, for PATCH, ``Accept-Patch``
    (RFC 5789 §3.1), as RFC 9110 §15.5.16 suggests."""

    code = "unsupported_media_type"
    status = 415
    title = "Unsupported media type"
    oauth_error = "invalid_request"

    def __init__(self, accepted: Sequence[str], *, method: str = "POST") -> None:
        self.accepted = tuple(accepted)
        self.method = method.upper()
        super().__init__(f"Send the body as {' or '.join(self.accepted)}")

    def headers(self) -> dict[str, str]:
        name = {"POST": "Accept-Post", "PATCH": "Accept-Patch"}.get(self.method)
        return {name: ", ".join(self.accepted)} if name else {}


class NotFound(TokenwardError):
    code = "not_found"
    status = 404
    title = "Not found"
    oauth_error = "invalid_request"


class Conflict(TokenwardError):
    code = "conflict"
    status = 409
    title = "Conflict"
    oauth_error = "invalid_request"


class CsrfFailed(TokenwardError):
    """A cookie-authenticated request without proof that this site's own page sent it; nothing was changed."""

    code = "csrf_failed"
    status = 403
    title = "Cross-site request refused"
    #: an extension error code (RFC 6749 §8.5), so a client sees the same code on /oauth/token as elsewhere
    oauth_error = "csrf_failed"
