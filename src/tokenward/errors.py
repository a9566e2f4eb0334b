"""One exception tree for the whole service.

Every class carries a stable snake_case ``code`` that clients may rely on, and the HTTP status the API layer
answers with. The API turns any ``TokenwardError`` into one RFC 9457 problem document (or the RFC 6749 error
shape on ``/oauth/*``), so a handler never builds an error response by hand. ``detail`` must never contain a
secret, a password or the submitted token.

A refusal that needs more than a body says so itself: ``headers()`` gives the response headers it requires
(``Retry-After``, ``WWW-Authenticate``, ``Allow`` ...) and ``extensions()`` the extra members of its problem
document, so the code that writes the answer needs no list of classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def rate_limit_headers(policy: str, *, quota: int, window: int, remaining: int, reset: int) -> dict[str, str]:
    """The draft-ietf-httpapi-ratelimit-headers pair: ``RateLimit-Policy: "login";q=30;w=60`` names the quota
    and window, ``RateLimit: "login";r=12;t=41`` says what remains and when the window frees up."""
    return {
        "RateLimit-Policy": f'"{policy}";q={quota};w={window}',
        "RateLimit": f'"{policy}";r={remaining};t={reset}',
    }


class TokenwardError(Exception):
    """Base class: anything the service refuses on purpose."""

    code: str = "internal_error"
    status: int = 500
    title: str = "Internal error"
    #: the RFC 6749 ``error`` value used on the OAuth endpoints
    oauth_error: str = "server_error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)

    def headers(self) -> dict[str, str]:
        """Response headers this refusal needs besides its body (none unless a subclass says so)."""
        return {}

    def extensions(self) -> dict[str, Any]:
        """Extension members (RFC 9457 §3.2) added to the problem document after the standard ones."""
        return {}


class ConfigurationError(TokenwardError):
    """The settings are unusable or insecure; raised at start-up, never per request."""

    code = "configuration_error"
    title = "Invalid configuration"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class InvalidRequest(TokenwardError):
    code = "invalid_request"
    status = 400
    title = "Invalid request"
    oauth_error = "invalid_request"


class RequestTooLarge(TokenwardError):
    code = "request_too_large"
    status = 413
    title = "Request body too large"
    oauth_error = "invalid_request"

    @classmethod
    def beyond(cls, limit: int) -> RequestTooLarge:
        return cls(f"The request body exceeds {limit} bytes")


class RequestHeadersTooLarge(TokenwardError):
    """Refused before any route runs (the ASGI layer, or the HTTP protocol while the head still arrives)."""

    code = "request_headers_too_large"
    status = 431
    title = "Request headers too large"
    oauth_error = "invalid_request"

    @classmethod
    def beyond(cls, limit: int) -> RequestHeadersTooLarge:
        return cls(f"The request headers exceed {limit} bytes")


class RequestTimeout(TokenwardError):
    """A request head or body that did not arrive in time; the HTTP protocol answers and closes the connection."""

    code = "request_timeout"
    status = 408
    title = "Request timeout"
    oauth_error = "invalid_request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "The request did not arrive in time")


class MethodNotAllowed(TokenwardError):
    """The path exists but not with this method; ``Allow`` lists the methods it has (RFC 9110 §15.5.6)."""

    code = "method_not_allowed"
    status = 405
    title = "Method not allowed"
    oauth_error = "invalid_request"

    def __init__(self, detail: str | None = None, *, allow: str | None = None) -> None:
        self.allow = allow
        super().__init__(detail)

    def headers(self) -> dict[str, str]:
        return {"Allow": self.allow} if self.allow else {}


class UnsupportedMediaType(TokenwardError):
    """A body sent as a media type the operation does not read (or with no ``Content-Type`` at all).

    The answer names the accepted types in ``Accept-Post`` (W3C LDP §7.1) or, for PATCH, ``Accept-Patch``
    (RFC 5789 §3.1), as RFC 9110 §15.5.16 suggests."""

    code = "unsupported_media_type"
    status = 415
    title = "Unsupported media type"
    oauth_error = "invalid_request"

    def __init__(self, accepted: Sequence[str], *, method: str = "POST") -> None:
        self.accepted = tuple(accepted)
        self.method = method.upper()
        super().__init__(f"Send the body as {' or '.join(self.accepted)}")

    def headers(self) -> dict[str, str]:
        name = {"POST": "Accept-Post", "PATCH": "Accept-Patch"}.get(self.method)
        return {name: ", ".join(self.accepted)} if name else {}


class PasswordRejected(TokenwardError):
    """A new password breaks the policy; ``reasons`` says every rule it breaks."""

    code = "password_rejected"
    status = 422
    title = "Password rejected"
    oauth_error = "invalid_request"

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))

    def extensions(self) -> dict[str, Any]:
        return {"reasons": self.reasons}


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
    tests assert it, and the API shows it as the problem's ``detail``.
    """

    code = "invalid_token"
    status = 401
    title = "Invalid token"
    oauth_error = "invalid_token"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

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


class NotFound(TokenwardError):
    code = "not_found"
    status = 404
    title = "Not found"
    oauth_error = "invalid_request"


class Conflict(TokenwardError):
    code = "conflict"
    status = 409
    title = "Conflict"
    oauth_error = "invalid_request"


class EmailTaken(Conflict):
    """Raised by storage; the sign-up service hides it so the API never tells that an account exists."""

    code = "email_taken"


class RetryLater(TokenwardError):
    """Refused for now, not for good: the answer carries ``Retry-After: retry_after``."""

    retry_after: int = 1

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ServiceBusy(RetryLater):
    """Bounded work queue full (password hashing); the client should retry after ``retry_after`` seconds."""

    code = "service_busy"
    status = 503
    title = "Service busy"
    oauth_error = "temporarily_unavailable"

    def __init__(self, retry_after: int = 1) -> None:
        self.retry_after = retry_after
        super().__init__("Too many requests in progress; retry shortly")


class KeyUnavailable(TokenwardError):
    code = "key_unavailable"
    status = 503
    title = "No signing key available"
    oauth_error = "temporarily_unavailable"


class ReauthenticationRequired(TokenwardError):
    """The action changes how the account is protected; it needs a sign-in from the last few minutes."""

    code = "reauthentication_required"
    status = 403
    title = "Recent sign-in required"
    oauth_error = "invalid_request"


class CsrfFailed(TokenwardError):
    """A cookie-authenticated request without proof that this site's own page sent it; nothing was changed."""

    code = "csrf_failed"
    status = 403
    title = "Cross-site request refused"
    #: an extension error code (RFC 6749 §8.5), so a client sees the same code on /oauth/token as elsewhere
    oauth_error = "csrf_failed"


class InvalidMfaToken(TokenwardError):
    """The MFA token of a sign-in is unknown, expired, already used, or spent its attempts."""

    code = "invalid_mfa_token"
    status = 401
    title = "Invalid or expired MFA token"
    oauth_error = "invalid_grant"


class InvalidMfaCode(TokenwardError):
    """A TOTP or recovery code is wrong (or missing where the account's second factor is required)."""

    code = "invalid_mfa_code"
    status = 401
    title = "Invalid authentication code"
    oauth_error = "invalid_grant"


class MfaCodeReplayed(TokenwardError):
    """A TOTP code (time step) that was already accepted once; each code works at most once."""

    code = "mfa_code_replayed"
    status = 401
    title = "Authentication code already used"
    oauth_error = "invalid_grant"


class MfaStateConflict(Conflict):
    """The factor is not in the state the action needs (already on, not enrolled, enrolment not started)."""

    code = "mfa_state_conflict"


class InvalidOneTimeToken(TokenwardError):
    """An e-mailed link token (verification, reset, "this was not me") is unknown, expired, used or of
    another kind; the cases are deliberately not told apart."""

    code = "invalid_one_time_token"
    status = 400
    title = "Invalid or expired link"
    oauth_error = "invalid_grant"


class EmailNotVerified(TokenwardError):
    """Only raised after the correct password, when verified addresses are required to sign in."""

    code = "email_not_verified"
    status = 403
    title = "E-mail address not verified"
    oauth_error = "invalid_grant"


class RateLimited(RetryLater):
    """A per-route limit for the client's address is exhausted; carries what the RateLimit headers need."""

    code = "rate_limited"
    status = 429
    title = "Too many requests"
    oauth_error = "slow_down"

    def __init__(self, *, policy: str, limit: int, window: int, retry_after: int) -> None:
        self.policy = policy
        self.limit = limit
        self.window = window
        self.retry_after = max(retry_after, 1)
        super().__init__(f"Too many requests; retry after {self.retry_after} seconds")

    def headers(self) -> dict[str, str]:
        limit = rate_limit_headers(
            self.policy, quota=self.limit, window=self.window, remaining=0, reset=self.retry_after
        )
        return super().headers() | limit


class TooManyAttempts(RetryLater):
    """Sign-in attempts for this account (or from this address) must wait; the same for unknown accounts."""

    code = "too_many_attempts"
    status = 429
    title = "Too many attempts"
    oauth_error = "slow_down"

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = max(retry_after, 1)
        super().__init__(f"Too many attempts; retry after {self.retry_after} seconds")


class DependencyUnavailable(RetryLater):
    """A shared store (Redis) does not answer: refuse rather than skip a revocation or a limit check."""

    code = "dependency_unavailable"
    status = 503
    title = "Service temporarily unavailable"
    oauth_error = "temporarily_unavailable"

    def __init__(self, dependency: str, retry_after: int = 1) -> None:
        self.retry_after = retry_after
        super().__init__(f"{dependency} is not answering; retry shortly")


class InvalidPasskey(TokenwardError):
    """A WebAuthn response was refused: malformed, a bad signature, or user verification missing where it is
    required. The subclasses name the checks a client or an attacker most needs told apart."""

    code = "invalid_passkey"
    status = 401
    title = "Passkey response refused"
    oauth_error = "invalid_grant"


class PasskeyOriginMismatch(InvalidPasskey):
    """The browser reported an origin that is not one of the configured WebAuthn origins (a phishing page)."""

    code = "passkey_origin_mismatch"
    title = "Passkey used on another origin"


class PasskeyRpIdMismatch(InvalidPasskey):
    """The authenticator scoped the response to another relying party id."""

    code = "passkey_rp_id_mismatch"
    title = "Passkey made for another relying party"


class PasskeyChallengeInvalid(InvalidPasskey):
    """The challenge is unknown, expired, already used, or was issued for another ceremony or user."""

    code = "passkey_challenge_invalid"
    title = "Invalid or used passkey challenge"


class PasskeyUnknown(InvalidPasskey):
    """The credential is not registered here, or not to the user this ceremony is for."""

    code = "passkey_unknown"
    title = "Unknown passkey"


class PasskeyCounterRegressed(InvalidPasskey):
    """The authenticator's sign counter did not move forward: a possible clone of the authenticator."""

    code = "passkey_counter_regressed"
    title = "Passkey sign counter went backwards"


class MfaCodeExpired(TokenwardError):
    """No live one-time code: none was sent, it expired, was used, or five wrong tries ended it."""

    code = "mfa_code_expired"
    status = 401
    title = "No valid code; request a new one"
    oauth_error = "invalid_grant"


class MfaMethodUnavailable(TokenwardError):
    """The second-factor method is turned off on this server or not set up for this account."""

    code = "mfa_method_unavailable"
    status = 403
    title = "Second-factor method unavailable"
    oauth_error = "invalid_request"


class SmsUnavailable(RetryLater):
    """The SMS gateway did not accept the message; nothing was enrolled or changed."""

    code = "sms_unavailable"
    status = 503
    title = "Text messages cannot be sent right now"
    oauth_error = "temporarily_unavailable"

    def __init__(self, detail: str | None = None, retry_after: int = 30) -> None:
        self.retry_after = retry_after
        super().__init__(detail or "The SMS gateway did not accept the message; try again shortly")


class CodeSendLimited(RetryLater):
    """Too many one-time codes were sent to this account or this number lately (toll-fraud protection)."""

    code = "code_send_limited"
    status = 429
    title = "Too many codes sent"
    oauth_error = "slow_down"

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = max(retry_after, 1)
        super().__init__(f"Too many codes were sent; retry after {self.retry_after} seconds")


class RecentSignInRequired(TokenwardError):
    """Export and erasure hand out or destroy everything; they need a sign-in from the last few minutes."""

    code = "recent_sign_in_required"
    status = 403
    title = "Recent sign-in required"
    oauth_error = "invalid_request"
