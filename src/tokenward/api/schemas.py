"""Request and response bodies. Secrets are accepted as plain strings with size bounds, never echoed back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tokenward.domain.session_service import TokenPair
from tokenward.domain.users import User

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
