"""A live ``tokenward serve`` against slow and endless clients: head, body and keep-alive timeouts, and the
connection closed after an answer that left an over-long body unread. Raw sockets, so nothing in between
buffers or retries.

The server runs with half-second timeouts. The tests never measure time: a slow client sends one byte at a
time, for far longer than the timeout (a bounded number of bytes), and the test asserts that the server
answered 408 and closed the connection before the client was done.

The server also runs with no issuer set, as a development server does, so it shows that the issuer follows
the port being served.
"""

from __future__ import annotations

import base64
import json
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import tokenward_server

TIMEOUT = "0.5"
#: a slow client sends a byte this often; the timeouts above cut it off after a few bytes
DRIP_INTERVAL = 0.05
#: how many bytes a slow client sends at most (about 10 s, twenty times the timeout)
DRIP_BYTES = 200
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = {
        "TOKENWARD_HTTP_HEAD_TIMEOUT": TIMEOUT,
        "TOKENWARD_HTTP_BODY_TIMEOUT": TIMEOUT,
        "TOKENWARD_HTTP_KEEPALIVE_TIMEOUT": TIMEOUT,
    }
    with tokenward_server(tmp_path_factory.mktemp("limits"), settings, set_issuer=False) as base:
        yield base


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_to_end(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; a socket timeout (10 s) means it never closed."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def _drip(sock: socket.socket, data: bytes) -> bytes | None:
    """Send ``data`` one byte at a time; what the server answered if it closed the connection meanwhile,
    ``None`` if the client got to send every byte."""
    for byte in data:
        readable, _, _ = select.select([sock], [], [], DRIP_INTERVAL)
        if readable:
            return _read_to_end(sock)
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return _read_to_end(sock)
    return None


@pytest.mark.threat("T-API-01")
def test_a_client_dripping_its_request_head_is_cut_off(server: str) -> None:
    """Attack: send a request head a byte at a time to hold a connection (and its buffers) open forever."""
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer = _drip(sock, b"X-Slow: " + b"a" * DRIP_BYTES)

    assert answer is not None, "the server waited for the whole dripped head"
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"request_timeout"' in answer


@pytest.mark.threat("T-API-01")
def test_a_connection_that_sends_nothing_is_closed(server: str) -> None:
    """Attack: open connections and never send a byte (each one costs the server a socket)."""
    with _connect(server) as sock:
        assert _read_to_end(sock) == b""


@pytest.mark.threat("T-API-01")
def test_a_client_dripping_its_request_body_is_cut_off(server: str) -> None:
    """Attack: announce a body and send it a byte at a time."""
    head = (
        b"POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(DRIP_BYTES).encode() + b"\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(head)
        answer = _drip(sock, b"{" + b" " * (DRIP_BYTES - 1))

    assert answer is not None, "the server waited for the whole dripped body"
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"request_timeout"' in answer


def test_an_idle_kept_alive_connection_is_closed_after_its_answer(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _read_to_end(sock)  # returns only because the server closes the idle connection

    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.count(b"HTTP/1.1") == 1


def test_requests_in_time_on_one_connection_are_all_answered(server: str) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(request + request + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = _read_to_end(sock)

    assert answer.count(b"HTTP/1.1 200 ") == 3
    assert b"408" not in answer


HUGE = 100 * 1024 * 1024
CHUNK = 64 * 1024


def _send_huge_body(base: str, head: bytes, chunked: bool) -> tuple[bytes, int]:
    """Send ``head`` and then up to ``HUGE`` body bytes while a thread reads the answer; return the answer
    and how many body bytes the client got to send before the server closed the connection."""
    frame = (f"{CHUNK:x}\r\n".encode() + b"a" * CHUNK + b"\r\n") if chunked else b"a" * CHUNK
    answer = bytearray()
    sent = 0
    with _connect(base) as sock:

        def read() -> None:
            answer.extend(_read_to_end(sock))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            sock.sendall(head)
            while sent < HUGE:
                sock.sendall(frame)
                sent += CHUNK
        except (BrokenPipeError, ConnectionResetError):
            pass
        reader.join(timeout=30)
    return bytes(answer), sent


@pytest.mark.threat("T-API-01")
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_an_over_long_body_is_refused_and_its_connection_closed(server: str, chunked: bool) -> None:
    """Attack: send 100 MB to an endpoint that takes 64 KiB; the server must not read all of it."""
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: " + str(HUGE).encode()
    head = (
        b"POST /v1/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n"
    )

    answer, sent = _send_huge_body(server, head, chunked)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"request_too_large"' in answer
    # closed long before the end: what got through is the limit, the linger allowance and socket buffers
    assert sent < HUGE // 4


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_with_no_issuer_set_the_issuer_is_the_address_served(server: str) -> None:
    discovery = httpx.get(f"{server}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == server
    assert discovery["jwks_uri"] == f"{server}/.well-known/jwks.json"

    email = f"issuer-{time.monotonic_ns()}@example.com"
    assert httpx.post(f"{server}/v1/signup", json={"email": email, "password": PASSWORD}).status_code == 202
    tokens = httpx.post(f"{server}/v1/login", json={"email": email, "password": PASSWORD}).json()
    assert _claims(tokens["access_token"])["iss"] == server
