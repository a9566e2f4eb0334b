"""Real-browser tests: Debian's Chromium driven by Playwright, against a live ``tokenward serve``.

One browser and one server per module: Playwright's sync API keeps its own event loop running while the
browser is open, and pytest-asyncio refuses to run the async tests of the next modules inside it, so the
browser closes with its module (a launch takes about a second). One server per module, in a fresh data folder, reached as ``http://localhost``
(Chromium treats localhost as a secure context, so ``Secure`` and ``__Host-`` cookies work over plain http).
Two more small origins serve test pages: an allowed single-page app on another localhost port, and a page on
``127.0.0.1`` (another site, not on the allow-list). Screenshots go to ``build/screenshots``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.servers import free_port, tokenward_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


class StaticPage:
    """One HTML document served at every path of ``http://<host>:<port>``, in a thread."""

    def __init__(self, host: str) -> None:
        self.html = "<!doctype html><title>empty</title>"
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = page.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.port = free_port()
        self.origin = f"http://{host}:{self.port}"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Site:
    base: str
    data_dir: Path
    spa: StaticPage
    evil: StaticPage
    return_url: str
    contexts: list[BrowserContext] = field(default_factory=list)

    def outbox(self) -> Path:
        return self.data_dir / "tokenward-data" / "outbox"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("browser")
    spa = StaticPage("localhost")
    evil = StaticPage("127.0.0.1")
    port = free_port()
    base = f"http://localhost:{port}"
    return_url = f"{spa.origin}/signed-in"
    settings = {
        "TOKENWARD_ISSUER": base,
        "TOKENWARD_CORS_ORIGINS": spa.origin,
        "TOKENWARD_RETURN_URLS": return_url,
        "TOKENWARD_SERVICE_NAME": "Example Co.",
        "TOKENWARD_BACKGROUND_TASKS": "false",
        # every test of a module runs from 127.0.0.1 within a minute; a passkey or code step is a few requests
        # to factor routes each (the limit itself is tested over HTTP)
        "TOKENWARD_RATE_LIMIT_MFA": "100/minute;1000/hour",
    }
    try:
        with tokenward_server(workdir, settings, port=port, host_name="localhost") as url:
            yield Site(base=url, data_dir=workdir, spa=spa, evil=evil, return_url=return_url)
    finally:
        spa.close()
        evil.close()


def screenshot(page: object, name: str) -> None:
    """The page at phone (390 px) and desktop (1280 px) width, full length, into build/screenshots."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size or {"width": 1280, "height": 800}
    for label, width in (("phone", 390), ("desktop", 1280)):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)
