"""Refusals of the second factor: the MFA step of a sign-in and the factor's own life cycle."""

from __future__ import annotations

from tokenward.errors.base import TokenwardError
from tokenward.errors.http import Conflict


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
