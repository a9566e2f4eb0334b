"""A local SMS gateway for tests: it receives Tokenward's webhook, checks the HMAC signature the way an
operator's receiver would, and hands the codes to the test.

The check is written here from the documented algorithm (HMAC-SHA256 under the shared secret over
``<timestamp>.<raw body>``, ``v1=<hex>``, timestamps within five minutes), not with the server's own helper, so
a server that signs wrongly fails the tests. A message with a bad signature is answered 401 and counted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CODE = re.compile(r"\b(\d{6})\b")
TOLERANCE_SECONDS = 300


@dataclass
class SmsGateway:
    secret: bytes
    now: Callable[[], datetime]
    url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    #: every request that arrived, good or not
    received: int = 0
    #: answer every request with this status instead (a gateway in trouble)
    failing_with: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, headers: Any, body: bytes) -> int:
        with self.lock:
            self.received += 1
        if self.failing_with is not None:
            return self.failing_with
        timestamp = headers.get("X-Tokenward-Timestamp", "")
        expected = "v1=" + hmac.new(self.secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(int(timestamp) - self.now().timestamp()) <= TOLERANCE_SECONDS
        if not fresh or not hmac.compare_digest(expected, headers.get("X-Tokenward-Signature", "")):
            with self.lock:
                self.refused += 1
            return 401
        with self.lock:
            self.messages.append(json.loads(body))
        return 200

    def codes_to(self, number: str) -> list[str]:
        with self.lock:
            return [m for msg in self.messages if msg["to"] == number for m in CODE.findall(msg["body"])]

    def latest_code(self, number: str) -> str:
        codes = self.codes_to(number)
        assert codes, f"no text message to {number}"
        return codes[-1]


@contextmanager
def sms_gateway(secret: bytes, now: Callable[[], datetime]) -> Iterator[SmsGateway]:
    """A gateway on a free loopback port, stopped afterwards."""
    gateway = SmsGateway(secret=secret, now=now)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = gateway.accept(self.headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
