"""Settings -> the small frozen policies the domain services take in their constructors.

The domain never reads ``Settings``; each function here translates the environment's words (seconds, rate
strings) into one domain value, so a new setting is read in one place and its service gets a typed value.
"""

from __future__ import annotations

from datetime import timedelta

from tokenward.config import Settings
from tokenward.config_rates import parse_rates
from tokenward.domain.abuse.model import Rate
from tokenward.domain.abuse.throttle import ThrottlePolicy
from tokenward.domain.accounts.passwords import Argon2Parameters, PasswordPolicy
from tokenward.domain.accounts.service import AccountSettings
from tokenward.domain.cleanup import CleanupPolicy
from tokenward.domain.email.flows import EmailFlowSettings
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward.domain.keys.rotation import RotationPolicy
from tokenward.domain.mfa import MfaSettings
from tokenward.domain.mfa.otp_codes import OtpSettings
from tokenward.domain.mfa.passkey_ceremonies import PasskeySettings
from tokenward.domain.mfa.webauthn_rp import RelyingParty
from tokenward.domain.sessions.denylist import DenyPolicy
from tokenward.domain.sessions.service import SessionSettings
from tokenward.domain.tokens import AccessTokenSettings, VerificationPolicy

#: the JWKS ``Cache-Control: max-age`` (api.routes.wellknown); retired keys stay published this much longer
JWKS_MAX_AGE_SECONDS = 300


def _seconds(value: int) -> timedelta:
    return timedelta(seconds=value)


def _rates(text: str) -> tuple[Rate, ...]:
    return tuple(Rate(amount, seconds) for amount, seconds in parse_rates(text))


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    """Per-route, per-account and credential-stuffing limits; with rate limits off, none of them bites."""
    if not settings.rate_limits_enabled:
        return ThrottlePolicy(routes={}, account_per_address=(), account=(), stuffing_accounts=2**31)
    return ThrottlePolicy(
        routes={route: _rates(text) for route, text in settings.route_rates.items()},
        account_per_address=_rates(settings.account_limit_per_address),
        account=_rates(settings.account_limit),
        stuffing_accounts=settings.stuffing_accounts,
        stuffing_window_seconds=settings.stuffing_window,
        stuffing_block_seconds=settings.stuffing_block,
    )


def rotation_policy(settings: Settings) -> RotationPolicy:
    """Retired keys stay published until every token they signed has expired and every JWKS cache has
    refreshed: the longest access-token lifetime + leeway + the JWKS cache lifetime."""
    return RotationPolicy(
        interval=_seconds(settings.key_rotation_interval),
        publish_ahead=_seconds(settings.key_publish_ahead),
        retain_retired=_seconds(settings.access_token_ttl + settings.token_leeway + JWKS_MAX_AGE_SECONDS),
    )


def access_token_settings(settings: Settings) -> AccessTokenSettings:
    return AccessTokenSettings(
        issuer=settings.issuer,
        audiences=tuple(settings.audiences),
        lifetime_seconds=settings.access_token_ttl,
    )


def verification_policy(settings: Settings) -> VerificationPolicy:
    """What the server accepts of its own tokens: this issuer, these audiences, the supported algorithms."""
    return VerificationPolicy(
        issuer=settings.issuer,
        audiences=frozenset(settings.audiences),
        algorithms=frozenset(SUPPORTED_ALGORITHMS),
        leeway_seconds=settings.token_leeway,
    )


def deny_policy(settings: Settings) -> DenyPolicy:
    """A revoked access token stays denied until it would have expired anyway."""
    return DenyPolicy(
        access_token_lifetime=_seconds(settings.access_token_ttl),
        leeway=_seconds(settings.token_leeway),
    )


def session_settings(settings: Settings) -> SessionSettings:
    return SessionSettings(
        idle_ttl=_seconds(settings.session_idle_ttl),
        absolute_ttl=_seconds(settings.session_absolute_ttl),
        reuse_grace=_seconds(settings.refresh_reuse_grace),
        default_scope=settings.default_scope,
    )


def password_policy(settings: Settings) -> PasswordPolicy:
    return PasswordPolicy(min_length=settings.password_min_length, service_name=settings.service_name)


def argon2_parameters(settings: Settings) -> Argon2Parameters:
    return Argon2Parameters(
        memory_kib=settings.argon2_memory_kib,
        time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism,
    )


def account_settings(settings: Settings) -> AccountSettings:
    return AccountSettings(
        service_name=settings.service_name,
        public_url=settings.effective_public_url,
        require_verified_email=settings.require_verified_email,
    )


def email_flow_settings(settings: Settings) -> EmailFlowSettings:
    """The links the e-mail flows send and how long each stays valid."""
    return EmailFlowSettings(
        service_name=settings.service_name,
        public_url=settings.effective_public_url,
        verification_lifetime=_seconds(settings.email_verification_ttl),
        reset_lifetime=_seconds(settings.password_reset_ttl),
    )


def mfa_settings(settings: Settings) -> MfaSettings:
    return MfaSettings(
        issuer=settings.effective_mfa_issuer,
        reauthentication_window=_seconds(settings.reauthentication_window),
        challenge_lifetime=_seconds(settings.mfa_token_ttl),
        max_challenge_attempts=settings.mfa_max_attempts,
    )


def passkey_settings(settings: Settings) -> PasskeySettings:
    """The relying party passkeys are scoped to (checked when the settings were read)."""
    return PasskeySettings(
        rp=RelyingParty(
            rp_id=settings.effective_webauthn_rp_id,
            origins=settings.effective_webauthn_origins,
            name=settings.service_name,
        ),
        challenge_lifetime=_seconds(settings.mfa_token_ttl),
    )


def otp_settings(settings: Settings) -> OtpSettings:
    return OtpSettings(
        service_name=settings.service_name,
        sms_enabled=settings.sms_enabled,
        email_enabled=settings.email_otp_enabled,
        code_lifetime=_seconds(settings.mfa_token_ttl),
        max_attempts=settings.mfa_max_attempts,
        sends_per_account=_rates(settings.otp_send_limit_account),
        sends_per_destination=_rates(settings.otp_send_limit_destination),
    )


def cleanup_policy(settings: Settings) -> CleanupPolicy:
    return CleanupPolicy(
        session_idle_ttl=_seconds(settings.session_idle_ttl),
        retention=_seconds(settings.cleanup_retention),
    )
