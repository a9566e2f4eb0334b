"""One exception tree for the whole service, split by what is refused; import every name from here.

Every class carries a stable snake_case ``code`` that clients may rely on, and the HTTP status the API layer
answers with. The API turns any ``TokenwardError`` into one RFC 9457 problem document (or the RFC 6749 error
shape on ``/oauth/*``), so a handler never builds an error response by hand. ``detail`` must never contain a
secret, a password or the submitted token.

A refusal that needs more than a body says so itself: ``headers()`` gives the response headers it requires
(``Retry-After``, ``WWW-Authenticate``, ``Allow`` ...) and ``extensions()`` the extra members of its problem
document, so the code that writes the answer needs no list of classes.

The modules: ``base`` (the root, ``RetryLater``, the start-up refusal), ``http`` (the request's shape, size,
method, media type, CSRF), ``auth`` (credentials, tokens, grants, scopes, recent sign-in), ``accounts``
(passwords, addresses, e-mailed links), ``mfa`` (the second factor) and ``availability`` (limits, back-off,
stores and keys that are not there).
"""

from __future__ import annotations

from tokenward.errors.accounts import (
    EmailTaken,
    InvalidOneTimeToken,
    PasswordRejected,
)
from tokenward.errors.auth import (
    AccountDisabled,
    AccountGone,
    AuthenticationRequired,
    EmailNotVerified,
    InsufficientScope,
    InvalidClient,
    InvalidCredentials,
    InvalidGrant,
    InvalidToken,
    ReauthenticationRequired,
    RecentSignInRequired,
    UnsupportedGrantType,
    UnsupportedTokenType,
)
from tokenward.errors.availability import (
    CodeSendLimited,
    DependencyUnavailable,
    KeyUnavailable,
    RateLimited,
    ServiceBusy,
    SmsUnavailable,
    TooManyAttempts,
    rate_limit_headers,
)
from tokenward.errors.base import (
    ConfigurationError,
    RetryLater,
    TokenwardError,
    describe_error,
)
from tokenward.errors.http import (
    Conflict,
    CsrfFailed,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    RequestHeadersTooLarge,
    RequestTimeout,
    RequestTooLarge,
    UnsupportedMediaType,
)
from tokenward.errors.mfa import (
    InvalidMfaCode,
    InvalidMfaToken,
    InvalidPasskey,
    MfaCodeExpired,
    MfaCodeReplayed,
    MfaMethodUnavailable,
    MfaStateConflict,
    PasskeyChallengeInvalid,
    PasskeyCounterRegressed,
    PasskeyOriginMismatch,
    PasskeyRpIdMismatch,
    PasskeyUnknown,
)

__all__ = [
    "AccountDisabled",
    "AccountGone",
    "AuthenticationRequired",
    "CodeSendLimited",
    "ConfigurationError",
    "Conflict",
    "CsrfFailed",
    "DependencyUnavailable",
    "EmailNotVerified",
    "EmailTaken",
    "InsufficientScope",
    "InvalidClient",
    "InvalidCredentials",
    "InvalidGrant",
    "InvalidMfaCode",
    "InvalidMfaToken",
    "InvalidOneTimeToken",
    "InvalidPasskey",
    "InvalidRequest",
    "InvalidToken",
    "KeyUnavailable",
    "MethodNotAllowed",
    "MfaCodeExpired",
    "MfaCodeReplayed",
    "MfaMethodUnavailable",
    "MfaStateConflict",
    "NotFound",
    "PasskeyChallengeInvalid",
    "PasskeyCounterRegressed",
    "PasskeyOriginMismatch",
    "PasskeyRpIdMismatch",
    "PasskeyUnknown",
    "PasswordRejected",
    "RateLimited",
    "ReauthenticationRequired",
    "RecentSignInRequired",
    "RequestHeadersTooLarge",
    "RequestTimeout",
    "RequestTooLarge",
    "RetryLater",
    "ServiceBusy",
    "SmsUnavailable",
    "TokenwardError",
    "TooManyAttempts",
    "UnsupportedGrantType",
    "UnsupportedMediaType",
    "UnsupportedTokenType",
    "describe_error",
    "rate_limit_headers",
]
