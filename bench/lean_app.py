"""The lean yardstick: the least Python that does what a Tokenward refresh does, for the refresh benchmark.

Raw ASGI under the same uvicorn/httptools, asyncpg on the same PostgreSQL database and schema that a Tokenward
server created (``LEAN_DATABASE_URL``), and for each ``POST /oauth/token`` exactly the work a rotation needs:

- SHA-256 of the presented ``twr_`` token, a new 256-bit successor;
- one transaction with one statement (a CTE): lock and touch the session if the old token is current, the
  session active and inside its idle and absolute lifetime and its user enabled; mark the old token rotated;
  insert the successor with the same expiry rule (the session's idle end, capped by its absolute end); read
  what the access token needs. The same rows change as when Tokenward rotates;
- an ES256 access token with the same header (``alg``, ``typ: at+jwt``, ``kid``) and the same claims, signed
  with ``cryptography``; the same JSON answer and ``Cache-Control: no-store``.

It does not explain a refusal (every failure is ``400 invalid_grant``): reuse detection and the other rare
paths are not what the benchmark measures. ``bench.http`` runs it in the same run as Tokenward, on sessions
signed in through Tokenward, so the ratio compares the same work on the same machine at the same moment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = os.environ.get("LEAN_ISSUER", "http://127.0.0.1")
AUDIENCE = os.environ.get("LEAN_AUDIENCE", "tokenward")
LIFETIME = 600
IDLE_TTL = timedelta(seconds=int(os.environ.get("LEAN_IDLE_TTL", str(14 * 24 * 3600))))

ROTATE = """
WITH s AS (
  UPDATE sessions SET last_used_at = $2
  FROM refresh_tokens AS rt, users AS u
  WHERE rt.token_hash = $1 AND sessions.id = rt.session_id AND u.id = sessions.user_id
    AND rt.rotated_at IS NULL AND rt.revoked_at IS NULL AND rt.expires_at > $2
    AND sessions.revoked_at IS NULL AND sessions.expires_at > $2 AND sessions.last_used_at > $4
    AND NOT u.disabled
  RETURNING sessions.id, sessions.user_id, sessions.family_id, sessions.expires_at, sessions.auth_time,
            sessions.amr, sessions.scope
), old AS (
  UPDATE refresh_tokens SET rotated_at = $2 FROM s
  WHERE refresh_tokens.token_hash = $1 AND refresh_tokens.rotated_at IS NULL
    AND refresh_tokens.revoked_at IS NULL
  RETURNING refresh_tokens.token_hash
), successor AS (
  INSERT INTO refresh_tokens (token_hash, session_id, family_id, user_id, created_at, expires_at)
  SELECT $3, s.id, s.family_id, s.user_id, $2, LEAST($5, s.expires_at) FROM s, old
  RETURNING session_id
)
SELECT s.id, s.user_id, s.auth_time, s.amr, s.scope FROM s, successor
"""

KEY = ec.generate_private_key(ec.SECP256R1())
KID = secrets.token_urlsafe(8)
HEADER = base64.urlsafe_b64encode(
    json.dumps({"alg": "ES256", "typ": "at+jwt", "kid": KID}, separators=(",", ":")).encode()
).rstrip(b"=")
ECDSA = ec.ECDSA(hashes.SHA256())
NO_STORE = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]
REFUSED = b'{"error":"invalid_grant"}'
pool: asyncpg.Pool | None = None


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign(row: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": row["user_id"],
        "aud": AUDIENCE,
        "exp": now + LIFETIME,
        "iat": now,
        "nbf": now,
        "jti": secrets.token_urlsafe(16),
        "sid": row["id"],
        "scope": " ".join(row["scope"].split()),
        "amr": json.loads(row["amr"]),
        "auth_time": int(row["auth_time"].timestamp()),
    }
    signing_input = HEADER + b"." + b64(json.dumps(claims, separators=(",", ":")).encode())
    r, s = decode_dss_signature(KEY.sign(signing_input, ECDSA))
    return (signing_input + b"." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))).decode()


async def rotate(token: str) -> bytes | None:
    if not token.startswith("twr_") or len(token) != 47:
        return None
    successor = "twr_" + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            ROTATE,
            hashlib.sha256(token.encode()).hexdigest(),
            now,
            hashlib.sha256(successor.encode()).hexdigest(),
            now - IDLE_TTL,
            now + IDLE_TTL,
        )
        if row is None:
            return None
        answer = {
            "access_token": sign(row),
            "token_type": "Bearer",
            "expires_in": LIFETIME,
            "refresh_token": successor,
            "scope": row["scope"],
            "session_id": row["id"],
        }
    return json.dumps(answer, separators=(",", ":")).encode()


async def app(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                pool = await asyncpg.create_pool(os.environ["LEAN_DATABASE_URL"], min_size=4, max_size=20)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if pool is not None:
                    await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] != "/oauth/token":
        await respond(send, 200, b"{}")  # the benchmark harness's readiness probe
        return
    form = dict(parse_qsl(body.decode()))
    token = form.get("refresh_token", "") if form.get("grant_type") == "refresh_token" else ""
    answer = await rotate(token)
    await respond(send, 200, answer) if answer is not None else await respond(send, 400, REFUSED)


async def respond(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, body: bytes) -> None:
    headers = [*NO_STORE, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
