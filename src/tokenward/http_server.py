"""uvicorn's fast httptools protocol with a bound on how many bytes of a request head it will buffer.

httptools buffers a request head (request line and headers) without limit, so a client could stream an
endless header at the server. h11 has a bound but is about five times slower here (bench/README.md). This
subclass counts the bytes of each request head as they arrive and, past the limit, answers 431 and closes the
connection before the parser buffers more. The limit is uvicorn's ``h11_max_incomplete_event_size`` setting,
which ``tokenward serve`` sets from ``TOKENWARD_MAX_HEADER_BYTES``, so it reaches worker processes with the
rest of the configuration. Heads under the limit are checked again, exactly, by the ASGI layer
(``api.middleware.RequestSizeLimitMiddleware``).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tokenward.api.problem_body import problem_body
from tokenward.errors import RequestHeadersTooLarge

_HEAD_END = b"\r\n\r\n"


def _too_large_response(limit: int) -> bytes:
    # the head has not been parsed, so the path (and with it the OAuth error shape) is unknown
    body = problem_body(RequestHeadersTooLarge.beyond(limit), oauth=False)
    content = body.encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: " + body.media_type.encode() + b"\r\n"
        b"content-length: " + str(len(content)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + content
    )


class BoundedHeadHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit: int = self.config.h11_max_incomplete_event_size or 16 * 1024
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

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reset_head()  # the next request on this connection starts a new head
