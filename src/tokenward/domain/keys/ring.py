"""The key ring: which key signs, which keys verify, and the JWKS to publish; and each process's copy of it.

``KeyRing`` is a snapshot built from storage. ``KeyRingHolder`` is a process's view of the ring: reloaded
periodically (bounded staleness) and, rate-limited, when a token names a kid it does not know yet. How keys
come and go is ``rotation.py``; the key objects and the published JWK are ``jwk.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from joserfc.jws import JWSRegistry

from tokenward.domain.clock import Clock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.jwk import SigningKey, as_jose_key, public_jwk, published_key
from tokenward.domain.keys.model import PUBLISHED_STATES, KeyState, StoredKey
from tokenward.errors import KeyUnavailable
from tokenward_client.keys import VerificationKey


def signing_order(key: StoredKey) -> tuple[datetime, str]:
    """Of several ACTIVE keys, the greatest signs: newest ``activated_at``, then the greater ``kid``."""
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
        published = {key.kid: published_key(key) for key in self._published}
        self._verification = {kid: verification for kid, (verification, _) in published.items()}
        self._public_keys = {kid: jose_key for kid, (_, jose_key) in published.items()}
        active = [key for key in keys if key.state is KeyState.ACTIVE]
        self._active = max(active, key=signing_order) if active else None
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
        key = as_jose_key(private)
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


class KeyRingSource(Protocol):
    """Where a fresh ring comes from: ``KeyService.load``.

    Not a port (the domain implements it); a protocol so that the ring does not depend on the rotation code.
    """

    async def load(self, previous: KeyRing | None = None) -> KeyRing: ...


class KeyRingHolder:
    """This process's key ring: replaced by ``reload`` (periodically) and, rate-limited, on an unknown kid.

    An unknown kid may be a key another process has just activated (``tokenward keys rotate``), so it triggers
    a reload, at most once per ``min_unknown_kid_interval``: a flood of made-up kids costs at most one
    database read per interval.
    """

    def __init__(
        self,
        service: KeyRingSource,
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
