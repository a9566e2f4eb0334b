"""The old home of the MFA records and ports, now in ``mfa/model.py`` and ``mfa/ports.py``.

Kept only so that imports not yet moved keep working; delete it once nothing imports it.
"""

from tokenward.domain.mfa.model import MfaChallenge as MfaChallenge
from tokenward.domain.mfa.model import TotpFactor as TotpFactor
from tokenward.domain.mfa.ports import MfaChallengeRepository as MfaChallengeRepository
from tokenward.domain.mfa.ports import MfaRepository as MfaRepository
