"""uvicorn's fast httptools protocol with a bound on how many bytes of a request head it will buffer.

httptools buffers a request head (request line and headers) without limit, so a client could stream an
endless header at the server. h11 has a bound but is about five times slower here (bench/README.md). This
subclass counts the bytes of each request head as they arrive and, past the limit, answers 431 and closes the
connection before the parser buffers more. The limit is uvicorn's ``h11_max_incomplete_event_size`` setting,
which ``tokenward serve`` sets from ``TOKENWARD_MAX_HEADER_BYTES``, so it reaches worker processes with the
rest of the configuration. Heads under the limit are checked again, exactly, by the ASGI layer
(``api.middleware.RequestSizeLimitMiddleware``).

Graceful stop (SIGTERM): uvicorn stops accepting and asks each connection to shut down; its own protocol
closes an idle connection at once, which resets a request whose head was partly received, or was on its way
in. Here an idle connection is closed only after a short linger (``SHUTDOWN_LINGER_SECONDS``) and only if no
request has begun to arrive by then; a request that arrives is answered, with ``Connection: close``.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD_END = b"\r\n\r\n"
#: how long an idle connection stays open after a graceful stop began, for a request already on its way
SHUTDOWN_LINGER_SECONDS = 0.5


def _too_large_response(limit: int) -> bytes:
    body = json.dumps(
        {
            "type": "https://tokenward.dev/problems/request_headers_too_large",
            "title": "Request headers too large",
            "status": 431,
            "detail": f"The request headers exceed {limit} bytes",
            "code": "request_headers_too_large",
        }
    ).encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: application/problem+json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


class BoundedHeadHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit: int = self.config.h11_max_incomplete_event_size or 16 * 1024
        self._stopping = False
        self._reset_head()

    def _reset_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        #: the last bytes seen, so a head end split across two reads is still found
        self._tail = b""

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            window = self._tail + data
            end = window.find(_HEAD_END)
            if end == -1:
                self._head_bytes += len(data)
                self._tail = window[-(len(_HEAD_END) - 1) :]
            else:
                # only the head counts; body bytes in the same read do not
                self._head_bytes += end + len(_HEAD_END) - len(self._tail)
                self._in_head = False
            if self._head_bytes > self._head_limit:
                self.transport.write(_too_large_response(self._head_limit))
                self.transport.close()
                return
        super().data_received(data)

    def shutdown(self) -> None:
        """Close an idle connection only after a short linger; a request that began is answered first."""
        self._stopping = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
        elif not self.transport.is_closing():
            self.loop.call_later(SHUTDOWN_LINGER_SECONDS, self._close_if_idle)

    def _close_if_idle(self) -> None:
        receiving = self._head_bytes > 0 or (self.cycle is not None and not self.cycle.response_complete)
        if receiving:
            if self.cycle is not None:
                self.cycle.keep_alive = False
            else:
                self.loop.call_later(SHUTDOWN_LINGER_SECONDS, self._close_if_idle)
        elif not self.transport.is_closing():
            self.transport.close()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self._stopping and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reset_head()  # the next request on this connection starts a new head
