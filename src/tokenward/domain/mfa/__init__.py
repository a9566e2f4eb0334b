"""Multi-factor sign-in: TOTP (RFC 6238), recovery codes, and the pending second step of a sign-in."""

from tokenward.domain.mfa.model import MfaChallenge, TotpFactor
from tokenward.domain.mfa.ports import MfaChallengeRepository, MfaRepository
from tokenward.domain.mfa.service import (
    AMR_PASSWORD,
    AMR_RECOVERY_CODE,
    AMR_TOTP,
    METHODS,
    MfaService,
    MfaSettings,
)
from tokenward.domain.mfa.totp import TotpEnrolment

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
