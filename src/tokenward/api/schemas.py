"""Request and response bodies. Secrets are accepted as plain strings with size bounds, never echoed back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tokenward.domain.accounts.users import User
from tokenward.domain.mfa.proofs import FactorProof
from tokenward.domain.sessions.service import TokenPair

MAX_PASSWORD_CHARS = 4096


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignupRequest(StrictModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class SignupAccepted(BaseModel):
    status: str = "accepted"
    detail: str = (
        "If this address can be registered, the account has been created; if it already had an account, "
        "its owner has been notified by e-mail."
    )


class LoginRequest(StrictModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    scope: str
    session_id: str

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(
            access_token=pair.access_token,
            token_type=pair.token_type,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
            scope=pair.scope,
            session_id=pair.session_id,
        )


class UserProfile(BaseModel):
    id: str
    email: str
    email_verified: bool
    display_name: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserProfile:
        return cls(
            id=user.id,
            email=user.email,
            email_verified=user.email_verified,
            display_name=user.display_name,
            created_at=user.created_at,
        )


class ProfileUpdate(StrictModel):
    display_name: str | None = Field(default=None, max_length=200)


class PasswordChangeRequest(StrictModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class PasswordChanged(BaseModel):
    status: str = "password_changed"
    other_sessions_ended: int


class LogoutRequest(StrictModel):
    all: bool = False


class LoggedOut(BaseModel):
    status: str = "logged_out"
    sessions_ended: int


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


# multi-factor sign-in, e-mail verification, password reset ------------------------------------------------

MAX_CODE_CHARS = 64
#: as large as an access token may be, so a token of another kind gets its proper refusal, not a size error
MAX_TOKEN_CHARS = 8192


class MfaRequiredResponse(BaseModel):
    """The password was right and the account has MFA on: send the MFA token and a code to /v1/login/mfa."""

    mfa_required: bool = True
    mfa_token: str
    methods: list[str]
    expires_in: int


class CurrentFactor(StrictModel):
    """A current second factor; required while any is set up to change the factors. Without ``method``,
    ``code`` is a TOTP or recovery code; ``sms`` and ``email`` take a code sent by ``POST /v1/me/mfa/code``;
    ``webauthn`` takes a passkey's response to ``POST /v1/me/mfa/webauthn/options``."""

    method: Literal["totp", "recovery_code", "webauthn", "sms", "email"] | None = None
    code: str | None = Field(default=None, min_length=1, max_length=MAX_CODE_CHARS)
    #: the ``PublicKeyCredential`` from ``navigator.credentials.get``, as JSON
    webauthn: dict[str, Any] | None = None

    def proof(self) -> FactorProof:
        return FactorProof(method=self.method, code=self.code, credential=self.webauthn)


class MfaLoginRequest(CurrentFactor):
    """The second step of a sign-in: its MFA token and one second factor (see ``CurrentFactor``)."""

    mfa_token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)


class TotpEnrolmentResponse(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class TotpConfirmRequest(StrictModel):
    code: str = Field(min_length=1, max_length=MAX_CODE_CHARS)


class RecoveryCodes(BaseModel):
    """Shown once: only hashes are kept."""

    recovery_codes: list[str]


class MfaRemoved(BaseModel):
    status: str = "mfa_removed"


class LinkTokenRequest(StrictModel):
    token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)


class EmailVerified(BaseModel):
    status: str = "email_verified"


class Accepted(BaseModel):
    status: str = "accepted"
    detail: str


class ForgotPasswordRequest(StrictModel):
    email: str = Field(min_length=1, max_length=320)


class PasswordResetRequest(StrictModel):
    token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class PasswordResetDone(BaseModel):
    status: str = "password_reset"
    sessions_ended: int


class NotMeDone(BaseModel):
    status: str = "account_secured"
    detail: str = "Every session was ended and the password removed; a reset link was sent to the address."
