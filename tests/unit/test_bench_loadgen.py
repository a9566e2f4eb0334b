"""The benchmark load generator reads keep-alive answers right, rotates refresh tokens, and counts errors.

A tiny asyncio HTTP server on loopback plays the token endpoint: each refresh token is accepted once and answered
with its successor, so a load generator that reused a token (instead of the one from the previous answer) would
show up as errors. No Tokenward server is involved; the benchmarks themselves never run in the test suite.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bench import loadgen


async def token_endpoint(used: set[str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            break
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        body = (await reader.readexactly(length)).decode()
        token = body.rsplit("refresh_token=", 1)[1]
        if token in used:
            answer, status = b'{"error":"invalid_grant"}', b"400 Bad Request"
        else:
            used.add(token)
            answer, status = json.dumps({"refresh_token": token + "x"}).encode(), b"200 OK"
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(len(answer)).encode() + b"\r\n\r\n"
        )
        writer.write(answer)
        await writer.drain()
    writer.close()


async def run_against(used: set[str], tokens: list[str], **spec: object) -> dict[str, Any]:
    """The load generator's report, typed as ``loadgen.run`` returns it (a JSON-ready dict of mixed values)."""
    server = await asyncio.start_server(lambda r, w: token_endpoint(used, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await loadgen.run(
            {
                "host": "127.0.0.1",
                "port": port,
                "scenario": "refresh",
                "connections": len(tokens),
                "duration": 0.3,
                "data": {"refresh_tokens": tokens},
                **spec,
            }
        )
    finally:
        server.close()
        await server.wait_closed()


async def test_closed_loop_rotates_each_connections_refresh_token() -> None:
    used: set[str] = set()
    result = await run_against(used, ["a", "b"])
    assert result["error_count"] == 0
    assert result["completed"] > 10
    assert result["p50"] <= result["p99"] <= result["max"]
    assert result["cpu_share"] >= 0
    # every answer carried the next token of its chain: each chain only grew
    assert all(token.rstrip("x") in {"a", "b"} for token in used)


async def test_a_reused_token_counts_as_an_error_with_its_status() -> None:
    used = {"a"}  # the server has seen this one already
    result = await run_against(used, ["a"], duration=0.1)
    assert result["errors"] == {"400": result["error_count"]}
    assert result["error_count"] >= 1


async def test_open_loop_sends_at_the_offered_rate() -> None:
    used: set[str] = set()
    start = time.perf_counter()
    result = await run_against(used, ["a", "b", "c"], rate=50.0, duration=0.4)
    assert time.perf_counter() - start < 5
    assert result["error_count"] == 0
    # 50/s for 0.4 s: about 20 requests, whatever the server's speed
    assert 15 <= result["completed"] <= 21
