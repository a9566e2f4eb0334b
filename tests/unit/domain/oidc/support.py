"""The OpenID Connect provider on the ``world`` fakes: a registry with one client, a key ring of its own, and
codes issued for a signed-in browser."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tests.fakes import FakeAuthorizationCodeRepository, FakeClientRepository
from tests.unit.domain.world import CONTEXT, ISSUER, World
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

REDIRECT = "https://app.example/callback"
BROWSER_SESSION = "browser-1"


@dataclass
class Provider:
    provider: OidcProvider
    clients: ClientRegistry
    id_tokens: IdTokenIssuer
    ring: KeyRing

    async def client(self, **settings: object) -> Client:
        chosen = ClientSettings(redirect_uris=(REDIRECT,), **settings)  # type: ignore[arg-type]
        return (await self.clients.create("app", ClientType.PUBLIC, chosen)).client


def provider_on(world: World) -> Provider:
    encryptor = KeyEncryptor(os.urandom(32))
    ring = KeyRing([generate_key("ES256", encryptor, world.clock.now(), KeyState.ACTIVE)], encryptor)
    clients = ClientRegistry(FakeClientRepository(), world.audit, world.clock)
    id_tokens = IdTokenIssuer(lambda: ring, IdTokenSettings(ISSUER), world.clock)
    provider = OidcProvider(
        clients=clients,
        codes=FakeAuthorizationCodeRepository(),
        sessions=world.sessions,
        users=world.users,
        id_tokens=id_tokens,
        audit=world.audit,
        clock=world.clock,
    )
    return Provider(provider, clients, id_tokens, ring)


async def code_for(world: World, provider: OidcProvider, client: Client, challenge: str, user_id: str) -> str:
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
        user_id=user_id, session_id=BROWSER_SESSION, auth_time=world.clock.now(), amr=("pwd",)
    )
    return await provider.issue_code(request, sign_in, CONTEXT)
