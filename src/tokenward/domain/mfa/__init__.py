"""Multi-factor sign-in: TOTP (RFC 6238), recovery codes, and the pending second step of a sign-in."""

from tokenward.domain.mfa.service import (
    AMR_PASSWORD,
    AMR_RECOVERY_CODE,
    AMR_TOTP,
    METHODS,
    MfaService,
    MfaSettings,
    TotpEnrolment,
)
from tokenward.domain.mfa.storage import MfaChallenge, MfaChallengeRepository, MfaRepository, TotpFactor

__all__ = [
    "AMR_PASSWORD",
    "AMR_RECOVERY_CODE",
    "AMR_TOTP",
    "METHODS",
    "MfaChallenge",
    "MfaChallengeRepository",
    "MfaRepository",
    "MfaService",
    "MfaSettings",
    "TotpEnrolment",
    "TotpFactor",
]
