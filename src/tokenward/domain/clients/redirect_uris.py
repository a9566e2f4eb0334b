"""Redirect URIs: which ones a client may register, and the one rule for matching a request against them.

Matching is exact string comparison (RFC 9700 §4.1.3): no wildcard, no prefix, no normalisation, so a trailing
slash, another letter case or an added query is another URI. The one exception is RFC 8252 §7.3: a native app
listening on the loopback interface gets a port from the operating system at run time, so for a registered
``http://127.0.0.1/...`` or ``http://[::1]/...`` URI any port is accepted, everything else still exact.

Registration refuses what can only hurt: a fragment (RFC 6749 §3.1.2), user information, plain ``http`` to a
host other than the loopback interface, and schemes a browser would run (``javascript:``, ``data:`` ...).
Private-use schemes of native apps (RFC 8252 §7.1, ``com.example.app:/callback``) must contain a dot.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tokenward.errors import InvalidRequest

MAX_URI_LENGTH = 2000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]"})
#: hosts a development redirect may reach over plain http (``localhost`` is allowed, but only matched exactly)
_PLAIN_HTTP_HOSTS = LOOPBACK_HOSTS | {"localhost"}
_BROWSER_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})


def _netloc_host(netloc: str) -> str:
    return netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc


def check_redirect_uri(uri: str) -> str:
    """``uri`` if a client may register it, else ``InvalidRequest`` saying why."""
    if not uri or len(uri) > MAX_URI_LENGTH or not uri.isprintable() or any(c.isspace() for c in uri):
        raise InvalidRequest(f"A redirect URI must be 1 to {MAX_URI_LENGTH} printable characters")
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not scheme or scheme in _BROWSER_SCHEMES:
        raise InvalidRequest(f"Redirect URI {uri!r} must be an absolute https, loopback http or app URI")
    if "#" in uri:
        raise InvalidRequest(f"Redirect URI {uri!r} must not contain a fragment")
    if "@" in parts.netloc:
        raise InvalidRequest(f"Redirect URI {uri!r} must not contain user information")
    if scheme in ("http", "https"):
        if not parts.netloc:
            raise InvalidRequest(f"Redirect URI {uri!r} must name a host")
        if scheme == "http" and _netloc_host(parts.netloc).lower() not in _PLAIN_HTTP_HOSTS:
            raise InvalidRequest(
                f"Redirect URI {uri!r} must use https (plain http only to the loopback interface)"
            )
    elif "." not in scheme:
        raise InvalidRequest(f"Redirect URI {uri!r}: an app's own scheme must be a reversed domain name")
    return uri


def _without_port(uri: str) -> str | None:
    """A loopback-IP http URI with its port taken out, or ``None`` for any other URI."""
    parts = urlsplit(uri)
    if parts.scheme != "http":
        return None
    host = _netloc_host(parts.netloc)
    if host not in LOOPBACK_HOSTS:
        return None
    port = parts.netloc[len(host) + 1 :]
    if port and not port.isdigit():
        return None
    return uri.replace(parts.netloc, host, 1)


def matches_redirect_uri(registered: tuple[str, ...], requested: str) -> bool:
    """Whether ``requested`` is one of the ``registered`` URIs (exactly, or a loopback one on another port)."""
    if requested in registered:
        return True
    portless = _without_port(requested)
    return portless is not None and any(_without_port(uri) == portless for uri in registered)
