"""The key-encryption key (KEK) and the signing-key ring it opens.

``load_kek`` reads the KEK from the settings (or, in development only, generates one into the data folder);
``open_key_ring`` makes sure an active signing key exists and decrypts it at once, so a wrong KEK stops start-up
with one clear line instead of failing every sign-in later.
"""

from __future__ import annotations

import base64
import os
import secrets

from tokenward.adapters.logging import get_logger
from tokenward.adapters.sql import SqlKeyRepository
from tokenward.bootstrap.policies import rotation_policy
from tokenward.config import Settings, decode_kek
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.keys.ring import KeyRing, KeyRingHolder
from tokenward.domain.keys.rotation import KeyService
from tokenward.domain.leases import Leases
from tokenward.errors import ConfigurationError

_log = get_logger("tokenward.bootstrap")


def load_kek(settings: Settings) -> bytes:
    """The key-encryption key: configured, or in development a generated one kept in the data folder."""
    if settings.kek is not None:
        try:
            return decode_kek(settings.kek.get_secret_value())
        except ValueError as exc:
            raise ConfigurationError([str(exc)]) from exc
    if settings.is_production:
        raise ConfigurationError(["TOKENWARD_KEK (or TOKENWARD_KEK_FILE) must be set in production"])
    path = settings.dev_kek_path
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)))
    _log.warning(
        "development_key_encryption_key",
        path=str(path),
        message="Signing keys are encrypted under a generated development key stored next to the database. "
        "Set TOKENWARD_KEK (32 random bytes, base64) and TOKENWARD_MODE=production for any real use.",
    )
    return decode_kek(path.read_text(encoding="ascii"))


async def open_key_ring(
    settings: Settings,
    *,
    repository: SqlKeyRepository,
    encryptor: KeyEncryptor,
    leases: Leases,
    audit: AuditTrail,
    clock: Clock,
) -> tuple[KeyService, KeyRingHolder]:
    """The key service and this process's ring, with an active signing key this KEK has just decrypted."""
    keys = KeyService(
        repository=repository,
        encryptor=encryptor,
        clock=clock,
        audit=audit,
        algorithm=settings.signing_algorithm,
        policy=rotation_policy(settings),
        leases=leases,
    )
    ring = await keys.ensure_active_key()
    _refuse_a_wrong_kek(ring)
    return keys, KeyRingHolder(keys, ring, clock)


def _refuse_a_wrong_kek(ring: KeyRing) -> None:
    try:
        ring.signing_key  # noqa: B018 - decrypt now, so a wrong KEK stops start-up instead of sign-ins
    except KeyDecryptionError as exc:
        raise ConfigurationError(
            [
                "TOKENWARD_KEK cannot decrypt the stored signing keys: it is not the key they were encrypted under"
            ]
        ) from exc
