"""In production a refused access token gets ``invalid_token`` and nothing more; the rule goes to the audit trail.

Attack: probe the server with forgeries and read, from each 401, which rule the forgery broke (``alg_not_allowed``
means HMAC is off, ``bad_signature`` that the header passed...), narrowing down what to try next. Development keeps
naming the rule (tests/security/test_jwt_attacks_server.py asserts it for every attack); production does not.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.harness import STRONG_PASSWORD, RunningApp, bearer, make_settings, running_app
from tests.security.jwt_attacks import AUDIENCE, ISSUER, NOW, build_attack_cases

from tokenward.domain.clock import FrozenClock
from tokenward.domain.context import RequestContext
from tokenward.errors import InvalidToken


@pytest.fixture(scope="module")
async def production(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    data_dir: Path = tmp_path_factory.mktemp("production")
    settings = make_settings(
        data_dir,
        mode="production",
        issuer=ISSUER,
        audiences=[AUDIENCE],
        database_url=f"sqlite+aiosqlite:///{data_dir / 'tokenward.db'}",
        kek=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        argon2_memory_kib=19456,
        argon2_time_cost=2,
    )
    assert settings.insecure_settings() == []
    async with running_app(settings, FrozenClock(NOW)) as running:
        yield running


@pytest.mark.threat("T-API-03")
async def test_production_answers_invalid_token_without_naming_the_rule(production: RunningApp) -> None:
    container = production.container
    user = await container.accounts.create_user("prod@example.com", STRONG_PASSWORD)
    real = (await container.sessions.start(user, amr=("pwd",), context=RequestContext())).access_token
    assert (await production.client.get("/v1/me", headers=bearer(real))).status_code == 200

    cases = build_attack_cases(
        container.key_ring.signing_key, container.key_ring.jwks()["keys"][0], ISSUER, AUDIENCE, NOW
    )
    probes = {case.reason: case.token for case in cases if case.token.strip() and len(case.token) < 8000}
    assert {"alg_not_allowed", "bad_signature", "forbidden_header", "expired"} <= probes.keys()
    for reason, token in probes.items():
        response = await production.client.get("/v1/me", headers=bearer(token))
        assert (response.status_code, response.json()["code"]) == (401, "invalid_token"), reason
        assert response.json()["detail"] == InvalidToken.CONCEALED_DETAIL, reason
        assert reason not in response.text
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'

    events = await container.audit_log.list_events(event_type="access_token_refused", limit=1000)
    assert {event.details["reason"] for event in events} == set(probes)
    assert {event.ip for event in events} == {"203.0.113.7"}
