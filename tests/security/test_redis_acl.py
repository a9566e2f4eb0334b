"""The Redis ACL user of docs/security/checklists.md runs Tokenward and can do nothing else.

The rule is read from the checklist and applied with a user name unique to this run. Tokenward then runs on
Redis as that user with the rate limits on: sign-up, failed and successful sign-ins (rate limits, back-off,
stuffing counters), refresh, sign-out (deny-list). The same user is refused administrative commands and keys
outside Tokenward's prefix (threats T-NET-01, T-INS-01).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import NoPermissionError, ResponseError
from tests.harness import bearer, make_settings, running_app

CHECKLIST = Path(__file__).resolve().parents[2] / "docs" / "security" / "checklists.md"

pytestmark = pytest.mark.redis


def acl_rule() -> list[str]:
    text = CHECKLIST.read_text(encoding="utf-8")
    match = re.search(r"<!-- redis-acl:[^>]*-->\s*```\n(ACL SETUSER [^\n]+)\n```", text)
    assert match is not None, "checklists.md has no ACL SETUSER rule after <!-- redis-acl: … -->"
    return match.group(1).split()


@pytest.fixture(scope="module")
async def acl_url(redis_url: str) -> AsyncIterator[str]:
    name, password = f"tw-test-{secrets.token_hex(4)}", secrets.token_hex(16)
    words = acl_rule()
    assert words[:3] == ["ACL", "SETUSER", "tokenward"]
    rules = [f">{password}" if word.startswith(">") else word for word in words[3:]]
    admin = Redis.from_url(redis_url)
    try:
        await admin.execute_command("ACL", "SETUSER", name, *rules)  # type: ignore[no-untyped-call]
        yield redis_url.replace("redis://", f"redis://{name}:{password}@", 1)
    finally:
        await admin.execute_command("ACL", "DELUSER", name)  # type: ignore[no-untyped-call]
        await admin.aclose()


@pytest.mark.threat("T-INS-01")
async def test_tokenward_runs_on_redis_as_the_acl_user(acl_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, redis_url=acl_url, rate_limits_enabled=True)
    async with running_app(settings) as api:
        email, tokens = await api.new_user()
        wrong = await api.client.post("/v1/login", json={"email": email, "password": "not the password"})
        assert wrong.status_code == 401, wrong.text
        refreshed = await api.refresh(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        access = refreshed.json()["access_token"]
        assert (await api.client.post("/v1/logout", headers=bearer(access))).status_code == 200
        assert (await api.client.get("/v1/me", headers=bearer(access))).status_code == 401
        assert (await api.client.get("/readyz")).json()["checks"]["redis"] == "ok"


@pytest.mark.threat("T-INS-01")
@pytest.mark.parametrize(
    "command",
    [
        ("FLUSHALL",),
        ("CONFIG", "GET", "requirepass"),
        ("KEYS", "*"),
        ("GET", "session:someone-else"),
        ("SET", "other-app:key", "x"),
        ("ACL", "LIST"),
        ("PUBLISH", "channel", "x"),
    ],
)
async def test_the_acl_user_cannot_administer_redis_or_touch_other_keys(
    acl_url: str, command: tuple[str, ...]
) -> None:
    """Attack: with Tokenward's Redis password, wipe Redis, read its configuration or other apps' data."""
    client = Redis.from_url(acl_url)
    try:
        assert await client.set("tokenward:acl-probe", "1", ex=5)  # positive control: its own keys work
        with pytest.raises((NoPermissionError, ResponseError), match=r"(?i)permission|no permissions"):
            await client.execute_command(*command)  # type: ignore[no-untyped-call]
    finally:
        await client.aclose()
