"""The refresh fast path (``rotate_current``: check and rotate in one transaction) against the path it replaced.

``ReferenceSessionService.refresh`` is the previous implementation, kept here as the specification: read the
token and its session, apply the rules in Python, read the user, then rotate with the conditional UPDATE of
``rotate``. The same sequence (rotation chains, reuse inside and after the grace window, a disabled user, an
ended session, idle and absolute expiry, unknown and malformed tokens) is played through both on the same
backend (fakes, SQLite, PostgreSQL) with the same frozen times and deterministic ids and tokens; the answers,
the stored sessions, refresh tokens and audit events, and the deny-list must be the same.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.contract import records
from tests.contract.conftest import Stores
from tests.fakes import FakeDenyList
from tokenward.adapters.sql import Database, SqlSessionRepository, SqlUserRepository
from tokenward.adapters.sql.tables import refresh_tokens
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.context import RequestContext
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.model import KeyState
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.sessions import refresh_tokens as refresh_tokens_module
from tokenward.domain.sessions import service as service_module
from tokenward.domain.sessions.denylist import DenyPolicy, Revocations
from tokenward.domain.sessions.model import RevokeReason, Rotation, RotationTerms
from tokenward.domain.sessions.refresh_tokens import hash_refresh_token, looks_like_refresh_token
from tokenward.domain.sessions.service import SessionService, SessionSettings, TokenPair
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
)
from tokenward.errors import InvalidGrant

CONTEXT = RequestContext(ip="203.0.113.7", user_agent="Mozilla/5.0 (equivalence test)")
SETTINGS = SessionSettings(
    idle_ttl=timedelta(days=14),
    absolute_ttl=timedelta(days=30),
    reuse_grace=timedelta(seconds=10),
    default_scope="openid profile",
)
CONCURRENT_REFRESHES = 50


class ReferenceSessionService(SessionService):
    """The refresh of before the fast path, line for line: the specification the fast path must match."""

    async def refresh(
        self, refresh_token: str, context: RequestContext, *, client_id: str | None = None
    ) -> TokenPair:
        if not looks_like_refresh_token(refresh_token):
            raise InvalidGrant("The refresh token is invalid")
        now = self._clock.now()
        old_hash = hash_refresh_token(refresh_token)
        found = await self._sessions.find_refresh_token_and_session(old_hash)
        if found is None:
            raise InvalidGrant("The refresh token is invalid")
        record, session = found
        if record.revoked_at is not None or not session.active:
            raise InvalidGrant("The refresh token is invalid")
        if session.client_id != client_id:
            raise InvalidGrant("The refresh token was not issued to this client")
        if record.rotated_at is not None:
            raise await self._rotated_token_presented(record, session, context)
        if self._expired(record, session):
            raise InvalidGrant("The session has expired; sign in again")
        user = await self._users.get(session.user_id)
        if user is None or user.disabled:
            await self._revoke(session.id, RevokeReason.USER_DISABLED)
            raise InvalidGrant("The refresh token is invalid")
        successor_token = refresh_tokens_module.new_refresh_token()
        pair = self._token_pair(session, successor_token)
        if not await self._sessions.rotate(old_hash, self._refresh_record(successor_token, session), now):
            raise InvalidGrant("The refresh token was already used; use the newest refresh token")
        return pair


def _service(cls: type[SessionService], stores: Stores, clock: FrozenClock) -> SessionService:
    encryptor = KeyEncryptor(b"k" * 32)
    ring = KeyRing([generate_key("ES256", encryptor, clock.now(), KeyState.ACTIVE)], encryptor)
    return cls(
        sessions=stores.sessions,
        users=stores.users,
        issuer=AccessTokenIssuer(lambda: ring, AccessTokenSettings("https://issuer.test", ("api",)), clock),
        verifier=AccessTokenVerifier(
            ring.verification_key,
            VerificationPolicy(issuer="https://issuer.test", audiences=frozenset({"api"})),
            clock,
        ),
        audit=AuditTrail([stores.audit], clock),
        clock=clock,
        settings=SETTINGS,
        revocations=Revocations(
            FakeDenyList(clock),
            DenyPolicy(access_token_lifetime=timedelta(seconds=600), leeway=timedelta(seconds=30)),
            clock,
        ),
    )


class Run:
    """One play of the sequence: its deterministic ids and tokens, its outcomes, and what it stored."""

    def __init__(self, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        assert len(name) == 7
        self.name = name
        self.tokens: list[str] = []
        #: the tokens given to the client, in order: the fast path also makes one for a refused refresh
        self.handed: list[str] = []
        self.outcomes: list[object] = []
        counter = iter(range(1, 10_000))
        monkeypatch.setattr(service_module, "uuid4", lambda: f"{name}-{next(counter)}")
        monkeypatch.setattr(service_module, "new_refresh_token", self._new_token)
        monkeypatch.setattr(refresh_tokens_module, "new_refresh_token", self._new_token)

    def _new_token(self) -> str:
        token = f"twr_{self.name}{len(self.tokens) + 1:036d}"
        self.tokens.append(token)
        return token

    async def refresh(self, service: SessionService, token: str) -> str:
        try:
            pair = await service.refresh(token, CONTEXT)
        except InvalidGrant as refused:
            self.outcomes.append(("refused", refused.detail))
            return token
        claims = json.loads(base64.urlsafe_b64decode(pair.access_token.split(".")[1] + "=="))
        del claims["jti"]
        self.handed.append(pair.refresh_token)
        answer = (pair.refresh_token, pair.scope, pair.session_id, pair.expires_in, pair.refresh_expires_in)
        self.outcomes.append(("pair", answer, claims))
        return pair.refresh_token

    def normal(self, value: object) -> str:
        """``value`` with this run's ids, tokens and token hashes replaced by run-independent labels."""
        text = repr(value)
        for number, token in enumerate(self.handed, start=1):
            text = text.replace(hash_refresh_token(token), f"hash-{number}").replace(token, f"token-{number}")
        return text.replace(self.name, "RUN")

    async def start(self, service: SessionService, user: User, amr: tuple[str, ...]) -> TokenPair:
        pair = await service.start(user, amr=amr, context=CONTEXT)
        self.handed.append(pair.refresh_token)
        return pair


async def _play(run: Run, service: SessionService, stores: Stores, clock: FrozenClock) -> None:
    now = clock.now()
    user = User(
        id=f"{run.name}-user",
        email=f"{run.name}@example.com",
        password_hash=None,
        created_at=now,
        updated_at=now,
    )
    await stores.users.add(user)
    # a chain of rotations, the first token again inside the grace window, then after it (reuse)
    first = (await run.start(service, user, ("pwd",))).refresh_token
    second = await run.refresh(service, first)
    clock.advance(5)
    await run.refresh(service, first)
    third = await run.refresh(service, second)
    clock.advance(30)
    await run.refresh(service, first)
    await run.refresh(service, third)
    # a disabled user, twice (the first refusal ends the session), then enabled again
    disabled = (await run.start(service, user, ("pwd",))).refresh_token
    await stores.users.update(replace(user, disabled=True))
    await run.refresh(service, disabled)
    await run.refresh(service, disabled)
    await stores.users.update(user)
    # an ended session
    ended = await run.start(service, user, ("pwd", "otp"))
    await service._revoke(ended.session_id, RevokeReason.LOGOUT)
    await run.refresh(service, ended.refresh_token)
    # idle expiry: unused for longer than the idle lifetime
    idle = (await run.start(service, user, ("pwd",))).refresh_token
    on_the_edge = (await run.start(service, user, ("pwd",))).refresh_token
    clock.advance(SETTINGS.idle_ttl.total_seconds() - 1)
    on_the_edge = await run.refresh(service, on_the_edge)
    clock.advance(SETTINGS.idle_ttl.total_seconds())  # exactly the idle lifetime since the last use
    await run.refresh(service, on_the_edge)
    await run.refresh(service, idle)
    # absolute expiry: refreshed every 10 days; the successor's expiry is capped by the session's end
    token = (await run.start(service, user, ("pwd",))).refresh_token
    for _ in range(4):
        clock.advance(timedelta(days=10).total_seconds())
        token = await run.refresh(service, token)
    # unknown, malformed
    await run.refresh(service, "twr_" + "A" * 43)
    await run.refresh(service, "not a refresh token")


async def _stored(run: Run, stores: Stores) -> list[str]:
    user_id = f"{run.name}-user"
    sessions = sorted(await stores.sessions.list_for_user(user_id, active_only=False), key=lambda s: s.id)
    tokens = [await stores.sessions.find_refresh_token(hash_refresh_token(t)) for t in run.handed]
    for never_handed_out in set(run.tokens) - set(run.handed):
        assert await stores.sessions.find_refresh_token(hash_refresh_token(never_handed_out)) is None
    events = await stores.audit.list_events(user_id=user_id, limit=1000)
    return [run.normal(sessions), run.normal(tokens), run.normal(events)]


async def _deny_list(run: Run, service: SessionService) -> str:
    deny_list: Any = service._revocations._deny_list
    return run.normal(sorted(deny_list._until.items()))


async def test_fast_path_answers_and_stores_exactly_what_the_reference_did(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = []
    for name, cls in (("refpath", ReferenceSessionService), ("newpath", SessionService)):
        clock = FrozenClock()
        run = Run(name, monkeypatch)
        service = _service(cls, stores, clock)
        await _play(run, service, stores, clock)
        results.append((run.normal(run.outcomes), await _stored(run, stores), await _deny_list(run, service)))
    reference, fast = results
    assert fast[0] == reference[0]
    assert fast[1] == reference[1]
    assert fast[2] == reference[2]
    # the sequence did reach every branch: rotations, both refusals of a rotated token, the other refusals
    outcomes = reference[0]
    for expected in (
        "'pair'",
        "already used",
        "reuse detected",
        "The refresh token is invalid",
        "has expired",
    ):
        assert expected in outcomes


async def test_concurrent_refreshes_of_one_token_give_exactly_one_successor(
    stores: Stores, clock: FrozenClock
) -> None:
    service = _service(SessionService, stores, clock)
    now = clock.now()
    user = User(id="racer", email="racer@example.com", password_hash=None, created_at=now, updated_at=now)
    await stores.users.add(user)
    pair = await service.start(user, amr=("pwd",), context=CONTEXT)
    clock.advance(1)

    async def attempt() -> TokenPair | InvalidGrant:
        try:
            return await service.refresh(pair.refresh_token, CONTEXT)
        except InvalidGrant as refused:
            return refused

    results = await asyncio.gather(*(attempt() for _ in range(CONCURRENT_REFRESHES)))
    winners = [r for r in results if isinstance(r, TokenPair)]
    losers = [r for r in results if isinstance(r, InvalidGrant)]
    assert len(winners) == 1
    assert {r.detail for r in losers} == {"The refresh token was already used; use the newest refresh token"}
    old = await stores.sessions.find_refresh_token(hash_refresh_token(pair.refresh_token))
    successor = await stores.sessions.find_refresh_token(hash_refresh_token(winners[0].refresh_token))
    assert old is not None
    assert old.rotated_at == clock.now()
    assert successor is not None
    assert successor.rotated_at is None
    session = await stores.sessions.get(pair.session_id)
    assert session is not None
    assert session.active
    assert session.last_used_at == clock.now()
    # the winner's successor works; nobody else's does (there is no other)
    again = await service.refresh(winners[0].refresh_token, CONTEXT)
    assert again.session_id == pair.session_id
    assert hashlib.sha256(again.refresh_token.encode()).hexdigest() != successor.token_hash


async def test_concurrent_rotations_in_the_database_store_one_successor(
    db: Database, clock: FrozenClock
) -> None:
    """The statement itself: 50 transactions rotating one token at once leave exactly two rows in its family."""
    users, sessions = SqlUserRepository(db), SqlSessionRepository(db)
    user = records.user(clock.now())
    await users.add(user)
    session = records.session(user.id, clock.now())
    first = records.refresh_token(session, clock.now())
    await sessions.create(session, first)
    clock.advance(1)
    now = clock.now()
    terms = RotationTerms(now=now, idle_before=now - SETTINGS.idle_ttl, idle_end=now + SETTINGS.idle_ttl)

    async def attempt() -> Rotation | None:
        async with sessions.rotate_current(first.token_hash, records.token_hash(), terms) as rotation:
            await asyncio.sleep(0)  # hold the transaction open across a switch to the other callers
            return rotation

    rotations = await asyncio.gather(*(attempt() for _ in range(CONCURRENT_REFRESHES)))
    won = [r for r in rotations if r is not None]
    assert len(won) == 1
    async with db.read() as conn:
        family = select(func.count()).where(refresh_tokens.c.family_id == session.family_id)
        assert (await conn.execute(family)).scalar_one() == 2
    stored = await sessions.find_refresh_token(won[0].successor.token_hash)
    assert stored == won[0].successor
