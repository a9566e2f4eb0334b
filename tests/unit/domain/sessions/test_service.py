"""SessionService on fakes and a frozen clock: refresh rotation, reuse detection, lifetimes, disabled users."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.domain.world import CONTEXT, SESSION_SETTINGS, World
from tokenward.domain.audit.events import AuditEvent, AuditEventType
from tokenward.domain.sessions.model import Session
from tokenward.domain.sessions.refresh_tokens import hash_refresh_token
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import InvalidGrant, InvalidToken

GRACE = SESSION_SETTINGS.reuse_grace
IDLE = SESSION_SETTINGS.idle_ttl
ABSOLUTE = SESSION_SETTINGS.absolute_ttl


async def start(world: World) -> TokenPair:
    user = await world.new_user()
    return await world.sessions.start(user, amr=("pwd",), context=CONTEXT)


async def stored_session(world: World, session_id: str) -> Session:
    session = await world.session_store.get(session_id)
    assert session is not None
    return session


async def test_start_stores_a_session_for_the_caller_and_signs_an_access_token(world: World) -> None:
    tokens = await start(world)

    session = await stored_session(world, tokens.session_id)
    assert (session.ip, session.user_agent, session.amr, session.scope) == (
        CONTEXT.ip,
        CONTEXT.user_agent,
        ("pwd",),
        "openid",
    )
    assert session.expires_at == world.clock.now() + ABSOLUTE
    principal = await world.sessions.authenticate(tokens.access_token)
    assert principal.session.id == tokens.session_id


async def test_refresh_rotates_the_token_once(world: World) -> None:
    first = await start(world)
    world.clock.advance(60)

    second = await world.sessions.refresh(first.refresh_token, CONTEXT)

    assert second.session_id == first.session_id
    assert second.refresh_token != first.refresh_token
    old = await world.session_store.find_refresh_token(hash_refresh_token(first.refresh_token))
    assert old is not None
    assert old.rotated_at == world.clock.now()
    assert (await stored_session(world, first.session_id)).last_used_at == world.clock.now()
    assert (await world.sessions.authenticate(second.access_token)).session.id == first.session_id
    third = await world.sessions.refresh(second.refresh_token, CONTEXT)
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)


@pytest.mark.threat("T-REF-01")
async def test_reuse_inside_the_grace_window_is_refused_and_revokes_nothing(world: World) -> None:
    """Two tabs refreshed at once, or an answer was lost: the loser is told to use the newest token."""
    first = await start(world)
    second = await world.sessions.refresh(first.refresh_token, CONTEXT)
    world.clock.advance(GRACE.total_seconds())

    with pytest.raises(InvalidGrant, match="already used; use the newest refresh token"):
        await world.sessions.refresh(first.refresh_token, CONTEXT)

    assert (await stored_session(world, first.session_id)).active
    assert await world.events(AuditEventType.REFRESH_TOKEN_REUSE) == []
    assert (await world.sessions.refresh(second.refresh_token, CONTEXT)).session_id == first.session_id


@pytest.mark.threat("T-REF-01")
async def test_reuse_after_the_grace_window_revokes_the_family_and_the_session_and_is_recorded(
    world: World,
) -> None:
    """Attack: a stolen refresh token used after its owner refreshed; the whole family must die."""
    first = await start(world)
    second = await world.sessions.refresh(first.refresh_token, CONTEXT)
    world.clock.advance(GRACE.total_seconds() + 1)

    with pytest.raises(InvalidGrant, match="reuse detected; the session has been revoked"):
        await world.sessions.refresh(first.refresh_token, CONTEXT)

    session = await stored_session(world, first.session_id)
    assert session.revoked_reason == "refresh_token_reuse"
    with pytest.raises(InvalidGrant, match="invalid"):
        await world.sessions.refresh(second.refresh_token, CONTEXT)
    with pytest.raises(InvalidToken) as refused:
        await world.sessions.authenticate(second.access_token)
    assert refused.value.reason == "revoked"
    assert await world.events(AuditEventType.REFRESH_TOKEN_REUSE) == [
        AuditEvent(
            type=AuditEventType.REFRESH_TOKEN_REUSE,
            at=world.clock.now(),
            outcome="session_revoked",
            user_id=session.user_id,
            session_id=session.id,
            ip=CONTEXT.ip,
            user_agent=CONTEXT.user_agent,
            details={"family_id": session.family_id, "rotated_seconds_ago": int(GRACE.total_seconds()) + 1},
        )
    ]


async def test_an_idle_session_cannot_be_refreshed(world: World) -> None:
    tokens = await start(world)
    world.clock.advance((IDLE - timedelta(seconds=1)).total_seconds())
    tokens = await world.sessions.refresh(tokens.refresh_token, CONTEXT)

    world.clock.advance(IDLE.total_seconds())

    with pytest.raises(InvalidGrant, match="expired"):
        await world.sessions.refresh(tokens.refresh_token, CONTEXT)


async def test_refreshing_never_extends_a_session_past_its_absolute_end(world: World) -> None:
    tokens = await start(world)
    step = IDLE - timedelta(days=1)
    while world.clock.now() + step < (await stored_session(world, tokens.session_id)).expires_at:
        world.clock.advance(step.total_seconds())
        tokens = await world.sessions.refresh(tokens.refresh_token, CONTEXT)
    session = await stored_session(world, tokens.session_id)

    world.clock.set(session.expires_at)

    assert world.clock.now() - session.last_used_at < IDLE
    with pytest.raises(InvalidGrant, match="expired"):
        await world.sessions.refresh(tokens.refresh_token, CONTEXT)


async def test_a_disabled_user_cannot_refresh_and_the_session_ends(world: World) -> None:
    tokens = await start(world)
    user = (await world.sessions.authenticate(tokens.access_token)).user
    await world.users.update(user.with_changes(disabled=True))

    with pytest.raises(InvalidGrant, match="invalid"):
        await world.sessions.refresh(tokens.refresh_token, CONTEXT)

    assert (await stored_session(world, tokens.session_id)).revoked_reason == "user_disabled"
    with pytest.raises(InvalidToken) as refused:
        await world.sessions.authenticate(tokens.access_token)
    assert refused.value.reason == "revoked"


@pytest.mark.parametrize("presented", ["", "not-a-refresh-token", "twr_" + "A" * 43])
async def test_a_malformed_or_unknown_refresh_token_changes_nothing(world: World, presented: str) -> None:
    tokens = await start(world)

    with pytest.raises(InvalidGrant, match="invalid"):
        await world.sessions.refresh(presented, CONTEXT)

    assert (await stored_session(world, tokens.session_id)).active
    assert await world.events() == []


async def test_logout_ends_the_session_at_once_and_is_recorded(world: World) -> None:
    tokens = await start(world)
    principal = await world.sessions.authenticate(tokens.access_token)

    assert await world.sessions.logout(principal, everywhere=False, context=CONTEXT) == 1

    with pytest.raises(InvalidToken):
        await world.sessions.authenticate(tokens.access_token)
    with pytest.raises(InvalidGrant):
        await world.sessions.refresh(tokens.refresh_token, CONTEXT)
    (logout,) = await world.events(AuditEventType.LOGOUT)
    assert (logout.session_id, logout.ip, dict(logout.details)) == (
        tokens.session_id,
        CONTEXT.ip,
        {"everywhere": False, "sessions_ended": 1},
    )
