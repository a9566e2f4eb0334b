"""Refusals of who the caller is: credentials, tokens, grants, scopes and how recent the sign-in is.

The credential refusals are worded so that an unknown account and a wrong password look the same.
"""

from __future__ import annotations

from tokenward.errors.base import TokenwardError


class InvalidCredentials(TokenwardError):
    """Same answer for an unknown account and a wrong password, on purpose."""

    code = "invalid_credentials"
    status = 401
    title = "Invalid e-mail or password"
    oauth_error = "invalid_grant"


class AccountGone(InvalidCredentials):
    """A row was written for an account (or session) that was deleted meanwhile, e.g. a sign-in racing the
    account's erasure: the database refused the row, and the caller gets the answer an unknown account gets."""

    title = "Invalid e-mail or password"


class AccountDisabled(TokenwardError):
    """Only ever raised after the correct password, so it tells nothing to a guesser."""

    code = "account_disabled"
    status = 403
    title = "Account disabled"
    oauth_error = "invalid_grant"


class EmailNotVerified(TokenwardError):
    """Only raised after the correct password, when verified addresses are required to sign in."""

    code = "email_not_verified"
    status = 403
    title = "E-mail address not verified"
    oauth_error = "invalid_grant"


class AuthenticationRequired(TokenwardError):
    code = "authentication_required"
    status = 401
    title = "Authentication required"
    oauth_error = "invalid_client"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class InvalidToken(TokenwardError):
    """An access token (or other bearer token) was refused.

    ``reason`` is a stable snake_case word naming the rule that failed (``alg_not_allowed``, ``expired`` ...);
    tests assert it. The API shows it as the ``detail`` in development only; production answers ``concealed()``,
    so a prober learns nothing of which rule its forgery broke (the reason goes to the log and audit trail).
    """

    code = "invalid_token"
    status = 401
    title = "Invalid token"
    oauth_error = "invalid_token"
    #: the detail of a refusal that does not name its rule
    CONCEALED_DETAIL = "The access token was not accepted"

    def __init__(self, reason: str, *, detail: str | None = None) -> None:
        self.reason = reason
        super().__init__(detail or reason)

    def concealed(self) -> InvalidToken:
        """The same refusal, its detail no longer naming the rule that failed."""
        return InvalidToken(self.reason, detail=self.CONCEALED_DETAIL)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class InvalidClient(TokenwardError):
    """A registered API client failed to authenticate: one answer for an unknown id and a wrong secret."""

    code = "invalid_client"
    status = 401
    title = "Client authentication failed"
    oauth_error = "invalid_client"


class UnsupportedTokenType(TokenwardError):
    """RFC 7009 §2.2.1: a ``token_type_hint`` this server does not know."""

    code = "unsupported_token_type"
    status = 400
    title = "Unsupported token type"
    oauth_error = "unsupported_token_type"


class InsufficientScope(TokenwardError):
    code = "insufficient_scope"
    status = 403
    title = "Insufficient scope"
    oauth_error = "insufficient_scope"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}


class InvalidGrant(TokenwardError):
    """A refresh token that is unknown, expired, revoked, already rotated or reused."""

    code = "invalid_grant"
    status = 400
    title = "Invalid grant"
    oauth_error = "invalid_grant"


class UnsupportedGrantType(TokenwardError):
    code = "unsupported_grant_type"
    status = 400
    title = "Unsupported grant type"
    oauth_error = "unsupported_grant_type"


class ReauthenticationRequired(TokenwardError):
    """The action changes how the account is protected; it needs a sign-in from the last few minutes."""

    code = "reauthentication_required"
    status = 403
    title = "Recent sign-in required"
    oauth_error = "invalid_request"


class RecentSignInRequired(TokenwardError):
    """Export and erasure hand out or destroy everything; they need a sign-in from the last few minutes."""

    code = "recent_sign_in_required"
    status = 403
    title = "Recent sign-in required"
    oauth_error = "invalid_request"
