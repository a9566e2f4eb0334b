"""More second factors: passkeys with their WebAuthn challenges, SMS/e-mail factors with their codes, and an SMS
sender that keeps the messages (or fails like a gateway that is down)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tests.fakes.base import DuplicateKey
from tokenward.domain.mfa.model import (
    Channel,
    CodePurpose,
    OtpChallenge,
    OtpFactor,
    Passkey,
    WebAuthnChallenge,
)
from tokenward.domain.mfa.sms import SmsMessage
from tokenward.errors import SmsUnavailable


class FakePasskeyRepository:
    def __init__(self) -> None:
        self._passkeys: dict[str, Passkey] = {}
        self._challenges: dict[str, WebAuthnChallenge] = {}

    async def add_passkey(self, passkey: Passkey) -> bool:
        if passkey.credential_id in self._passkeys:
            return False
        self._passkeys[passkey.credential_id] = passkey
        return True

    async def passkeys_of(self, user_id: str) -> list[Passkey]:
        return sorted(
            (p for p in self._passkeys.values() if p.user_id == user_id), key=lambda p: p.created_at
        )

    async def passkey(self, credential_id: str) -> Passkey | None:
        return self._passkeys.get(credential_id)

    async def rename_passkey(self, user_id: str, credential_id: str, name: str) -> bool:
        passkey = self._passkeys.get(credential_id)
        if passkey is None or passkey.user_id != user_id:
            return False
        self._passkeys[credential_id] = replace(passkey, name=name)
        return True

    async def delete_passkey(self, user_id: str, credential_id: str) -> bool:
        passkey = self._passkeys.get(credential_id)
        if passkey is None or passkey.user_id != user_id:
            return False
        del self._passkeys[credential_id]
        return True

    async def advance_sign_count(self, credential_id: str, old: int, new: int, now: datetime) -> bool:
        passkey = self._passkeys.get(credential_id)
        if passkey is None or passkey.sign_count != old:
            return False
        self._passkeys[credential_id] = replace(passkey, sign_count=new, last_used_at=now)
        return True

    async def add_webauthn_challenge(self, challenge: WebAuthnChallenge) -> None:
        if challenge.challenge_hash in self._challenges:
            raise DuplicateKey(f"duplicate challenge {challenge.challenge_hash!r}")
        self._challenges[challenge.challenge_hash] = challenge

    async def take_webauthn_challenge(self, challenge_hash: str, now: datetime) -> WebAuthnChallenge | None:
        challenge = self._challenges.get(challenge_hash)
        if challenge is None or challenge.used_at is not None:
            return None
        taken = self._challenges[challenge_hash] = replace(challenge, used_at=now)
        return taken

    async def delete_expired_webauthn_challenges(self, before: datetime) -> int:
        expired = [h for h, c in self._challenges.items() if c.expires_at < before]
        for challenge_hash in expired:
            del self._challenges[challenge_hash]
        return len(expired)


class FakeOtpRepository:
    def __init__(self) -> None:
        self._factors: dict[tuple[str, Channel], OtpFactor] = {}
        self._challenges: dict[str, OtpChallenge] = {}

    async def otp_factors_of(self, user_id: str) -> list[OtpFactor]:
        return sorted((f for f in self._factors.values() if f.user_id == user_id), key=lambda f: f.created_at)

    async def save_otp_factor(
        self, factor: OtpFactor, challenge_id: str, now: datetime, max_failures: int
    ) -> bool:
        if not await self.use_otp_challenge(challenge_id, now, max_failures):
            return False
        self._factors[(factor.user_id, factor.channel)] = factor
        return True

    async def delete_otp_factor(self, user_id: str, channel: Channel) -> bool:
        return self._factors.pop((user_id, channel), None) is not None

    async def add_otp_challenge(self, challenge: OtpChallenge) -> None:
        if challenge.id in self._challenges:
            raise DuplicateKey(f"duplicate challenge id {challenge.id!r}")
        for key, other in list(self._challenges.items()):
            if other.used_at is None and _same_kind(other, challenge):
                self._challenges[key] = replace(other, used_at=challenge.created_at)
        self._challenges[challenge.id] = challenge

    async def live_otp_challenge(
        self, user_id: str, channel: Channel, purpose: CodePurpose, binding: str | None, now: datetime
    ) -> OtpChallenge | None:
        live = [
            c
            for c in self._challenges.values()
            if (c.user_id, c.channel, c.purpose, c.binding) == (user_id, channel, purpose, binding)
            and c.used_at is None
            and c.expires_at > now
        ]
        return max(live, key=lambda c: c.created_at, default=None)

    async def count_otp_failure(self, challenge_id: str) -> int:
        challenge = self._challenges.get(challenge_id)
        if challenge is None:
            return 0
        updated = self._challenges[challenge_id] = replace(
            challenge, failed_attempts=challenge.failed_attempts + 1
        )
        return updated.failed_attempts

    async def use_otp_challenge(self, challenge_id: str, now: datetime, max_failures: int) -> bool:
        challenge = self._challenges.get(challenge_id)
        if challenge is None or challenge.used_at is not None or challenge.failed_attempts >= max_failures:
            return False
        self._challenges[challenge_id] = replace(challenge, used_at=now)
        return True

    async def delete_expired_otp_challenges(self, before: datetime) -> int:
        expired = [i for i, c in self._challenges.items() if c.expires_at < before]
        for challenge_id in expired:
            del self._challenges[challenge_id]
        return len(expired)

    def stored(self) -> list[OtpChallenge]:
        """Every code record, for tests that check what was (not) written."""
        return list(self._challenges.values())


def _same_kind(a: OtpChallenge, b: OtpChallenge) -> bool:
    return (a.user_id, a.channel, a.purpose, a.binding) == (b.user_id, b.channel, b.purpose, b.binding)


class FakeSmsSender:
    """Keeps every text message; with ``failing`` set it refuses like a gateway that is down."""

    def __init__(self) -> None:
        self.sent: list[SmsMessage] = []
        self.failing = False

    async def send(self, message: SmsMessage) -> None:
        if self.failing:
            raise SmsUnavailable()
        self.sent.append(message)
