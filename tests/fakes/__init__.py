"""In-memory implementations of the domain's ports, for tests of the services that need no database.

One module per domain package (``tests.fakes.sessions`` fakes the ports of ``tokenward.domain.sessions`` ...).
Each fake keeps its records in dictionaries and follows the same contract as the SQL, memory and Redis
adapters: the suites in tests/contract run against these fakes too, so a service test on fakes proves what it
would prove on a real store. They live in one process and one event loop; "exactly one winner" holds because
nothing awaits between a check and its write.
"""

from tests.fakes.abuse import FakeDistinctCounter, FakeRateLimiter
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.audit import FakeAuditRepository
from tests.fakes.base import DuplicateKey
from tests.fakes.clients import FakeClientRepository
from tests.fakes.email import FakeKnownDeviceRepository, FakeMailer, FakeOneTimeTokenRepository
from tests.fakes.factors import FakeOtpRepository, FakePasskeyRepository, FakeSmsSender
from tests.fakes.keys import FakeKeyRepository
from tests.fakes.leases import FakeLeaseRepository
from tests.fakes.mfa import FakeMfaChallengeRepository, FakeMfaRepository
from tests.fakes.oidc import FakeAuthorizationCodeRepository
from tests.fakes.sessions import FakeDenyList, FakeSessionRepository

__all__ = [
    "DuplicateKey",
    "FakeAuditRepository",
    "FakeAuthorizationCodeRepository",
    "FakeClientRepository",
    "FakeDenyList",
    "FakeDistinctCounter",
    "FakeKeyRepository",
    "FakeKnownDeviceRepository",
    "FakeLeaseRepository",
    "FakeMailer",
    "FakeMfaChallengeRepository",
    "FakeMfaRepository",
    "FakeOneTimeTokenRepository",
    "FakeOtpRepository",
    "FakePasskeyRepository",
    "FakeRateLimiter",
    "FakeSessionRepository",
    "FakeSmsSender",
    "FakeUserRepository",
]
