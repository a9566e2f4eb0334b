"""Introspection without the session read, where the deny-list answers alone, against the read it skips.

With a ``complete`` deny-list (Redis: every process's revocations) a session absent from it has not ended, so
``Introspector`` does not read the session. The same tokens (active, of a logged-out session, of a user whose
sessions were all ended, individually revoked, refresh tokens, garbage) must get the same answers as with the
session read; the session store is counted to show the read really is skipped.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.domain.world import CONTEXT, World
from tokenward.domain.sessions.introspection import Introspector
from tokenward.domain.sessions.model import RevokeReason


async def _tokens(world: World) -> list[str]:
    active, _ = await world.signed_in("active@example.com")
    logged_out, principal = await world.signed_in("logout@example.com")
    await world.sessions.logout(principal, everywhere=False, context=CONTEXT)
    all_ended, principal = await world.signed_in("all@example.com")
    await world.sessions.revoke_all(principal.user.id, RevokeReason.USER_DISABLED)
    one_revoked, _ = await world.signed_in("jti@example.com")
    await world.sessions.revoke_access_token(one_revoked.access_token, CONTEXT)
    return [
        active.access_token,
        logged_out.access_token,
        all_ended.access_token,
        one_revoked.access_token,
        active.refresh_token,
        logged_out.refresh_token,
        "not-a-token",
    ]


async def _answers(world: World, tokens: list[str]) -> list[dict[str, Any]]:
    introspector = Introspector(world.sessions)
    return [await introspector.introspect(token) for token in tokens]


async def test_a_complete_deny_list_gives_the_same_answers_without_reading_sessions(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = await _tokens(world)
    reads: list[str] = []
    real_get = world.session_store.get

    async def counted_get(session_id: str) -> Any:
        reads.append(session_id)
        return await real_get(session_id)

    monkeypatch.setattr(world.session_store, "get", counted_get)
    with_reads = await _answers(world, tokens)
    # the active access token's session, and the active refresh token's (refresh tokens always read it)
    assert len(reads) == 2
    world.deny_list.complete = True
    reads.clear()
    without_reads = await _answers(world, tokens)
    assert without_reads == with_reads
    assert len(reads) == 1  # only the refresh token's
    assert [answer["active"] for answer in with_reads] == [True, False, False, False, True, False, False]
