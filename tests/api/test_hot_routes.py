"""The hot routes (``api.hot_routes``) answer exactly as FastAPI's routing of the same route functions did.

The same sequence of requests to ``POST /oauth/token`` and ``POST /oauth/introspect`` (refreshes by form and
JSON, a reused token, every kind of malformed request, an oversized body, client authentication right and
wrong, the cookie transport without its CSRF proof, another origin, the rate limit running out) is played
against two fresh applications on the same frozen clock: one with the hot routes, one with them switched off,
where FastAPI routes the requests. Status, headers and bodies must be the same, once the values that differ
between two applications by design (tokens, ids, times) are masked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.client_support import secret_of
from tests.harness import STRONG_PASSWORD, RunningApp, make_settings, running_app
from tests.limits_time import run_limits_on
from tests.mfa_support import enrol_totp
from tokenward.api import hot_routes
from tokenward.domain.clock import FrozenClock

#: values that differ between two applications by design: tokens, ids and the key that signed
_VARYING = {
    "access_token",
    "refresh_token",
    "id_token",
    "session_id",
    "sub",
    "sid",
    "jti",
    "client_id",
    "kid",
    "mfa_token",
}
_LIMITS = {
    "rate_limits_enabled": True,
    "rate_limit_refresh": "13/minute",
    "rate_limit_introspect": "7/minute",
    "rate_limit_login": "13/minute",
}
Answer = tuple[int, list[tuple[str, str]], Any]


def _masked(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: "<varies>" if key in _VARYING else _masked(value) for key, value in body.items()}
    return body


def _answer(response: httpx.Response) -> Answer:
    # compared apart from the other headers (masked values may differ in length), but always the body's own
    length = response.headers.get("content-length")
    assert length is None or int(length) == len(response.content), (length, response.content[:80])
    try:
        body: Any = _masked(response.json())
    except ValueError:
        body = response.text
    headers = sorted((name, value) for name, value in response.headers.items() if name != "content-length")
    return response.status_code, headers, body


async def _play(api: RunningApp) -> list[Answer]:
    """Every request of the sequence, in order, and its answer."""
    post = api.client.post
    email, tokens = await api.new_user()
    mfa_email, mfa_tokens = await api.new_user()
    await enrol_totp(api, mfa_tokens["access_token"])
    created = await api.container.clients.create("orders api")
    basic = (created.client.id, secret_of(created))
    requests: list[Callable[[], Awaitable[httpx.Response]]] = [
        lambda: api.refresh(tokens["refresh_token"]),
        lambda: api.refresh(tokens["refresh_token"]),  # rotated a moment ago: refused, nothing revoked
        lambda: post("/oauth/token", data={"grant_type": "password"}),
        lambda: post("/oauth/token", data={"refresh_token": "x"}),
        lambda: post(
            "/oauth/token",
            content=b"grant_type=refresh_token&grant_type=refresh_token",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        lambda: post(
            "/oauth/token", content=b"grant_type=refresh_token", headers={"content-type": "text/plain"}
        ),
        lambda: post(
            "/oauth/token", content=b'{"grant_type": [1]}', headers={"content-type": "application/json"}
        ),
        lambda: post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x" * 70_000}),
        lambda: post("/oauth/token", data={"grant_type": "authorization_code", "code": "c"}),
        lambda: post(
            "/oauth/token", data={"grant_type": "refresh_token"}, headers={"authorization": "Basic %%%"}
        ),
        lambda: post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "twr_" + "A" * 43},
            headers={"origin": "https://elsewhere.example"},
        ),
        lambda: post(
            "/oauth/token",
            data={"grant_type": "refresh_token"},
            headers={"cookie": f"__Host-tokenward-refresh={tokens['refresh_token']}"},
        ),
        lambda: post("/oauth/introspect", data={"token": tokens["access_token"]}),
        lambda: post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=(basic[0], "wrong")),
        lambda: post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=basic),
        lambda: post("/oauth/introspect", data={"token": "garbage"}, auth=basic),
        lambda: post("/oauth/introspect", data={"token": "t", "token_type_hint": "id_token"}, auth=basic),
        lambda: post("/oauth/introspect", data={}, auth=basic),
        lambda: post("/oauth/introspect", data={"token": "t", "client_id": basic[0]}, auth=basic),
        lambda: post("/oauth/introspect", data={"token": "t"}, auth=basic),  # the limit has run out
        lambda: post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "twr_x"}),
        lambda: post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "twr_x"}),
        lambda: api.client.get("/oauth/token"),
        lambda: api.client.put("/oauth/introspect"),
        *_sign_ins(api, email, mfa_email),
    ]
    return [_answer(await request()) for request in requests]


def _sign_ins(api: RunningApp, email: str, mfa_email: str) -> list[Callable[[], Awaitable[httpx.Response]]]:
    """``POST /v1/login``: tokens, the MFA step, every kind of refused body, the cookie transport without its
    CSRF proof, and the limit running out (a malformed body after it: decoded before the limit counts)."""
    post = api.client.post

    def login(body: object, **headers: str) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: post("/v1/login", json=body, headers=headers)

    def raw(
        content: bytes, content_type: str = "application/json"
    ) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: post("/v1/login", content=content, headers={"content-type": content_type})

    return [
        login({"email": email, "password": STRONG_PASSWORD}),
        login({"email": mfa_email, "password": STRONG_PASSWORD}),
        login({"email": email, "password": "wrong password, wrong"}),
        login({"email": "nobody@example.com", "password": STRONG_PASSWORD}),
        raw(b'{"email": '),
        raw(b'{"email": "a@example.com", "email": "b@example.com", "password": "x"}'),
        raw(b'{"email": "a@example.com", "password": "x"}', "text/plain"),
        raw(b""),
        raw(b"null"),
        raw(b"[1, 2]"),
        login({"email": email}),
        login({"email": "", "password": 5}),
        login({"email": email, "password": STRONG_PASSWORD, "remember": True}),
        login({"email": email, "password": STRONG_PASSWORD}, **{"x-tokenward-transport": "cookie"}),
        login({"email": email, "password": STRONG_PASSWORD}),
        login({"email": email, "password": STRONG_PASSWORD}),
        raw(b'{"email": '),
        lambda: api.client.get("/v1/login"),
    ]


async def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, hot: bool) -> tuple[list[Answer], int]:
    calls = 0

    def counted(endpoint: hot_routes.Endpoint) -> hot_routes.Endpoint:
        async def call(*arguments: Any) -> Any:
            nonlocal calls
            calls += 1
            return await endpoint(*arguments)

        return call

    routes = {path: (limit, counted(endpoint)) for path, (limit, endpoint) in hot_routes.HOT_ROUTES.items()}
    with monkeypatch.context() as patch:
        patch.setattr(hot_routes, "HOT_ROUTES", routes if hot else {})
        clock = FrozenClock()
        run_limits_on(clock, patch)
        settings = make_settings(tmp_path / ("hot" if hot else "routed"), **_LIMITS)
        async with running_app(settings, clock) as api:
            return await _play(api), calls


@pytest.mark.threat("T-ABU-01", "T-BRW-01")
async def test_hot_routes_answer_exactly_as_fastapi_routing_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hot, hot_calls = await _run(tmp_path, monkeypatch, hot=True)
    routed, routed_calls = await _run(tmp_path, monkeypatch, hot=False)
    assert hot_calls > 15  # the hot run did go through the hot routes (all but the refusals before them) ...
    assert routed_calls == 0  # ... and the other run through FastAPI only
    for number, (fast, reference) in enumerate(zip(hot, routed, strict=True)):
        assert fast == reference, f"request {number}"
    statuses = [status for status, _, _ in routed]
    # the sequence reached every kind of answer
    assert {200, 400, 401, 403, 405, 413, 415, 429} <= set(statuses)
    sign_ins = hot[-18:]
    assert sign_ins[1][2]["mfa_required"] is True
    # attack: a cross-site cookie sign-in (login CSRF) through the hot path: refused before any sign-in
    assert sign_ins[13][0] == 403
    assert sign_ins[13][2]["code"] == "csrf_failed"
    # attack: guessing past the login limit through the hot path: refused like the routed path
    assert [status for status, _, _ in sign_ins[-4:]] == [429, 429, 400, 405]
