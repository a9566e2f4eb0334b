"""What the passkey and one-time-code factors store, and their storage ports (``adapters/sql/factors.py``).

Every single-use rule is a conditional write in the port, never a read followed by a write: a WebAuthn
challenge is taken with ``used_at IS NULL``, a sign counter moves only forwards, a one-time code is used with
``used_at IS NULL AND failed_attempts < :max``. Exactly one of two racing requests wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Ceremony(StrEnum):
    """What a WebAuthn challenge was issued for; a response is accepted only by the ceremony it belongs to."""

    REGISTER = "register"
    #: passwordless sign-in with a discoverable credential: no user is known when the challenge is made
    SIGN_IN = "sign_in"
    #: the second step after a password, bound to that sign-in's MFA token
    SECOND_FACTOR = "second_factor"
    #: proving a current factor before a change of the factors
    STEP_UP = "step_up"


@dataclass(frozen=True, slots=True)
class Passkey:
    """A registered WebAuthn credential."""

    #: base64url of the credential id the authenticator chose
    credential_id: str
    user_id: str
    #: base64url of the WebAuthn user handle (random per user, never the e-mail or the user id)
    user_handle: str
    #: the COSE public key as the authenticator sent it
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    name: str
    created_at: datetime
    #: a synced passkey (backup eligible) is a software-secured key for ``amr``, else a hardware one
    backup_eligible: bool = False
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WebAuthnChallenge:
    """An issued challenge: stored by hash, single-use, bound to its ceremony, user and sign-in."""

    challenge_hash: str
    ceremony: Ceremony
    created_at: datetime
    expires_at: datetime
    #: ``None`` only for passwordless sign-in, where the credential tells who signs in
    user_id: str | None = None
    #: the MFA-token hash of the sign-in a second-factor challenge belongs to
    binding: str | None = None
    #: registration: the user handle the new credential is created for
    user_handle: str | None = None
    used_at: datetime | None = None


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class CodePurpose(StrEnum):
    ENROL = "enrol"
    SIGN_IN = "sign_in"
    STEP_UP = "step_up"


@dataclass(frozen=True, slots=True)
class OtpFactor:
    """A proven phone number (E.164) or e-mail address that receives one-time codes."""

    id: str
    user_id: str
    channel: Channel
    destination: str
    created_at: datetime
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OtpChallenge:
    """One sent code: stored as a hash, single-use, with an attempt counter and a short life."""

    id: str
    user_id: str
    channel: Channel
    purpose: CodePurpose
    destination: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    #: the MFA-token hash of the sign-in a sign-in code belongs to
    binding: str | None = None
    failed_attempts: int = 0
    used_at: datetime | None = None


class PasskeyRepository(Protocol):
    async def add_passkey(self, passkey: Passkey) -> bool:
        """Store a new credential; ``False`` when its credential id is already registered (to anyone)."""
        ...

    async def passkeys_of(self, user_id: str) -> list[Passkey]:
        """The user's passkeys, oldest first."""
        ...

    async def passkey(self, credential_id: str) -> Passkey | None: ...

    async def rename_passkey(self, user_id: str, credential_id: str, name: str) -> bool: ...

    async def delete_passkey(self, user_id: str, credential_id: str) -> bool: ...

    async def advance_sign_count(self, credential_id: str, old: int, new: int, now: datetime) -> bool:
        """Store ``new`` as the counter (and the use) if the stored one is still ``old``."""
        ...

    async def add_webauthn_challenge(self, challenge: WebAuthnChallenge) -> None: ...

    async def take_webauthn_challenge(self, challenge_hash: str, now: datetime) -> WebAuthnChallenge | None:
        """Mark the challenge used and return it, if it exists and was unused; else ``None``."""
        ...

    async def delete_expired_webauthn_challenges(self, before: datetime) -> int: ...


class OtpRepository(Protocol):
    async def otp_factors_of(self, user_id: str) -> list[OtpFactor]: ...

    async def save_otp_factor(
        self, factor: OtpFactor, challenge_id: str, now: datetime, max_failures: int
    ) -> bool:
        """In one transaction: use the enrolment code's challenge up and store the factor, replacing the user's
        factor of that channel. ``False`` (and no change) when the challenge was used or spent meanwhile."""
        ...

    async def delete_otp_factor(self, user_id: str, channel: Channel) -> bool: ...

    async def add_otp_challenge(self, challenge: OtpChallenge) -> None:
        """Store a new code, voiding the unused codes of the same user, channel, purpose and binding."""
        ...

    async def live_otp_challenge(
        self, user_id: str, channel: Channel, purpose: CodePurpose, binding: str | None, now: datetime
    ) -> OtpChallenge | None:
        """The newest unused, unexpired code of that kind."""
        ...

    async def count_otp_failure(self, challenge_id: str) -> int:
        """Add one failed attempt; return the new count."""
        ...

    async def use_otp_challenge(self, challenge_id: str, now: datetime, max_failures: int) -> bool: ...

    async def delete_expired_otp_challenges(self, before: datetime) -> int: ...
