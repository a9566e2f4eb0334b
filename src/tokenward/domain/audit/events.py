"""Security events: what happened, to whom, from where; never a secret.

Services record an event through one entry point, ``AuditTrail.record(type, context, **details)``; the trail
stamps it with its own clock and sends it to every configured sink (the append-only audit table and the
structured log). ``redact`` runs before any sink sees the event, and the log pipeline runs it again on every
line, so a password, token, code or secret placed in ``details`` by mistake is replaced, not written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from tokenward.domain.audit.ports import AuditSink
from tokenward.domain.clock import Clock, SystemClock
from tokenward.domain.context import RequestContext

REDACTED = "[redacted]"

#: key names whose values are never written anywhere
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|code|otp|kek|private|credential|authorization|cookie|api[_-]?key|^d$",
    re.IGNORECASE,
)
#: values that look like bearer material whatever key they sit under: JWTs and long opaque tokens
_SECRET_VALUE = re.compile(
    r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.?[A-Za-z0-9_-]*|\btw[a-z]_[A-Za-z0-9_-]{16,}|\b[A-Za-z0-9_-]{48,}\b"
)


class AuditEventType(StrEnum):
    SIGNUP = "signup"
    SIGNUP_EXISTING_EMAIL = "signup_existing_email"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_REHASHED = "password_rehashed"
    LOGOUT = "logout"
    TOKEN_REFRESHED = "token_refreshed"
    REFRESH_TOKEN_REUSE = "refresh_token_reuse"
    SESSION_REVOKED = "session_revoked"
    KEY_CREATED = "key_created"
    KEY_ACTIVATED = "key_activated"
    KEY_RETIRED = "key_retired"
    KEY_REMOVED = "key_removed"
    KEY_REVOKED = "key_revoked"
    KEYS_REWRAPPED = "keys_rewrapped"
    TOKEN_REVOKED = "token_revoked"
    ACCESS_TOKEN_REFUSED = "access_token_refused"
    API_CLIENT_CREATED = "api_client_created"
    API_CLIENT_DELETED = "api_client_deleted"
    CLIENT_UPDATED = "client_updated"
    AUTHORIZATION_CODE_ISSUED = "authorization_code_issued"
    AUTHORIZATION_CODE_REPLAYED = "authorization_code_replayed"
    CONSENT_GRANTED = "consent_granted"
    CONSENT_REVOKED = "consent_revoked"
    CONSENT_DENIED = "consent_denied"
    BACKCHANNEL_LOGOUT = "backchannel_logout"
    OIDC_LOGOUT = "oidc_logout"
    CLEANUP_COMPLETED = "cleanup_completed"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    USER_CREATED_BY_ADMIN = "user_created_by_admin"
    USERS_IMPORTED = "users_imported"
    PROFILE_UPDATED = "profile_updated"
    RATE_LIMITED = "rate_limited"
    ACCOUNT_THROTTLED = "account_throttled"
    CREDENTIAL_STUFFING_DETECTED = "credential_stuffing_detected"
    MFA_ENROLMENT_STARTED = "mfa_enrolment_started"
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"
    MFA_CODE_FAILED = "mfa_code_failed"
    MFA_CODE_REPLAYED = "mfa_code_replayed"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    EMAIL_VERIFICATION_SENT = "email_verification_sent"
    EMAIL_VERIFIED = "email_verified"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET = "password_reset"
    SIGN_IN_DEVICE_CHECKED = "sign_in_device_checked"
    SIGN_IN_REPORTED_NOT_ME = "sign_in_reported_not_me"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGE_CONFIRMED = "email_change_confirmed"
    EMAIL_CHANGE_REVERTED = "email_change_reverted"
    MFA_FACTOR_ADDED = "mfa_factor_added"
    MFA_FACTOR_REMOVED = "mfa_factor_removed"
    MFA_CODE_SENT = "mfa_code_sent"
    MFA_CODE_SEND_LIMITED = "mfa_code_send_limited"
    PASSKEY_RENAMED = "passkey_renamed"
    PASSKEY_REFUSED = "passkey_refused"
    PASSKEY_CLONE_SUSPECTED = "passkey_clone_suspected"
    PERSONAL_DATA_EXPORTED = "personal_data_exported"
    ACCOUNT_ERASED = "account_erased"
    ADMIN_ACCESS_DENIED = "admin_access_denied"
    ADMIN_USERS_LISTED = "admin_users_listed"
    ADMIN_USER_VIEWED = "admin_user_viewed"
    ADMIN_AUDIT_READ = "admin_audit_read"
    ADMIN_SESSIONS_ENDED = "admin_sessions_ended"
    ADMIN_FACTOR_REMOVED = "admin_factor_removed"
    ADMIN_VERIFICATION_RESENT = "admin_verification_resent"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    type: str
    at: datetime
    outcome: str = "success"
    user_id: str | None = None
    session_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def redact_value(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key):
        return REDACTED
    return redact_any(value)


def redact_any(value: Any) -> Any:
    """Redact recursively: secret-named keys and token-shaped strings."""
    if isinstance(value, Mapping):
        return {str(k): redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, str):
        return _SECRET_VALUE.sub(REDACTED, value)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [redact_any(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return REDACTED
    return value


def redact(event: AuditEvent) -> AuditEvent:
    return replace(
        event,
        details=redact_any(dict(event.details)),
        user_agent=redact_any(event.user_agent) if event.user_agent else None,
    )


class AuditTrail:
    """The one way a security event is recorded: stamped by the trail's clock, redacted, sent to every sink.

    Services say what happened (``record(type, context, user_id=..., **details)``); when and from where is
    filled in here, so no service builds an ``AuditEvent`` by hand or reads the clock for it.
    """

    def __init__(self, sinks: Sequence[AuditSink], clock: Clock | None = None) -> None:
        self._sinks = list(sinks)
        self._clock = clock or SystemClock()

    async def record(
        self,
        event_type: str,
        context: RequestContext | None = None,
        /,
        *,
        outcome: str = "success",
        user_id: str | None = None,
        session_id: str | None = None,
        **details: object,
    ) -> None:
        """Record one event; ``context`` is who asked (``None``: no request, e.g. a scheduled job)."""
        event = AuditEvent(
            type=event_type,
            at=self._clock.now(),
            outcome=outcome,
            user_id=user_id,
            session_id=session_id,
            ip=context.ip if context else None,
            user_agent=context.user_agent if context else None,
            details=details,
        )
        safe = redact(event)
        for sink in self._sinks:
            await sink.record(safe)
