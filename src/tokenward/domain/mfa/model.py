"""What the MFA services store: TOTP factors and pending sign-in challenges (ports in ``mfa/ports.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TotpFactor:
    id: str
    user_id: str
    #: AES-256-GCM ciphertext of the base32 secret, bound to user and factor id (``totp_secret_binding``)
    encrypted_secret: bytes
    created_at: datetime
    #: ``None`` while enrolment is pending: the factor protects nothing until a code proved the app has it
    confirmed_at: datetime | None = None
    #: the newest time step accepted; any step not newer is a replay
    last_step: int | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


@dataclass(frozen=True, slots=True)
class MfaChallenge:
    """The pending second step of a sign-in: stored by hash, single-use, with an attempt counter."""

    token_hash: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    ip: str | None = None
    user_agent: str | None = None
    failed_attempts: int = 0
    used_at: datetime | None = None
