"""A replayed authorization code on the fakes: the replay revokes what the first redemption issued, also when
it arrives while the first redemption is still creating its session (T-OIDC-03)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.oidc_support import pkce_pair
from tests.unit.domain.oidc.support import REDIRECT, code_for, provider_on
from tests.unit.domain.world import CONTEXT, World
from tokenward.domain.audit.events import AuditEventType
from tokenward.domain.clients import Client
from tokenward.domain.oidc import OidcProvider
from tokenward.domain.sessions.model import RefreshTokenRecord, Session
from tokenward.errors import InvalidGrant

REPLAYED = "already used; the tokens issued from it are revoked"


async def _provider(world: World) -> tuple[OidcProvider, Client]:
    on = provider_on(world)
    return on.provider, await on.client()


async def _code(world: World, provider: OidcProvider, client: Client, challenge: str) -> str:
    return await code_for(world, provider, client, challenge, (await world.new_user()).id)


async def _active_client_sessions(world: World) -> list[Session]:
    user = await world.users.get_by_email("alice@example.com")
    assert user is not None
    return [s for s in await world.session_store.list_for_user(user.id) if s.client_id is not None]


@pytest.mark.threat("T-OIDC-03")
async def test_a_replay_after_the_redemption_revokes_its_session(world: World) -> None:
    provider, client = await _provider(world)
    verifier, challenge = pkce_pair()
    code = await _code(world, provider, client, challenge)
    first = await provider.redeem(client, code, REDIRECT, verifier, CONTEXT)
    assert first.id_token is not None

    with pytest.raises(InvalidGrant, match=REPLAYED):
        await provider.redeem(client, code, REDIRECT, verifier, CONTEXT)

    assert await _active_client_sessions(world) == []
    assert len(await world.events(AuditEventType.AUTHORIZATION_CODE_REPLAYED)) == 1


@pytest.mark.threat("T-OIDC-03")
async def test_a_replay_racing_the_first_redemption_still_revokes_its_tokens(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the stolen code is sent while the legitimate redemption is between using the code and storing
    its session; the replay finds no session to end, so the first redemption must notice and end it."""
    provider, client = await _provider(world)
    verifier, challenge = pkce_pair()
    code = await _code(world, provider, client, challenge)
    creating, release = asyncio.Event(), asyncio.Event()
    store_session: Callable[[Session, RefreshTokenRecord], Awaitable[None]] = world.session_store.create

    async def create_after_the_replay(session: Session, first_token: RefreshTokenRecord) -> None:
        creating.set()
        await release.wait()
        await store_session(session, first_token)

    monkeypatch.setattr(world.session_store, "create", create_after_the_replay)
    legitimate = asyncio.create_task(provider.redeem(client, code, REDIRECT, verifier, CONTEXT))
    await creating.wait()

    with pytest.raises(InvalidGrant, match=REPLAYED):
        await provider.redeem(client, code, REDIRECT, verifier, CONTEXT)
    release.set()
    with pytest.raises(InvalidGrant, match=REPLAYED):
        await legitimate

    assert await _active_client_sessions(world) == []
