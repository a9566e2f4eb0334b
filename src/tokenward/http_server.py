"""uvicorn's fast httptools protocol with bounds on what one connection may cost: bytes and time.

Bytes. httptools buffers a request head (request line and headers) without limit, so a client could stream an
endless header at the server. h11 has a bound but is about five times slower here (bench/README.md). This
subclass counts the bytes of each request head as they arrive and, past the limit, answers 431 and closes the
connection before the parser buffers more. Heads under the limit are checked again, exactly, by the ASGI layer
(``api.middleware.EdgeMiddleware``).

Time. uvicorn closes a connection only after a response has been idle for its keep-alive timeout; a client
that connects and drips a head or a body one byte at a time holds the connection (and its buffers) for as long
as it likes. Here a request head must arrive whole within ``head_timeout`` (counted from the connection or
from the request's first byte) and its body within ``body_timeout`` (counted from the end of the head);
otherwise the answer is 408 and the connection is closed.

Unread bodies. When the application answers before the request body has arrived (413 for a body over the
limit, counted as it streams), uvicorn keeps the connection and reads and discards the rest of the body, which
can be any size when it is chunked. Here the connection is closed instead (RFC 9112 §9.6): the write side
first, then, after a short grace period in which at most ``LINGER_BYTES`` more are read and dropped, the whole
connection, so a client still sending sees the answer before the reset.

Graceful stop (SIGTERM). uvicorn stops accepting and asks each connection to shut down; its own protocol
closes an idle connection at once, which resets a request whose head was partly received, or was on its way
in. Here an idle connection is closed only after a short linger (``SHUTDOWN_LINGER_SECONDS``) and only if no
request has begun to arrive by then; a request that arrives is answered, with ``Connection: close``.

``tokenward serve`` passes the limits (``HttpLimits``, from ``TOKENWARD_MAX_HEADER_BYTES`` and the
``TOKENWARD_HTTP_*_TIMEOUT`` settings) with the protocol class as a ``functools.partial``, which reaches worker
processes with the rest of uvicorn's configuration.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tokenward.api.problem_body import problem_body
from tokenward.errors import RequestHeadersTooLarge, RequestTimeout

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


def _request_timeout_response() -> bytes:
    # like the 431: the path may not be known yet, so the plain problem shape
    body = problem_body(RequestTimeout(), oauth=False)
    content = body.encode()
    return (
        b"HTTP/1.1 408 Request Timeout\r\n"
        b"content-type: " + body.media_type.encode() + b"\r\n"
        b"content-length: " + str(len(content)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + content
    )


#: after an answer given before its request body arrived: how long, and how many more bytes, to read and drop
#: before closing (the client may still be sending, and closing at once could reset the answer away)
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
#: how long an idle connection stays open after a graceful stop began, for a request already on its way
SHUTDOWN_LINGER_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one connection may cost before it is answered 431 or 408 and closed (``tokenward serve`` fills it
    from the settings)."""

    max_head_bytes: int
    #: seconds for a whole request head, from the connection (first request) or from the request's first byte
    head_timeout: float
    #: seconds for a whole request body, from the end of its head
    body_timeout: float
    #: seconds an idle connection is kept open after an answer, waiting for the next request
    keepalive_timeout: float


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, limits: HttpLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._head_limit = limits.max_head_bytes
        # uvicorn's own keep-alive timer (armed after each answer) reads this; it takes fractions of a second
        self.timeout_keep_alive = limits.keepalive_timeout  # type: ignore[assignment]
        #: the one running clock of this connection: the head's, the body's or the final linger's
        self._deadline: asyncio.TimerHandle | None = None
        #: the parser has seen the first byte of a request head and not its end (``_in_head`` is the byte
        #: counter's view, which also covers the wait before the first byte)
        self._in_request_head = False
        #: between the end of a request head and the end of its body (the body is still arriving)
        self._in_body = False
        #: closing after an answer that left its request body unread; what arrives now is dropped
        self._lingering = False
        self._lingered_bytes = 0
        #: a graceful stop began: the request now arriving is the connection's last
        self._stopping = False
        self._reset_head()

    @classmethod
    def with_limits(cls, limits: HttpLimits) -> type[HttpToolsProtocol]:
        """The value for uvicorn's ``http`` setting: a partial (uvicorn only calls it with its own arguments),
        so that the limits travel to worker processes with the rest of uvicorn's configuration."""
        return cast("type[HttpToolsProtocol]", functools.partial(cls, limits=limits))

    def _reset_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        #: the last bytes seen, so a head end split across two reads is still found
        self._tail = b""

    # connection -------------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # a connection that never sends a byte is held to the head timeout as well
        self._start_clock(self._limits.head_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            self._lingered_bytes += len(data)
            if self._lingered_bytes > LINGER_BYTES:
                self.transport.close()
            return
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
        # a clock runs only for a request left unfinished by this read: one that arrives whole costs no timer
        if self._deadline is None and not self.transport.is_closing():
            if self._in_request_head:
                self._start_clock(self._limits.head_timeout, self._head_timed_out)
            elif self._in_body:
                self._start_clock(self._limits.body_timeout, self._body_timed_out)

    # parser callbacks: where the request stands ------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_request_head = True

    def on_headers_complete(self) -> None:
        self._in_request_head = False
        self._in_body = True
        self._stop_clock()  # the head's (or the idle connection's); the body's starts after this read
        super().on_headers_complete()
        if self._stopping and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_message_complete(self) -> None:
        self._in_body = False
        self._stop_clock()
        super().on_message_complete()
        self._reset_head()  # the next request on this connection starts a new head

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_body and not self.transport.is_closing():
            self._close_unread_body()

    # graceful stop ----------------------------------------------------------------------------------------

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

    # timeouts and closing ---------------------------------------------------------------------------------

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        # a connection that sent nothing is closed without a word, like an idle kept-alive one; and no 408
        # is written into the middle of an earlier request's answer
        if self._in_request_head and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(_request_timeout_response())
        self.transport.close()

    def _body_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:
            # the server stopped reading (the application is behind, or an earlier request is still being
            # answered): the delay is not the client's
            self._start_clock(self._limits.body_timeout, self._body_timed_out)
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            # for the application the client is gone: its reads end and its answer is dropped
            cycle.disconnected = True
            cycle.message_event.set()
            self.transport.write(_request_timeout_response())
        self.transport.close()

    def _close_unread_body(self) -> None:
        """Answered before the body arrived: no keep-alive; end the write side, drop input briefly, close."""
        self._unset_keepalive_if_required()
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._start_clock(LINGER_SECONDS, self.transport.close)

    def _start_clock(self, seconds: float, on_timeout: Callable[[], None]) -> None:
        self._stop_clock()
        self._deadline = self.loop.call_later(seconds, on_timeout)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
