"""What a caller offers as a second factor: a code (TOTP, recovery, SMS, e-mail) or a WebAuthn assertion.

One shape for the sign-in's second step and for proving a current factor before a change of the factors, so
both go through ``MfaService.verify_second_factor``. A plain string is a TOTP or recovery code, as before there
were other factors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TOTP = "totp"
RECOVERY_CODE = "recovery_code"
WEBAUTHN = "webauthn"
SMS = "sms"
EMAIL = "email"
#: every method name a client may send, in the order sign-in lists them
ALL_METHODS = (WEBAUTHN, TOTP, RECOVERY_CODE, SMS, EMAIL)


@dataclass(frozen=True, slots=True)
class FactorProof:
    #: one of ``ALL_METHODS``; ``None`` means a TOTP or recovery code
    method: str | None = None
    code: str | None = None
    #: a WebAuthn assertion (``navigator.credentials.get`` as JSON)
    credential: Mapping[str, Any] | None = None

    def __repr__(self) -> str:
        return f"FactorProof(method={self.method!r}, [redacted])"

    @property
    def empty(self) -> bool:
        return not self.code and self.credential is None

    @property
    def kind(self) -> str:
        """The method this proof is for, resolving an unnamed one from what it carries."""
        if self.method:
            return self.method
        return WEBAUTHN if self.credential is not None else TOTP


def as_proof(value: FactorProof | str | None) -> FactorProof:
    if isinstance(value, FactorProof):
        return value
    return FactorProof(code=value or None)
