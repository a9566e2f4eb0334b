"""A replayed authorization code on the fakes: the replay revokes what the first redemption issued, also when
it arrives while the first redemption is still creating its session (T-OIDC-03)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

import pytest

from tests.fakes import FakeAuthorizationCodeRepository, FakeClientRepository
from tests.oidc_support import pkce_pair
from tests.unit.domain.world import CONTEXT, ISSUER, World
from tokenward.domain.audit.events import AuditEventType
from tokenward.domain.clients import Client, ClientRegistry, ClientSettings, ClientType
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.model import KeyState
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.oidc import (
    AuthorizationRequest,
    BrowserSignIn,
    IdTokenIssuer,
    IdTokenSettings,
    OidcProvider,
)
from tokenward.domain.sessions.model import RefreshTokenRecord, Session
from tokenward.errors import InvalidGrant

REDIRECT = "https://app.example/callback"
REPLAYED = "already used; the tokens issued from it are revoked"


async def _provider(world: World) -> tuple[OidcProvider, Client]:
    encryptor = KeyEncryptor(os.urandom(32))
    ring = KeyRing([generate_key("ES256", encryptor, world.clock.now(), KeyState.ACTIVE)], encryptor)
    clients = ClientRegistry(FakeClientRepository(), world.audit, world.clock)
    client = (
        await clients.create("app", ClientType.PUBLIC, ClientSettings(redirect_uris=(REDIRECT,)))
    ).client
    provider = OidcProvider(
        clients=clients,
        codes=FakeAuthorizationCodeRepository(),
        sessions=world.sessions,
        users=world.users,
        id_tokens=IdTokenIssuer(lambda: ring, IdTokenSettings(ISSUER), world.clock),
        audit=world.audit,
        clock=world.clock,
    )
    return provider, client


async def _code(world: World, provider: OidcProvider, client: Client, challenge: str) -> str:
    user = await world.new_user()
    request = AuthorizationRequest(
        client=client,
        redirect_uri=REDIRECT,
        scopes=frozenset({"openid"}),
        state="s",
        nonce="n",
        code_challenge=challenge,
        prompts=frozenset(),
        max_age=None,
        login_after=None,
    )
    sign_in = BrowserSignIn(
        user_id=user.id, session_id="browser-1", auth_time=world.clock.now(), amr=("pwd",)
    )
    return await provider.issue_code(request, sign_in, CONTEXT)


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
