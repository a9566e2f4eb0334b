"""PostgreSQL refused, reset or stalled under a running Tokenward: 503 with ``Retry-After``, then whole again.

The database is cut through the fault proxy, never stopped. During the cut every route that needs it answers
``503 dependency_unavailable`` (``temporarily_unavailable`` on ``/oauth/*``) within the configured time-outs;
once the proxy passes again the same application serves every route within 2 s. Refreshes that meet the cut
half-way are answered only with what was committed, so no client loses its session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import select

from tests.faults.conftest import LONGEST_OUTAGE_ANSWER, FaultyStack, faulty_stack, log_events, until
from tests.harness import bearer
from tokenward.adapters.sql import Database
from tokenward.adapters.sql.tables import refresh_tokens
from tokenward.domain.sessions.refresh_tokens import hash_refresh_token

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

FAULTS = ["refuse", "reset", "stall"]


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str
) -> AsyncIterator[FaultyStack]:
    async with faulty_stack(tmp_path_factory.mktemp("database-outage"), postgres_url, redis_url) as stack:
        yield stack


async def _whole(stack: FaultyStack, email: str, refresh_token: str) -> bool:
    """Sign-in, refresh (with a fresh sign-in's token, so the caller's stays usable) and /v1/me all answer."""
    signed_in = await stack.api.attempt_login(email)
    if signed_in.status_code != 200:
        return False
    pair = signed_in.json()
    me = await stack.api.client.get("/v1/me", headers=bearer(pair["access_token"]))
    refreshed = await stack.api.refresh(pair["refresh_token"])
    return me.status_code == 200 and refreshed.status_code == 200


def _assert_unavailable(response: httpx.Response, *, oauth: bool) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    if oauth:
        assert response.json()["error"] == "temporarily_unavailable"
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "dependency_unavailable"


@pytest.mark.parametrize("fault", FAULTS)
async def test_each_route_answers_503_with_retry_after_then_recovers_without_a_restart(
    stack: FaultyStack, fault: str
) -> None:
    email, pair = await stack.api.new_user()
    await getattr(stack.database, fault)()
    try:
        login = await asyncio.wait_for(stack.api.attempt_login(email), LONGEST_OUTAGE_ANSWER)
        refresh = await asyncio.wait_for(stack.api.refresh(pair["refresh_token"]), LONGEST_OUTAGE_ANSWER)
        me = await asyncio.wait_for(
            stack.api.client.get("/v1/me", headers=bearer(pair["access_token"])), LONGEST_OUTAGE_ANSWER
        )
        ready = await asyncio.wait_for(stack.api.client.get("/readyz"), LONGEST_OUTAGE_ANSWER)
    finally:
        await stack.database.pass_through()

    _assert_unavailable(login, oauth=False)
    _assert_unavailable(refresh, oauth=True)
    _assert_unavailable(me, oauth=False)
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "unavailable"

    await until(lambda: _whole(stack, email, pair["refresh_token"]), within=2.0)
    # the refresh that met the outage changed nothing: the client's token still works
    assert (await stack.api.refresh(pair["refresh_token"])).status_code == 200


async def test_an_outage_writes_one_line_when_it_starts_and_one_when_it_ends(
    stack: FaultyStack, capsys: pytest.CaptureFixture[str]
) -> None:
    email, pair = await stack.api.new_user()
    capsys.readouterr()
    await stack.database.reset()
    try:
        for _ in range(20):
            me = await stack.api.client.get("/v1/me", headers=bearer(pair["access_token"]))
            assert me.status_code == 503
    finally:
        await stack.database.pass_through()
    await until(lambda: _whole(stack, email, pair["refresh_token"]), within=2.0)

    log = capsys.readouterr().err
    down = log_events(log, "dependency_down")
    up = log_events(log, "dependency_up")
    assert [line["dependency"] for line in down] == ["database"]
    assert "ConnectionResetError" in down[0]["cause"] or "connection" in down[0]["cause"].lower()
    assert [line["dependency"] for line in up] == ["database"]
    assert up[0]["failures"] >= 20
    # tracebacks: at most one per distinct error, not one per failed request
    tracebacks = log_events(log, "dependency_error")
    assert len(tracebacks) <= 3
    assert len({line["cause"] for line in tracebacks}) == len(tracebacks)
    assert log_events(log, "unhandled_error") == []


@dataclass
class _Client:
    token: str
    #: (refresh token sent, status answered, refresh token received)
    answers: list[tuple[str, int, str | None]] = field(default_factory=list)


async def _refresh_loop(stack: FaultyStack, client: _Client, stop: asyncio.Event) -> None:
    """A client that refreshes continuously and, after a 503, retries with the same token (as told to)."""
    while not stop.is_set():
        response = await stack.api.refresh(client.token)
        if response.status_code == 200:
            successor = response.json()["refresh_token"]
            client.answers.append((client.token, 200, successor))
            client.token = successor
        else:
            _assert_unavailable(response, oauth=True)
            client.answers.append((client.token, response.status_code, None))
        await asyncio.sleep(0)


async def _cut_repeatedly(stack: FaultyStack, clients: list[_Client], cuts: int, stop: asyncio.Event) -> None:
    """Reset every database connection ``cuts`` times, each after a few answers went through."""

    def answered() -> int:
        return sum(len(client.answers) for client in clients)

    async def more_answers(count: int) -> None:
        target = answered() + count

        async def reached() -> bool:
            return answered() >= target

        await until(reached, within=30)

    try:
        for _ in range(cuts):
            await more_answers(2 * len(clients))
            await stack.database.reset()
            await more_answers(len(clients))
            await stack.database.pass_through()
    finally:
        await stack.database.pass_through()
        stop.set()


async def _rotated_hashes(database_url: str, hashes: list[str]) -> set[str]:
    database = Database(database_url)
    try:
        async with database.read() as conn:
            rows = await conn.execute(
                select(refresh_tokens.c.token_hash).where(
                    refresh_tokens.c.token_hash.in_(hashes), refresh_tokens.c.rotated_at.is_not(None)
                )
            )
            return set(rows.scalars())
    finally:
        await database.dispose()


async def _stored_hashes(database_url: str, hashes: list[str]) -> set[str]:
    database = Database(database_url)
    try:
        async with database.read() as conn:
            rows = await conn.execute(
                select(refresh_tokens.c.token_hash).where(refresh_tokens.c.token_hash.in_(hashes))
            )
            return set(rows.scalars())
    finally:
        await database.dispose()


async def test_refreshes_cut_half_way_lose_no_session_and_answer_only_what_was_committed(
    stack: FaultyStack,
) -> None:
    clients = [_Client((await stack.api.new_user())[1]["refresh_token"]) for _ in range(6)]
    stop = asyncio.Event()
    await asyncio.gather(
        _cut_repeatedly(stack, clients, cuts=6, stop=stop),
        *(_refresh_loop(stack, client, stop) for client in clients),
    )
    statuses = {status for client in clients for _, status, _ in client.answers}
    assert statuses == {200, 503}

    # no session lost: every client's newest token refreshes (a retry after a 503 included)
    for client in clients:

        async def refreshed(client: _Client = client) -> bool:
            response = await stack.api.refresh(client.token)
            if response.status_code == 200:
                successor = response.json()["refresh_token"]
                client.answers.append((client.token, 200, successor))
                client.token = successor
            return response.status_code == 200

        await until(refreshed, within=2.0)

    answered_200 = [
        (sent, received) for c in clients for sent, status, received in c.answers if status == 200
    ]
    sent_tokens = [sent for c in clients for sent, _, _ in c.answers]
    # every successor answered with 200 was committed
    received = [hash_refresh_token(token) for _, token in answered_200 if token is not None]
    assert await _stored_hashes(stack.database_url, received) == set(received)
    # no token was rotated without a 200 for it (a committed rotation answered with 503 would be)
    rotated = await _rotated_hashes(stack.database_url, [hash_refresh_token(t) for t in sent_tokens])
    assert rotated <= {hash_refresh_token(sent) for sent, _ in answered_200}
