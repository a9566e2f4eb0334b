"""The kinds of second factor a user has, from the three repositories that hold them: for stores that have no
``FactorIndex`` of their own (the in-memory fakes). The SQL adapter answers the same in one statement
(``SqlMfaRepository.factor_kinds``); the contract test holds it to this one's answers."""

from __future__ import annotations

from tokenward.domain.mfa.ports import MfaRepository, OtpRepository, PasskeyRepository
from tokenward.domain.mfa.proofs import TOTP, WEBAUTHN


class FactorIndexOfThreeReads:
    def __init__(self, factors: MfaRepository, passkeys: PasskeyRepository, otp: OtpRepository) -> None:
        self._factors = factors
        self._passkeys = passkeys
        self._otp = otp

    async def factor_kinds(self, user_id: str) -> frozenset[str]:
        kinds = {factor.channel.value for factor in await self._otp.otp_factors_of(user_id)}
        if await self._passkeys.passkeys_of(user_id):
            kinds.add(WEBAUTHN)
        if await self._factors.active_totp(user_id) is not None:
            kinds.add(TOTP)
        return frozenset(kinds)
