"""Every forged or malformed token of ``jwt_attacks`` is refused by the running server, for its exact reason.

The server runs once per signing algorithm with its own database-stored key; the attack tokens are built from
that key and its published JWK, and sent to ``GET /v1/me`` as bearer tokens. Each must get ``401``,
``code: invalid_token``, the verifier's reason as ``detail`` and a ``WWW-Authenticate`` challenge, and must
never be echoed. A real sign-in token on the same server passes, so the refusals are due to the attacks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.harness import RunningApp, bearer, make_settings, running_app
from tests.security.jwt_attacks import AUDIENCE, ISSUER, NOW, AttackCase, build_attack_cases

from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS


@pytest.fixture(scope="module", params=SUPPORTED_ALGORITHMS)
async def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("jwt"), issuer=ISSUER, audiences=[AUDIENCE], signing_algorithm=request.param
    )
    async with running_app(settings, FrozenClock(NOW)) as running:
        yield running


async def _cases(server: RunningApp) -> list[AttackCase]:
    ring = server.container.key_ring
    jwk = (await server.client.get("/.well-known/jwks.json")).json()["keys"][0]
    return build_attack_cases(ring.signing_key, jwk, ISSUER, AUDIENCE, NOW)


async def test_a_real_token_is_accepted(server: RunningApp) -> None:
    _, tokens = await server.new_user()
    response = await server.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200


@pytest.mark.threat(*(f"T-JWT-{n:02d}" for n in range(1, 16)))
async def test_every_attack_token_is_refused_with_its_reason(server: RunningApp) -> None:
    cases = await _cases(server)
    assert len(cases) > 100
    failures = []
    for case in cases:
        response = await server.client.get("/v1/me", headers=bearer(case.token))
        body = response.json()
        outcome = (response.status_code, body.get("code"), body.get("detail"))
        if len(case.token) > server.settings.max_header_bytes:
            # refused with the whole header block, before any route or verifier sees it
            if outcome[:2] != (431, "request_headers_too_large"):
                failures.append(f"{case.name}: expected request_headers_too_large, got {outcome}")
            continue
        if not case.token.strip():
            # an empty bearer value is no credential at all: the plain authentication challenge
            if outcome[:2] != (401, "authentication_required"):
                failures.append(f"{case.name}: expected authentication_required, got {outcome}")
            continue
        if outcome != (401, "invalid_token", case.reason):
            failures.append(f"{case.name}: expected {case.reason}, got {outcome}")
            continue
        if response.headers.get("www-authenticate") != 'Bearer error="invalid_token"':
            failures.append(f"{case.name}: missing challenge")
        if len(case.token) > 20 and case.token in response.text:
            failures.append(f"{case.name}: token echoed")
    assert failures == []


@pytest.mark.threat("T-JWT-13")
async def test_a_token_over_the_verifier_limit_but_under_the_header_limit_is_too_large(
    server: RunningApp,
) -> None:
    token = "eyJ" + "A" * 9000 + ".eyJ" + "A" * 10 + ".sig"
    response = await server.client.get("/v1/me", headers=bearer(token))
    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (
        401,
        "invalid_token",
        "too_large",
    )
