"""Rotation: the service that keeps one key active, turns keys over on schedule or on demand, and revokes.

A key goes NEXT (published, not signing) -> ACTIVE (signs) -> RETIRED (published until every token it signed
has expired) -> removed; docs/security/token-lifecycle.md has the timeline. ``KeyService.scheduled_step`` runs
every minute in every process; a lease makes one process do each round, and every transition is a conditional
update, so even without the lease two processes cannot both promote or both retire a key.

Two processes starting at once against an empty database may each create an ACTIVE key. That is harmless: both
keys are published, every process picks the same one to sign with (newest ``activated_at``, then the greater
``kid``), and rotation (coordinated through the database) retires the other. Keeping the race benign here is
simpler than a lock around first start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.generation import check_algorithm, generate_key
from tokenward.domain.keys.model import KeyState, StoredKey
from tokenward.domain.keys.ports import KeyRepository
from tokenward.domain.keys.ring import KeyRing, signing_order
from tokenward.domain.leases import Leases
from tokenward.errors import NotFound

ROTATION_LEASE = "key-rotation"
#: longer than a rotation step takes; a holder that dies frees the lease after this
ROTATION_LEASE_DURATION = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    """When keys turn over; see docs/security/token-lifecycle.md for the timeline."""

    #: how long a key signs before the next one takes over
    interval: timedelta = timedelta(days=30)
    #: how long a NEXT key is published before it signs: at least the JWKS cache lifetime plus the key-ring
    #: reload interval, so every resource server and every process knows it before its first token
    publish_ahead: timedelta = timedelta(hours=24)
    #: how long a RETIRED key stays published: the longest access-token lifetime + leeway + JWKS cache lifetime
    retain_retired: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if min(self.interval, self.publish_ahead, self.retain_retired) <= timedelta(0):
            raise ValueError("rotation interval, publish-ahead and retention must be positive")
        if self.publish_ahead >= self.interval:
            raise ValueError("the publish-ahead time must be shorter than the rotation interval")


class KeyService:
    """Keeps one key active and turns keys over: scheduled rotation, on-demand rotation, revocation, rewrap."""

    def __init__(
        self,
        repository: KeyRepository,
        encryptor: KeyEncryptor,
        clock: Clock,
        audit: AuditTrail,
        algorithm: str,
        *,
        policy: RotationPolicy | None = None,
        leases: Leases | None = None,
    ) -> None:
        check_algorithm(algorithm)
        self._repository = repository
        self._encryptor = encryptor
        self._clock = clock
        self._audit = audit
        self._algorithm = algorithm
        self.policy = policy or RotationPolicy()
        self._leases = leases

    async def list_keys(self) -> list[StoredKey]:
        return await self._repository.list_keys()

    async def load(self, previous: KeyRing | None = None) -> KeyRing:
        return KeyRing(await self._repository.list_keys(), self._encryptor, previous=previous)

    async def ensure_active_key(self) -> KeyRing:
        """Create and activate a key when none is ACTIVE (first start), and return the ring.

        A concurrent first start in another process may add a second ACTIVE key; see the module docstring for
        why that is harmless.
        """
        keys = await self._repository.list_keys()
        if any(key.state is KeyState.ACTIVE for key in keys):
            return KeyRing(keys, self._encryptor)
        await self._new_key(KeyState.ACTIVE, reason="first_start")
        return await self.load()

    async def scheduled_step(self) -> list[str]:
        """One round of scheduled rotation; returns what it did (``"created next <kid>"`` ...), for logs and tests.

        Run every minute or so by every process: the lease lets one of them do the round, the others skip it.
        """
        if self._leases is None:
            return await self._step()
        async with self._leases.hold(ROTATION_LEASE, ROTATION_LEASE_DURATION) as acquired:
            return await self._step() if acquired else []

    async def _step(self) -> list[str]:
        now = self._clock.now()
        keys = await self._repository.list_keys()
        done: list[str] = []
        actives = sorted((k for k in keys if k.state is KeyState.ACTIVE), key=signing_order)
        for extra in actives[:-1]:  # a crash between promote and retire, or two first starts
            if await self._transition(extra, KeyState.RETIRED, KeyState.ACTIVE, now, "scheduled"):
                done.append(f"retired {extra.kid}")
        pending = [k for k in keys if k.state is KeyState.NEXT]
        if actives:
            current = actives[-1]
            due = (current.activated_at or current.created_at) + self.policy.interval
            if not pending and now >= due - self.policy.publish_ahead:
                key = await self._new_key(KeyState.NEXT, reason="scheduled")
                done.append(f"created next {key.kid}")
            ready = [k for k in pending[:1] if now >= max(due, k.created_at + self.policy.publish_ahead)]
            for candidate in ready:
                if await self._transition(candidate, KeyState.ACTIVE, KeyState.NEXT, now, "scheduled"):
                    done.append(f"activated {candidate.kid}")
                    if await self._transition(current, KeyState.RETIRED, KeyState.ACTIVE, now, "scheduled"):
                        done.append(f"retired {current.kid}")
        for key in keys:
            expired = key.retired_at is not None and now >= key.retired_at + self.policy.retain_retired
            if key.state is KeyState.RETIRED and expired and await self._repository.delete(key.kid):
                await self._audit.record(
                    AuditEventType.KEY_REMOVED, kid=key.kid, alg=key.alg, reason="retention_ended"
                )
                done.append(f"removed {key.kid}")
        return done

    async def rotate(self) -> StoredKey:
        """Rotate now: the NEXT key (already published) or a new key signs from now on; the old one retires.

        Immediate on purpose: an operator who rotates by hand wants the change now. The retired key stays
        published, so tokens it signed keep verifying; resource servers learn the new kid from the JWKS on
        its first token (unknown kids trigger one refetch), and other processes on their next reload or on
        the first token naming it.
        """
        now = self._clock.now()
        keys = await self._repository.list_keys()
        pending = [k for k in keys if k.state is KeyState.NEXT]
        if pending and await self._transition(pending[0], KeyState.ACTIVE, KeyState.NEXT, now, "rotate"):
            new_kid = pending[0].kid
        else:
            new_kid = (await self._new_key(KeyState.ACTIVE, reason="rotate")).kid
        for key in keys:
            if key.state is KeyState.ACTIVE and key.kid != new_kid:
                await self._transition(key, KeyState.RETIRED, KeyState.ACTIVE, now, "rotate")
        return next(k for k in await self._repository.list_keys() if k.kid == new_kid)

    async def revoke(self, kid: str) -> StoredKey | None:
        """Withdraw a key at once (compromise): unpublished, and tokens it signed stop verifying on every
        process's next key-ring reload. If it was the signing key, the waiting NEXT key is withdrawn with it
        (it may have leaked the same way) and a fresh key takes over at once and is returned."""
        keys = await self._repository.list_keys()
        key = next((k for k in keys if k.kid == kid), None)
        if key is None:
            raise NotFound("No signing key with that kid")
        if key.state is KeyState.REVOKED:
            return None
        now = self._clock.now()
        await self._repository.set_state(kid, KeyState.REVOKED, now)
        await self._audit.record(
            AuditEventType.KEY_REVOKED,
            kid=key.kid,
            alg=key.alg,
            reason="operator",
            previous_state=key.state.value,
        )
        if any(k.state is KeyState.ACTIVE and k.kid != kid for k in keys):
            return None
        for waiting in (k for k in keys if k.state is KeyState.NEXT):
            if await self._repository.set_state(waiting.kid, KeyState.REVOKED, now, expected=KeyState.NEXT):
                await self._audit.record(
                    AuditEventType.KEY_REVOKED,
                    kid=waiting.kid,
                    alg=waiting.alg,
                    reason="revoked_with_active",
                    previous_state="next",
                )
        return await self._new_key(KeyState.ACTIVE, reason="replaces_revoked")

    async def rewrapped_keys(self, new_encryptor: KeyEncryptor) -> dict[str, bytes]:
        """Every private key re-encrypted under a new key-encryption key, not yet stored.

        Decrypts every usable key first, so one that does not decrypt under the current KEK stops the
        rotation before anything is written (``KeyDecryptionError``). A revoked key is never used again: its
        private half is erased instead of carried over.
        """
        return {
            k.kid: b""
            if k.state is KeyState.REVOKED
            else self._encryptor.rewrap(k.encrypted_private_key, k.kid, new_encryptor)
            for k in await self._repository.list_keys()
        }

    async def store_rewrapped_keys(self, sealed: dict[str, bytes]) -> None:
        await self._repository.replace_encrypted_private_keys(sealed)

    async def _new_key(self, state: KeyState, *, reason: str) -> StoredKey:
        key = generate_key(self._algorithm, self._encryptor, self._clock.now(), state)
        await self._repository.add(key)
        await self._audit.record(
            AuditEventType.KEY_CREATED, kid=key.kid, alg=key.alg, reason=reason, state=state.value
        )
        return key

    async def _transition(
        self, key: StoredKey, state: KeyState, expected: KeyState, now: datetime, reason: str
    ) -> bool:
        if not await self._repository.set_state(key.kid, state, now, expected=expected):
            return False  # another process made this transition first
        event = AuditEventType.KEY_ACTIVATED if state is KeyState.ACTIVE else AuditEventType.KEY_RETIRED
        await self._audit.record(event, kid=key.kid, alg=key.alg, reason=reason)
        return True
