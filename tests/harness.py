"""Build a real Tokenward app for tests: real SQLite or PostgreSQL, real keys, cheap Argon2, frozen clock.

``running_app`` starts the application's lifespan once and yields an httpx client bound to it through
ASGITransport, so API tests exercise the same composition root as ``tokenward serve``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from tokenward.bootstrap import Container, build_app
from tokenward.config import Settings
from tokenward.domain.clock import FrozenClock

TEST_ISSUER = "https://auth.example.test"
TEST_AUDIENCE = "api.example.test"
STRONG_PASSWORD = "correct horse battery staple"


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "issuer": TEST_ISSUER,
        "audiences": [TEST_AUDIENCE],
        "kek": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # cheap hashing for speed; the hashing tests use the OWASP parameters themselves
        "argon2_memory_kib": 64,
        "argon2_time_cost": 1,
        "hash_concurrency": 4,
        # the throttle runs on the wall clock inside ``limits``; tests of it turn it on with a frozen window
        # (tests/limits_time.py), the others would trip it with their many sign-ups from one address
        "rate_limits_enabled": False,
        "log_json": True,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunningApp:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FrozenClock
    settings: Settings

    @property
    def container(self) -> Container:
        container: Container = self.app.state.container
        return container

    async def sign_up(self, email: str, password: str = STRONG_PASSWORD) -> httpx.Response:
        return await self.client.post("/v1/signup", json={"email": email, "password": password})

    async def attempt_login(self, email: str, password: str = STRONG_PASSWORD) -> httpx.Response:
        """``POST /v1/login``, whatever it answers (an outage test expects 503 as well as 200)."""
        return await self.client.post("/v1/login", json={"email": email, "password": password})

    async def login(self, email: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
        response = await self.attempt_login(email, password)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def new_user(
        self, email: str | None = None, password: str = STRONG_PASSWORD
    ) -> tuple[str, dict[str, Any]]:
        email = email or f"user-{secrets.token_hex(6)}@example.com"
        response = await self.sign_up(email, password)
        assert response.status_code == 202, response.text
        return email, await self.login(email, password)

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.client.post(
            "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running_app(settings: Settings, clock: FrozenClock | None = None) -> AsyncIterator[RunningApp]:
    clock = clock or FrozenClock()
    app = build_app(settings, clock=clock)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"User-Agent": "pytest-client/1.0"}
        ) as client:
            yield RunningApp(app=app, client=client, clock=clock, settings=settings)
