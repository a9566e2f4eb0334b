"""What the MFA services store: TOTP factors, pending sign-in challenges, passkeys with their WebAuthn challenges,
and SMS/e-mail factors with their one-time codes (ports in ``mfa/ports.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
