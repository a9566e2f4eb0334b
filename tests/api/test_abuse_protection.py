"""Abuse protection through HTTP: route limits, per-account back-off, stuffing detection, address spoofing.

One app per module with small limits so that each defence is reached in a few requests; every test uses its
own client addresses and accounts, and the ``limits`` windows run on the app's frozen clock.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.harness import STRONG_PASSWORD, RunningApp, make_settings, running_app
from tests.limits_time import run_limits_on
from tests.mfa_support import enrol_totp, outbox_messages, password_step
from tokenward.domain.clock import FrozenClock

LIMITS = {
    "rate_limits_enabled": True,
    "rate_limit_login": "12/minute",
    "rate_limit_signup": "1000/minute",
    "rate_limit_refresh": "3/minute",
    "rate_limit_password_reset": "100/minute",
    "rate_limit_mfa": "100/minute",
    "account_limit_per_address": "5/minute;20/hour",
    "account_limit": "10/minute;100/hour",
    "stuffing_accounts": 15,
    "stuffing_window": 600,
    "stuffing_block": 900,
}
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    clock = FrozenClock()
    with pytest.MonkeyPatch.context() as patch:
        run_limits_on(clock, patch)
        settings = make_settings(tmp_path_factory.mktemp("abuse"), **LIMITS)
        async with running_app(settings, clock) as running:
            yield running


def client_from(api: RunningApp, address: str | None = None, **headers: str) -> httpx.AsyncClient:
    """A client whose TCP peer address is ``address`` (a fresh one by default)."""
    transport = httpx.ASGITransport(app=api.app, client=(address or next(_addresses), 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def login(
    client: httpx.AsyncClient, email: str, password: str = "not the right password"
) -> httpx.Response:
    return await client.post("/v1/login", json={"email": email, "password": password})


class HashCounter:
    """Counts password verifications that actually ran (the expensive step a limit must come before)."""

    def __init__(self, api: RunningApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        pool = api.container.hashing_pool
        original = pool.run

        async def counting_run(fn: Any, *args: Any) -> Any:
            self.count += 1
            return await original(fn, *args)

        monkeypatch.setattr(pool, "run", counting_run)


@pytest.mark.threat("T-ABU-01")
async def test_route_limit_per_address_answers_429_with_headers_before_any_hashing(
    api: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: a flood of sign-in requests from one address, each costing the server a password hash."""
    hashes = HashCounter(api, monkeypatch)
    async with client_from(api) as client:
        statuses = []
        for n in range(14):
            statuses.append((await login(client, f"flood{n}@example.com")).status_code)
        assert statuses == [401] * 12 + [429] * 2
        assert hashes.count == 12
        refused = await login(client, "flood-last@example.com")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["ratelimit-policy"] == '"login";q=12;w=60'
    assert refused.headers["ratelimit"] == '"login";r=0;t=60'
    assert hashes.count == 12


async def test_allowed_requests_carry_ratelimit_headers(api: RunningApp) -> None:
    async with client_from(api) as client:
        response = await login(client, "headers@example.com")
    assert response.status_code == 401
    assert response.headers["ratelimit-policy"] == '"login";q=12;w=60'
    assert response.headers["ratelimit"].startswith('"login";r=11;t=')


@pytest.mark.threat("T-ABU-02")
async def test_fifty_parallel_wrong_passwords_evaluate_only_the_limit(
    api: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: race 50 guesses at once so they all pass the lock-out check before any failure is counted."""
    email, _ = await api.new_user()
    hashes = HashCounter(api, monkeypatch)
    clients = [client_from(api) for _ in range(50)]  # 50 addresses: the route limit is not what stops them
    try:
        responses = await asyncio.gather(*(login(c, email) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    codes = sorted(r.json()["code"] for r in responses)
    assert codes.count("invalid_credentials") == 10  # the account-wide 10/minute
    assert codes.count("too_many_attempts") == 40
    assert hashes.count == 10


@pytest.mark.threat("T-ABU-02")
async def test_one_address_gets_five_guesses_a_minute_per_account(api: RunningApp) -> None:
    email, _ = await api.new_user()
    async with client_from(api) as client:
        statuses = [(await login(client, email)).status_code for _ in range(7)]
        refused = await login(client, email)
    assert statuses == [401] * 5 + [429] * 2
    assert refused.json()["code"] == "too_many_attempts"
    assert int(refused.headers["retry-after"]) == 60


@pytest.mark.threat("T-ABU-02", "T-ACC-02")
async def test_unknown_accounts_are_throttled_exactly_like_real_ones(api: RunningApp) -> None:
    """Attack: learn which accounts exist from whether throttling happens."""
    email, _ = await api.new_user()
    async with client_from(api) as known, client_from(api) as unknown:
        real = [(await login(known, email)).json()["code"] for _ in range(7)]
        ghost = [(await login(unknown, "ghost-account@example.com")).json()["code"] for _ in range(7)]
    assert real == ghost == ["invalid_credentials"] * 5 + ["too_many_attempts"] * 2


@pytest.mark.threat("T-ABU-02")
async def test_case_and_spaces_do_not_make_a_new_counter(api: RunningApp) -> None:
    email, _ = await api.new_user()
    variants = [email, email.upper(), f"  {email} ", email.title(), email, email.upper(), f" {email}"]
    async with client_from(api) as client:
        codes = [(await login(client, v)).json()["code"] for v in variants]
    assert codes == ["invalid_credentials"] * 5 + ["too_many_attempts"] * 2


@pytest.mark.threat("T-ABU-03")
async def test_an_attacker_cannot_lock_out_the_real_user(api: RunningApp) -> None:
    """Attack: fail on purpose against someone else's account until it locks (CVE-2024-1722 style)."""
    email, _ = await api.new_user()
    async with client_from(api) as attacker, client_from(api) as owner:
        for _ in range(8):
            await login(attacker, email)
        assert (await login(attacker, email, STRONG_PASSWORD)).json()["code"] == "too_many_attempts"
        # the owner, from their own address, is not affected by the attacker's address being throttled
        assert (await login(owner, email, STRONG_PASSWORD)).status_code == 200
        # and once the back-off has passed, even the attacker's address is let through again
        api.clock.advance(61)
        assert (await login(attacker, email, STRONG_PASSWORD)).status_code == 200


@pytest.mark.threat("T-ABU-02")
async def test_at_most_100_failures_per_hour_from_many_addresses(api: RunningApp) -> None:
    """Attack: spread guesses over many addresses and a whole hour to stay under every short window."""
    email, _ = await api.new_user()
    evaluated = 0
    for minute in range(60):
        for _ in range(2):
            async with client_from(api) as client:
                if (await login(client, email)).json()["code"] == "invalid_credentials":
                    evaluated += 1
        api.clock.advance(59)
        del minute
    assert evaluated == 100  # 120 guesses in under an hour: the hourly cap evaluated exactly 100
    api.clock.advance(3600)
    async with client_from(api) as client:
        assert (await login(client, email, STRONG_PASSWORD)).status_code == 200


@pytest.mark.threat("T-ABU-02")
async def test_a_successful_sign_in_ends_the_back_off(api: RunningApp) -> None:
    email, _ = await api.new_user()
    async with client_from(api) as client:
        for _ in range(4):
            assert (await login(client, email)).status_code == 401
        assert (await login(client, email, STRONG_PASSWORD)).status_code == 200
        assert [(await login(client, email)).status_code for _ in range(5)] == [401] * 5


@pytest.mark.threat("T-ABU-04")
async def test_credential_stuffing_blocks_the_source_and_is_recorded_once(api: RunningApp) -> None:
    """Attack: one address tries leaked e-mail/password pairs across many different accounts, slowly enough
    to stay under the per-route limit."""
    stuffer = "192.0.2.66"
    codes = []
    async with client_from(api, stuffer) as client:
        for n in range(17):
            if n == 10:
                api.clock.advance(61)  # the route window slides; the stuffing window (10 minutes) does not
            codes.append((await login(client, f"victim{n}@example.com")).json()["code"])
        blocked = await login(client, "one-more@example.com")
    assert codes == ["invalid_credentials"] * 15 + ["too_many_attempts"] * 2
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == 900
    events = await api.container.audit_log.list_events(event_type="credential_stuffing_detected")
    assert [e.ip for e in events].count(stuffer) == 1
    async with client_from(api) as other:
        assert (await login(other, "victim1@example.com")).json()["code"] == "invalid_credentials"


@pytest.mark.threat("T-ABU-05")
async def test_rotating_forwarded_headers_from_an_untrusted_peer_resets_nothing(api: RunningApp) -> None:
    """Attack: send a new X-Forwarded-For / Forwarded value with every request to look like many clients."""
    address = next(_addresses)
    codes = []
    for n in range(14):
        headers = {"X-Forwarded-For": f"10.0.{n}.1", "Forwarded": f"for=10.1.{n}.1"}
        async with client_from(api, address, **headers) as client:
            codes.append((await login(client, f"spoof{n}@example.com")).status_code)
    assert codes == [401] * 12 + [429] * 2


async def test_throttling_is_audited_once_per_window_not_per_request(api: RunningApp) -> None:
    email, _ = await api.new_user()
    async with client_from(api) as client:
        for _ in range(9):
            await login(client, email)
    events = await api.container.audit_log.list_events(event_type="account_throttled")
    mine = [e for e in events if e.details.get("scope") == "account_per_address"]
    assert len({(e.ip, e.details["account"]) for e in mine}) == len(mine)
    metrics = (await api.client.get("/metrics")).text
    assert 'tokenward_throttled_requests_total{layer="account_per_address",policy="password"}' in metrics


async def test_refresh_is_limited_per_address_in_the_oauth_error_shape(api: RunningApp) -> None:
    async with client_from(api) as client:
        responses = [
            await client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "twr_x"})
            for _ in range(4)
        ]
    assert [r.status_code for r in responses] == [400, 400, 400, 429]
    assert responses[3].json() == {
        "error": "slow_down",
        "error_description": "Too many requests; retry after 60 seconds",
    }


@pytest.mark.threat("T-ABU-02")
async def test_second_factor_guesses_share_one_back_off_across_mfa_tokens(api: RunningApp) -> None:
    """Attack: with a stolen password, guess TOTP codes, fetching a fresh MFA token whenever one dies."""
    email, tokens = await api.new_user()
    authenticator, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    first = await password_step(api, email, STRONG_PASSWORD)
    codes = []
    for _ in range(5):
        response = await api.client.post(
            "/v1/login/mfa", json={"mfa_token": first["mfa_token"], "code": "000000"}
        )
        codes.append(response.json()["code"])
    assert codes == ["invalid_mfa_code"] * 5
    second = await password_step(api, email, STRONG_PASSWORD)
    refused = await api.client.post(
        "/v1/login/mfa", json={"mfa_token": second["mfa_token"], "code": authenticator.code()}
    )
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
    api.clock.advance(61)
    third = await password_step(api, email, STRONG_PASSWORD)
    accepted = await api.client.post(
        "/v1/login/mfa", json={"mfa_token": third["mfa_token"], "code": authenticator.code()}
    )
    assert accepted.status_code == 200


@pytest.mark.threat("T-ABU-02", "T-MFA-08")
async def test_reset_e_mails_per_account_are_limited_the_same_for_unknown_addresses(api: RunningApp) -> None:
    """Attack: flood someone's inbox with reset e-mails, or probe which addresses exist by the limit."""
    email, _ = await api.new_user()
    async with client_from(api) as client:
        known = [
            (await client.post("/v1/password/forgot", json={"email": email})).status_code for _ in range(7)
        ]
    async with client_from(api) as client:
        unknown = [
            (await client.post("/v1/password/forgot", json={"email": "nobody-here@example.com"})).status_code
            for _ in range(7)
        ]
    assert known == unknown == [202] * 5 + [429] * 2
    assert len(outbox_messages(api, "password_reset", email)) == 5


async def test_ratelimit_headers_also_on_routes_that_build_their_own_response(api: RunningApp) -> None:
    async with client_from(api) as client:
        response = await client.post("/oauth/revoke", data={"token": "twr_unknown"})
    assert response.status_code == 200
    assert response.headers["ratelimit-policy"].startswith('"revoke";q=')
