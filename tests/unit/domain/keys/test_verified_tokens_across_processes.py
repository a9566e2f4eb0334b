"""The server's verified-token cache against key changes made by another process (same key storage).

Process B has verified (and cached) a token; process A revokes or rotates the signing key. B's key-ring reload
is the signal: the next token B verifies finds a different key set, the cache is emptied, and a revoked key's
token is refused on that very request.
"""

from __future__ import annotations

import os

import pytest

from tests.fakes import FakeAuditRepository, FakeKeyRepository
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.ring import KeyRingHolder
from tokenward.domain.keys.rotation import KeyService
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
)
from tokenward.errors import InvalidToken

ISSUER = "https://auth.example.test"
AUDIENCE = "api.example.test"


class Process:
    """One server process: its own key ring (reloaded from the shared storage), issuer and verifier."""

    def __init__(self, repository: FakeKeyRepository, encryptor: KeyEncryptor, clock: FrozenClock) -> None:
        self.clock = clock
        audit = AuditTrail([FakeAuditRepository()], clock)
        self.keys = KeyService(repository, encryptor, clock, audit, "ES256")

    async def start(self) -> Process:
        self.holder = KeyRingHolder(self.keys, await self.keys.ensure_active_key(), self.clock)
        self.issuer = AccessTokenIssuer(
            lambda: self.holder.ring, AccessTokenSettings(ISSUER, (AUDIENCE,), 600), self.clock
        )
        self.verifier = AccessTokenVerifier(
            lambda kid: self.holder.ring.verification_key(kid),
            VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE})),
            self.clock,
        )
        return self

    def token(self) -> str:
        return self.issuer.issue(
            subject="user", session_id="session", scope="openid", amr=("pwd",), auth_time=self.clock.now()
        ).token


async def _two_processes() -> tuple[Process, Process]:
    repository, encryptor, clock = FakeKeyRepository(), KeyEncryptor(os.urandom(32)), FrozenClock()
    first = await Process(repository, encryptor, clock).start()
    return first, await Process(repository, encryptor, clock).start()


async def test_a_key_revoked_by_another_process_stops_its_cached_tokens_on_the_next_request() -> None:
    a, b = await _two_processes()
    token = a.token()
    b.verifier.verify(token)
    b.verifier.verify(token)
    assert len(b.verifier.cache) == 1
    kid = a.holder.ring.active_kid
    assert kid is not None
    await a.keys.revoke(kid)
    await b.holder.reload()
    with pytest.raises(InvalidToken) as refused:
        b.verifier.verify(token)
    assert refused.value.reason == "unknown_kid"
    assert len(b.verifier.cache) == 0


async def test_a_rotation_by_another_process_empties_the_cache_and_old_tokens_still_verify() -> None:
    a, b = await _two_processes()
    old_tokens = [a.token() for _ in range(3)]
    for token in old_tokens:
        b.verifier.verify(token)
    assert len(b.verifier.cache) == 3
    await a.keys.rotate()
    await b.holder.reload()
    claims = b.verifier.verify(
        old_tokens[0]
    )  # the retired key stays published: still valid, verified in full
    assert claims.subject == "user"
    assert len(b.verifier.cache) == 1  # everything cached under the old ring went
