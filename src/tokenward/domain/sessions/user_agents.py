"""A readable device name from a User-Agent header, for the session list ("Firefox on Linux", "curl").

Deliberately small: a handful of browsers, systems and command-line clients, matched by well-known tokens.
Order matters because browsers imitate each other (Edge and Chrome both say "Safari"; Chrome says "Chrome"
and Edge says "Edg"). Anything not recognised is shown as "Unknown device" rather than echoing the header.
"""

from __future__ import annotations

import re

UNKNOWN_DEVICE = "Unknown device"

#: (token in the header, name); first match wins
_BROWSERS: tuple[tuple[str, str], ...] = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
_TOOLS: tuple[tuple[str, str], ...] = (
    ("curl/", "curl"),
    ("Wget/", "Wget"),
    ("HTTPie/", "HTTPie"),
    ("python-httpx/", "Python (httpx)"),
    ("python-requests/", "Python (requests)"),
    ("okhttp/", "OkHttp"),
    ("PostmanRuntime/", "Postman"),
    ("Go-http-client/", "Go"),
    ("node-fetch", "Node.js"),
)
_GENERIC_TOOL = re.compile(r"^([A-Za-z][A-Za-z0-9._-]{0,39})/\d")


def _first(user_agent: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for token, name in table if token in user_agent), None)


def device_name(user_agent: str | None) -> str:
    if not user_agent:
        return UNKNOWN_DEVICE
    tool = _first(user_agent, _TOOLS)
    if tool is not None:
        return tool
    browser = _first(user_agent, _BROWSERS) if user_agent.startswith("Mozilla/") else None
    system = _first(user_agent, _SYSTEMS)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"Browser on {system}"
    generic = _GENERIC_TOOL.match(user_agent)
    return generic.group(1) if generic else UNKNOWN_DEVICE
