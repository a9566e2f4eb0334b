"""Key-encryption-key rotation: re-encrypt everything the KEK protects, or nothing.

The KEK protects the private signing keys, the TOTP secrets and the audit data keys. Both are decrypted and re-encrypted in
memory first; only when every one of them decrypted under the current KEK is anything written, so a wrong
current KEK (or one damaged row) stops the rotation with nothing changed. The two stores are then written one
after the other, each in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.audit.personal import PersonalDataVault
from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.keys.rotation import KeyService
from tokenward.domain.mfa import MfaService
from tokenward.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class RewrapReport:
    signing_keys: int
    totp_secrets: int
    audit_data_keys: int = 0


class KekRotation:
    def __init__(
        self, *, keys: KeyService, mfa: MfaService, vault: PersonalDataVault, audit: AuditTrail
    ) -> None:
        self._keys = keys
        self._mfa = mfa
        self._vault = vault
        self._audit = audit

    async def rewrap(self, new_encryptor: KeyEncryptor) -> RewrapReport:
        try:
            signing_keys = await self._keys.rewrapped_keys(new_encryptor)
            totp_secrets = await self._mfa.rewrapped_secrets(new_encryptor)
            data_keys = await self._vault.rewrapped_keys(new_encryptor)
        except KeyDecryptionError as exc:
            raise ConfigurationError(
                ["the current TOKENWARD_KEK cannot decrypt every stored secret; nothing was changed"]
            ) from exc
        await self._keys.store_rewrapped_keys(signing_keys)
        await self._mfa.store_rewrapped_secrets(totp_secrets)
        await self._vault.store_rewrapped_keys(data_keys)
        report = RewrapReport(
            signing_keys=len(signing_keys), totp_secrets=len(totp_secrets), audit_data_keys=len(data_keys)
        )
        await self._audit.record(
            AuditEventType.KEYS_REWRAPPED,
            signing_keys=report.signing_keys,
            mfa_factors=report.totp_secrets,
            audit_data_keys=report.audit_data_keys,
        )
        return report
