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
