"""Request and response bodies. Secrets are accepted as plain strings with size bounds, never echoed back.

Request models are strict: no member the model does not name (``additionalProperties: false`` in the
OpenAPI document), and no conversion between JSON types, so ``{"all": "yes"}`` is refused as the document's
``"type": "boolean"`` says, not read as true.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, JsonValue

from tokenward.domain.accounts.display_names import MAX_DISPLAY_NAME_LENGTH
from tokenward.domain.accounts.passwords.policy import PasswordPolicy
from tokenward.domain.accounts.users import User
from tokenward.domain.mfa.proofs import FactorProof
from tokenward.domain.sessions.service import TokenPair

MAX_PASSWORD_CHARS = 4096
_POLICY = PasswordPolicy()
#: what the document says of a new password: the policy's length limits (its floor; a deployment may raise the
#: minimum). The model itself takes any bounded string, so a password outside them gets the policy's
#: 422 ``password_rejected`` with every reason, rather than a bare validation error.
NEW_PASSWORD_DOCUMENTED: dict[str, JsonValue] = {
    "minLength": _POLICY.min_length,
    "maxLength": _POLICY.max_length,
    "description": (
        f"At least {_POLICY.min_length} characters (or the configured minimum) and at most "
        f"{_POLICY.max_length}; not a common, breached-looking or trivial password, nor one made of the "
        "e-mail address or the service name. Otherwise 422 password_rejected, with every reason."
    ),
}


def new_password_field() -> Any:
    return Field(min_length=1, max_length=MAX_PASSWORD_CHARS, json_schema_extra=NEW_PASSWORD_DOCUMENTED)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SignupRequest(StrictModel):
    email: EmailStr = Field(max_length=254)
    password: str = new_password_field()


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
    #: only from the authorization code grant with the ``openid`` scope
    id_token: str | None = None

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(
            access_token=pair.access_token,
            token_type=pair.token_type,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
            scope=pair.scope,
            session_id=pair.session_id,
            id_token=pair.id_token,
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
    display_name: str | None = Field(
        default=None,
        max_length=MAX_DISPLAY_NAME_LENGTH,
        # documents ``checked_display_name`` (the rule itself): \p{C} is Cc, Cf, Cs, Co and Cn, then Zl and Zp
        json_schema_extra={"pattern": r"^[^\p{C}\u2028\u2029]*$"},
    )


class PasswordChangeRequest(StrictModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)
    new_password: str = new_password_field()


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
    new_password: str = new_password_field()


class PasswordResetDone(BaseModel):
    status: str = "password_reset"
    sessions_ended: int


class NotMeDone(BaseModel):
    status: str = "account_secured"
    detail: str = "Every session was ended and the password removed; a reset link was sent to the address."
