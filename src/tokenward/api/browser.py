"""What the browser-facing parts (CORS, the cookie transport, the hosted pages) need from the settings.

Built by the composition root from ``Settings`` and handed over inside ``ApiConfig``, so nothing below reads the
environment. Origins are compared as exact strings, the way a browser sends them in ``Origin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


def origin_of(url: str) -> str:
    """``https://auth.example.com/path`` -> ``https://auth.example.com`` (default ports dropped, as browsers do)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"


@dataclass(frozen=True, slots=True)
class BrowserConfig:
    #: origins of other sites' scripts allowed to call the API with credentials (never a wildcard)
    cors_origins: frozenset[str] = frozenset()
    #: exact URLs the hosted sign-in page may return to
    return_urls: frozenset[str] = frozenset()
    #: the server's own public URL (e-mailed links and hosted pages live under it)
    public_url: str = "http://127.0.0.1:8000"
    service_name: str = "Tokenward"
    logo_url: str | None = None
    accent_color: str = "#2f5bd3"
    password_min_length: int = 8
    #: how long a browser may cache a preflight answer
    cors_max_age: int = 600

    @property
    def own_origin(self) -> str:
        return origin_of(self.public_url)

    def allows_origin(self, origin: str) -> bool:
        """Origins a cookie-authenticated request may come from: the server's own and the CORS allow-list."""
        return origin == self.own_origin or origin in self.cors_origins
