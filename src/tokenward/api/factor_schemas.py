"""Request and response bodies of the passkey and SMS/e-mail factor routes (``routes/passkeys.py``,
``routes/factors.py``). Codes are accepted with size bounds and never echoed back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tokenward.api.schemas import MAX_CODE_CHARS, MAX_TOKEN_CHARS, CurrentFactor, StrictModel
from tokenward.domain.mfa.factors import MAX_NAME, FactorOverview, shown_destination
from tokenward.domain.mfa.model import OtpFactor, Passkey
from tokenward.domain.mfa.otp_codes import CodeSent


class WebAuthnOptions(BaseModel):
    """Hand ``publicKey`` to ``navigator.credentials.create`` or ``.get`` (binary members are base64url)."""

    public_key: dict[str, Any] = Field(serialization_alias="publicKey")


class PasskeyInfo(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    #: a synced passkey (iCloud Keychain, Google Password Manager, ...) rather than one bound to a device
    synced: bool
    transports: list[str]

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyInfo:
        return cls(
            id=passkey.credential_id,
            name=passkey.name,
            created_at=passkey.created_at,
            last_used_at=passkey.last_used_at,
            synced=passkey.backup_eligible,
            transports=list(passkey.transports),
        )


class PasskeyList(BaseModel):
    passkeys: list[PasskeyInfo]


class PasskeyRegistration(StrictModel):
    #: the ``PublicKeyCredential`` from ``navigator.credentials.create``, as JSON
    credential: dict[str, Any]
    name: str | None = Field(default=None, max_length=MAX_NAME)


class PasskeyRename(StrictModel):
    name: str = Field(min_length=1, max_length=MAX_NAME)


class PasskeyLogin(StrictModel):
    #: the ``PublicKeyCredential`` from ``navigator.credentials.get``, as JSON
    credential: dict[str, Any]


class FactorRemoved(BaseModel):
    status: str = "factor_removed"


class OtpFactorInfo(BaseModel):
    method: str
    #: the phone number masked, or the e-mail address
    destination: str
    created_at: datetime

    @classmethod
    def of(cls, factor: OtpFactor) -> OtpFactorInfo:
        return cls(
            method=factor.channel.value, destination=shown_destination(factor), created_at=factor.created_at
        )


class FactorList(BaseModel):
    """Every second factor of the account; ``methods`` is what a sign-in would offer."""

    methods: list[str]
    passkeys: list[PasskeyInfo]
    codes: list[OtpFactorInfo]
    recovery_codes_left: int

    @classmethod
    def of(cls, overview: FactorOverview) -> FactorList:
        return cls(
            methods=list(overview.methods),
            passkeys=[PasskeyInfo.of(p) for p in overview.passkeys],
            codes=[OtpFactorInfo.of(f) for f in overview.otp_factors],
            recovery_codes_left=overview.recovery_codes_left,
        )


class SmsEnrolment(CurrentFactor):
    """The phone number (with its country code) and, while any factor is set up, a current one."""

    phone: str = Field(min_length=1, max_length=40)


class CodeConfirmation(StrictModel):
    code: str = Field(min_length=1, max_length=MAX_CODE_CHARS)


class CodeRequest(StrictModel):
    method: Literal["sms", "email"]


class SignInCodeRequest(CodeRequest):
    mfa_token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)


class SignInPasskeyOptionsRequest(StrictModel):
    mfa_token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)


class CodeSentResponse(BaseModel):
    """A code is on its way; it works once and for ``expires_in`` seconds."""

    method: str
    sent_to: str
    expires_in: int

    @classmethod
    def of(cls, sent: CodeSent) -> CodeSentResponse:
        return cls(method=sent.channel.value, sent_to=sent.shown_to, expires_in=sent.expires_in)


class FactorAdded(BaseModel):
    status: str = "factor_added"
    method: str
    destination: str
