"""Back-channel logout on the fakes: a client with a registered URI hears of each of its sessions that ends,
with a signed logout token that names the user and the sign-in and cannot pass as an ID token; a client
without one hears nothing; a client that does not answer does not stop the sign-out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.oidc_support import jwt_parts, pkce_pair
from tests.unit.domain.oidc.support import BROWSER_SESSION, REDIRECT, Provider, code_for, provider_on
from tests.unit.domain.world import CONTEXT, ISSUER, World
from tokenward.domain.audit.events import AuditEventType
from tokenward.domain.clients import Client
from tokenward.domain.oidc.backchannel import BackChannelLogout
from tokenward.domain.oidc.id_tokens import BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYPE
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import InvalidGrant, InvalidRequest
from tokenward_client.verification import VerificationPolicy, parse_unverified

BACKCHANNEL = "https://app.example/backchannel"


class RecordingSender:
    def __init__(self, *, answers: bool = True) -> None:
        self.sent: list[tuple[str, str]] = []
        self._answers = answers

    async def send(self, uri: str, logout_token: str) -> bool:
        self.sent.append((uri, logout_token))
        return self._answers


async def _listening(world: World, sender: RecordingSender) -> Provider:
    on = provider_on(world)
    listener = BackChannelLogout(
        clients=on.clients,
        sessions=world.session_store,
        id_tokens=on.id_tokens,
        sender=sender,
        audit=world.audit,
    )
    world.sessions.on_sessions_ended(listener.sessions_ended)
    return on


async def _signed_in_at(world: World, on: Provider, client: Client) -> tuple[str, TokenPair]:
    user = await world.users.get_by_email("alice@example.com") or await world.new_user()
    verifier, challenge = pkce_pair()
    code = await code_for(world, on.provider, client, challenge, user.id)
    return user.id, await on.provider.redeem(client, code, REDIRECT, verifier, CONTEXT)


def _checked(on: Provider, token: str) -> dict[str, Any]:
    """The logout token's claims, once its signature checked out against the ring's key."""
    unverified = parse_unverified(
        token, VerificationPolicy(issuer=ISSUER, audiences=frozenset({"any"}), token_type=LOGOUT_TOKEN_TYPE)
    )
    key = on.ring.verification_key(unverified.kid)
    assert key is not None
    assert key.check_signature(unverified.signing_input, unverified.signature)
    return dict(unverified.payload)


async def test_a_browser_sign_out_tells_each_client_that_asked(world: World) -> None:
    sender = RecordingSender()
    on = await _listening(world, sender)
    told = await on.client(backchannel_logout_uri=BACKCHANNEL)
    silent = await on.client()
    user_id, _ = await _signed_in_at(world, on, told)
    await _signed_in_at(world, on, silent)

    ended = await world.sessions.end_browser_session(user_id, BROWSER_SESSION, CONTEXT)

    assert ended == 2
    [(uri, token)] = sender.sent
    assert uri == BACKCHANNEL
    header, _ = jwt_parts(token)
    assert header["typ"] == "logout+jwt"
    claims = _checked(on, token)
    assert {k: claims[k] for k in ("iss", "aud", "sub", "sid", "events")} == {
        "iss": ISSUER,
        "aud": told.id,
        "sub": user_id,
        "sid": BROWSER_SESSION,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    assert claims["exp"] - claims["iat"] == 120
    assert len(claims["jti"]) >= 16
    assert "nonce" not in claims
    [event] = await world.events(AuditEventType.BACKCHANNEL_LOGOUT)
    assert (event.outcome, event.details["client_id"]) == ("delivered", told.id)


async def test_every_way_a_clients_session_ends_tells_it(world: World) -> None:
    """Not only the browser's sign-out: a refresh token reused after its grace window ends the session too."""
    sender = RecordingSender()
    on = await _listening(world, sender)
    client = await on.client(backchannel_logout_uri=BACKCHANNEL)
    _, first = await _signed_in_at(world, on, client)
    await world.sessions.refresh(first.refresh_token, CONTEXT, client_id=client.id)
    world.clock.advance(60)

    with pytest.raises(InvalidGrant, match="Refresh token reuse detected"):
        await world.sessions.refresh(first.refresh_token, CONTEXT, client_id=client.id)

    assert len(sender.sent) == 1
    stored = await world.session_store.get(first.session_id)
    assert stored is not None
    assert stored.revoked_reason == RevokeReason.REFRESH_TOKEN_REUSE


async def test_a_client_that_does_not_answer_does_not_stop_the_sign_out(world: World) -> None:
    sender = RecordingSender(answers=False)
    on = await _listening(world, sender)
    client = await on.client(backchannel_logout_uri=BACKCHANNEL)
    user_id, tokens = await _signed_in_at(world, on, client)

    assert await world.sessions.end_browser_session(user_id, BROWSER_SESSION, CONTEXT) == 1

    stored = await world.session_store.get(tokens.session_id)
    assert stored is not None
    assert not stored.active
    [event] = await world.events(AuditEventType.BACKCHANNEL_LOGOUT)
    assert event.outcome == "failed"


@pytest.mark.threat("T-OIDC-14")
async def test_a_logout_token_is_not_an_id_token(world: World) -> None:
    """Attack: a logout token captured at a client is presented as an ID token (or the reverse); its type, the
    ``events`` claim and the missing ``nonce`` set it apart, and this server's hint reader refuses it."""
    sender = RecordingSender()
    on = await _listening(world, sender)
    client = await on.client(backchannel_logout_uri=BACKCHANNEL)
    user_id, tokens = await _signed_in_at(world, on, client)
    assert tokens.id_token is not None
    await world.sessions.end_browser_session(user_id, BROWSER_SESSION, CONTEXT)
    [(_, logout_token)] = sender.sent

    with pytest.raises(InvalidRequest, match="id_token_hint is not an ID token of this server"):
        on.id_tokens.read_hint(logout_token)
    assert jwt_parts(tokens.id_token)[0]["typ"] == "JWT"
    assert "events" not in jwt_parts(tokens.id_token)[1]
