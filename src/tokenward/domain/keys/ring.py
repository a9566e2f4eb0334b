"""Signing keys in use: generation, the key ring built from storage, and the service that keeps one active.

One key signs with exactly one algorithm, fixed at generation and written into its public JWK; everything that
verifies takes the algorithm from the key, never from a token header (RFC 8725 §3.1). ``kid`` is the RFC 7638
thumbprint of the public key, so it names the key material itself and can be recomputed to detect a mix-up.

Two processes starting at once against an empty database may each create an ACTIVE key. That is harmless: both
keys are published, every process picks the same one to sign with (newest ``activated_at``, then the greater
``kid``), and rotation (coordinated through the database) retires the other. Keeping the race benign here is
simpler than a lock around first start.

Rotation (DESIGN.md §5, docs/security/token-lifecycle.md): a key goes NEXT (published, not signing) -> ACTIVE
(signs) -> RETIRED (published until every token it signed has expired) -> removed. ``KeyService.scheduled_step``
runs every minute in every process; a lease makes one process do each round, and every transition is a
conditional update, so even without the lease two processes cannot both promote or both retire a key.
``KeyRingHolder`` is a process's view of the ring: reloaded periodically (bounded staleness) and, rate-limited,
when a token names a kid it does not know yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.model import (
    PUBLISHED_STATES,
    SUPPORTED_ALGORITHMS,
    KeyRepository,
    KeyState,
    StoredKey,
)
from tokenward.domain.leases import Leases
from tokenward.errors import KeyUnavailable, NotFound
from tokenward_client.keys import PRIVATE_JWK_MEMBERS, VerificationKey, verification_key_from_jwk

#: a JOSE key object able to sign (private) or verify (public) with one of the supported algorithms
AsymmetricKey = ECKey | OKPKey | RSAKey

RSA_KEY_BITS = 3072


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The private key that signs new tokens, with the one algorithm it signs with."""

    kid: str
    alg: str
    key: AsymmetricKey

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r}, alg={self.alg!r})"


def _check_algorithm(alg: str) -> None:
    if alg not in SUPPORTED_ALGORITHMS:
        raise ValueError(
            f"unsupported signing algorithm {alg!r}; choose one of {', '.join(SUPPORTED_ALGORITHMS)}"
        )


def _generate_private_key(
    alg: str,
) -> ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)


def _as_jose_key(key: object) -> AsymmetricKey:
    """Wrap a ``cryptography`` key object as a joserfc key."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ECKey.import_key(key)
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return OKPKey.import_key(key)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSAKey.import_key(key)
    raise ValueError("not a supported asymmetric key")


def _published_key(stored: StoredKey) -> tuple[VerificationKey, AsymmetricKey]:
    """A stored key's public half, checked by the same rules as a key fetched from a JWKS, and as a joserfc key
    (the JWKS is re-derived from it)."""
    checked = verification_key_from_jwk(stored.public_jwk, algorithms=(stored.alg,))
    jose_key = _as_jose_key(checked.key)
    return VerificationKey(kid=checked.kid, alg=checked.alg, key=jose_key), jose_key


def public_jwk(key: AsymmetricKey, *, kid: str, alg: str) -> dict[str, str]:
    """The JWK to publish: re-derived from the key, so only public members can ever appear (T-KEY-02)."""
    members = {name: str(value) for name, value in key.as_dict(private=False).items()}
    leaked = PRIVATE_JWK_MEMBERS & members.keys()
    if leaked:  # pragma: no cover - as_dict(private=False) never returns them; this guards a library change
        raise ValueError("refusing to publish a JWK with private members")
    return {**members, "kid": kid, "alg": alg, "use": "sig"}


def generate_key(alg: str, encryptor: KeyEncryptor, now: datetime, state: KeyState) -> StoredKey:
    """Generate a key pair for ``alg``; the private half leaves this function only encrypted."""
    _check_algorithm(alg)
    private = _generate_private_key(alg)
    jose_public = _as_jose_key(private.public_key())
    kid = jose_public.thumbprint()
    der = private.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return StoredKey(
        kid=kid,
        alg=alg,
        state=state,
        public_jwk=public_jwk(jose_public, kid=kid, alg=alg),
        encrypted_private_key=encryptor.encrypt(der, kid),
        created_at=now,
        activated_at=now if state is KeyState.ACTIVE else None,
    )


def _signing_order(key: StoredKey) -> tuple[datetime, str]:
    return (key.activated_at or datetime.min.replace(tzinfo=UTC), key.kid)


class KeyRing:
    """A snapshot of the keys: the one that signs, the ones that verify, and the JWKS to publish.

    Built from storage; REVOKED keys are neither published nor accepted, so revoking a key (and reloading the
    ring) makes every token it signed fail at once.
    """

    def __init__(
        self, keys: Sequence[StoredKey], encryptor: KeyEncryptor, *, previous: KeyRing | None = None
    ) -> None:
        """``previous``: the ring this one replaces; its decrypted signing key is kept if it still signs."""
        self._encryptor = encryptor
        self._published = [key for key in keys if key.state in PUBLISHED_STATES]
        published = {key.kid: _published_key(key) for key in self._published}
        self._verification = {kid: verification for kid, (verification, _) in published.items()}
        self._public_keys = {kid: jose_key for kid, (_, jose_key) in published.items()}
        active = [key for key in keys if key.state is KeyState.ACTIVE]
        self._active = max(active, key=_signing_order) if active else None
        self._signing: SigningKey | None = None
        if previous is not None and self._active is not None:
            kept = previous._signing
            if kept is not None and kept.kid == self._active.kid:
                self._signing = kept

    @property
    def kids(self) -> tuple[str, ...]:
        """The kids of the published keys."""
        return tuple(self._verification)

    @property
    def active_kid(self) -> str | None:
        return self._active.kid if self._active is not None else None

    @property
    def signing_key(self) -> SigningKey:
        """The ACTIVE key, decrypted on first use and kept; ``KeyUnavailable`` when there is none."""
        if self._signing is None:
            if self._active is None:
                raise KeyUnavailable("no active signing key")
            self._signing = self._decrypt(self._active)
        return self._signing

    def _decrypt(self, stored: StoredKey) -> SigningKey:
        der = self._encryptor.decrypt(stored.encrypted_private_key, stored.kid)
        private = serialization.load_der_private_key(der, password=None)
        key = _as_jose_key(private)
        # the kid is the public key's thumbprint: recomputing it proves this private key is the published one
        if key.thumbprint() != stored.kid:
            raise KeyUnavailable("stored private key does not match its kid")
        JWSRegistry.algorithms[stored.alg].check_key(key)
        return SigningKey(kid=stored.kid, alg=stored.alg, key=key)

    def verification_key(self, kid: str) -> VerificationKey | None:
        """The published key named ``kid``; ``None`` for unknown or revoked keys."""
        return self._verification.get(kid)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document: public JWKs of the NEXT, ACTIVE and RETIRED keys."""
        return {
            "keys": [
                public_jwk(self._public_keys[key.kid], kid=key.kid, alg=key.alg) for key in self._published
            ]
        }


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
        _check_algorithm(algorithm)
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
        actives = sorted((k for k in keys if k.state is KeyState.ACTIVE), key=_signing_order)
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


class KeyRingHolder:
    """This process's key ring: replaced by ``reload`` (periodically) and, rate-limited, on an unknown kid.

    An unknown kid may be a key another process has just activated (``tokenward keys rotate``), so it triggers
    a reload, at most once per ``min_unknown_kid_interval``: a flood of made-up kids costs at most one
    database read per interval.
    """

    def __init__(
        self,
        service: KeyService,
        ring: KeyRing,
        clock: Clock,
        *,
        min_unknown_kid_interval: timedelta = timedelta(seconds=5),
    ) -> None:
        self._service = service
        self._ring = ring
        self._clock = clock
        self._min_interval = min_unknown_kid_interval
        self._last_unknown_kid_reload: datetime | None = None

    @property
    def ring(self) -> KeyRing:
        return self._ring

    async def reload(self) -> KeyRing:
        self._ring = await self._service.load(previous=self._ring)
        return self._ring

    async def learn(self, kid: str) -> bool:
        """Whether ``kid`` is a published key, reloading once (rate-limited) if it is not known yet."""
        if self._ring.verification_key(kid) is not None:
            return True
        now = self._clock.now()
        last = self._last_unknown_kid_reload
        if last is not None and now - last < self._min_interval:
            return False
        self._last_unknown_kid_reload = now
        await self.reload()
        return self._ring.verification_key(kid) is not None
