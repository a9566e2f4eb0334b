"""A TCP proxy for fault tests: it sits between Tokenward and a real server (PostgreSQL, Redis) and can pass,
refuse, reset or stall connections on demand, so an outage is made without stopping the shared server.

It runs on the test's event loop. Modes:

- ``pass_through()``: bytes flow both ways (a stall is released, a refusal ends, the port listens again);
- ``refuse()``: the port stops listening (new connections get ECONNREFUSED) and open ones are reset;
- ``reset()``: open connections are reset (TCP RST) and so is every new one, at once;
- ``stall()``: connections stay open, new ones are accepted, but no byte is forwarded until ``pass_through``
  (a network partition or a server that hangs);
- ``forget()``: every open connection is dropped without its client noticing (a NAT or a cut path that
  forgot it): the server's side is reset at once, the client's side only when the client next sends. New
  connections pass.

For PostgreSQL it can also play a read-only standby: with ``read_only`` set, it adds
``-c default_transaction_read_only=on`` to each new session's start-up message, which is what a client
asking for ``target_session_attrs=read-write`` checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from enum import Enum


class Mode(Enum):
    PASS = "pass"
    REFUSE = "refuse"
    RESET = "reset"
    STALL = "stall"


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.tasks: list[asyncio.Task[None]] = []
        #: dropped by ``FaultProxy.forget``: the client is reset when it next sends
        self.forgotten = False

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            _reset(writer)
        for task in self.tasks:
            task.cancel()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN, like a crashed server or a broken network path."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, *, read_only: bool = False) -> None:
        self.target_host = target_host
        self.target_port = target_port
        #: PostgreSQL only: new sessions through this proxy are read-only (a standby, for the client)
        self.read_only = read_only
        self.port = 0
        self.mode = Mode.PASS
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        #: connections accepted so far (a test can see that a client reconnected)
        self.accepted = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> FaultProxy:
        await self._listen()
        return self

    async def close(self) -> None:
        self._reset_links()
        await self._stop_listening()
        self._flowing.set()

    async def pass_through(self) -> None:
        self.mode = Mode.PASS
        if self._server is None:
            await self._listen()
        self._flowing.set()

    async def refuse(self) -> None:
        self.mode = Mode.REFUSE
        await self._stop_listening()
        self._reset_links()

    async def reset(self) -> None:
        self.mode = Mode.RESET
        if self._server is None:
            await self._listen()
        self._reset_links()
        self._flowing.set()

    async def stall(self) -> None:
        self.mode = Mode.STALL
        if self._server is None:
            await self._listen()
        self._flowing.clear()

    async def forget(self) -> None:
        for link in list(self._links):
            link.forgotten = True
            _reset(link.upstream)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _reset_links(self) -> None:
        for link in list(self._links):
            link.reset()
        self._links.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode in (Mode.RESET, Mode.REFUSE):
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            _reset(writer)
            return
        link = _Link(writer, up_writer)
        self._links.add(link)
        if self.read_only:
            try:
                await _forward_startup_read_only(reader, up_reader, writer, up_writer)
            except (OSError, asyncio.IncompleteReadError):
                link.reset()
                self._links.discard(link)
                return
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, link)),
            asyncio.create_task(self._pump(up_reader, writer, link)),
        ]

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link) -> None:
        try:
            while data := await reader.read(65536):
                if link.forgotten:
                    _reset(link.client)
                    break
                await self._flowing.wait()
                if link not in self._links:
                    return
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            return
        # one side closed: close the other one too (an orderly FIN, as the real server would)
        if link in self._links:
            self._links.discard(link)
            if link.forgotten:  # the client's side stays open until it sends (see ``_pump``'s loop)
                return
            for other in (link.client, link.upstream):
                with contextlib.suppress(OSError, RuntimeError):
                    other.close()
            for task in link.tasks:
                if task is not asyncio.current_task():
                    task.cancel()


_SSL_REQUEST = 80877103
_READ_ONLY_OPTION = b"options\x00-c default_transaction_read_only=on\x00"


async def _forward_startup_read_only(
    client: asyncio.StreamReader,
    server: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    server_writer: asyncio.StreamWriter,
) -> None:
    """Forward the PostgreSQL start-up message with a read-only ``options`` parameter added (after an SSL
    request, if the client sends one first: the one-byte answer is passed back)."""
    while True:
        length = struct.unpack("!i", await client.readexactly(4))[0]
        body = await client.readexactly(length - 4)
        code = struct.unpack("!i", body[:4])[0]
        if code != _SSL_REQUEST:
            break
        server_writer.write(struct.pack("!i", length) + body)
        await server_writer.drain()
        client_writer.write(await server.readexactly(1))
        await client_writer.drain()
    parameters = body[:-1] + _READ_ONLY_OPTION + b"\x00"  # before the list's closing NUL
    server_writer.write(struct.pack("!i", len(parameters) + 4) + parameters)
    await server_writer.drain()
