"""One-time codes by SMS and e-mail: sending (with limits), checking, and the factors they prove.

A code is bound to its user, channel, purpose (enrolment, sign-in, step-up) and, at sign-in, to the MFA token
of that sign-in; a new code of the same kind voids the older ones. It lives five minutes, is stored as a hash,
works once, and five wrong tries end it (``mfa_code_expired`` afterwards, even for the right code).

Sending costs money and can be abused (SMS pumping: an attacker makes the server text premium numbers), so
every send is counted before anything goes out, per account and per destination, in the shared rate-limit
store; past the limit the answer is ``code_send_limited``. The message is handed to the sender *before* the
challenge is stored, so a gateway that fails leaves nothing behind. Codes are never logged or audited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import uuid4

from tokenward.domain.abuse.model import Rate
from tokenward.domain.abuse.ports import RateLimiter
from tokenward.domain.abuse.throttle import account_key
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.model import EmailMessage
from tokenward.domain.email.ports import Mailer
from tokenward.domain.mfa.model import Channel, CodePurpose, OtpChallenge, OtpFactor
from tokenward.domain.mfa.one_time_codes import code_matches, hash_code, looks_like_code, new_code
from tokenward.domain.mfa.phones import masked
from tokenward.domain.mfa.ports import OtpRepository
from tokenward.domain.mfa.sms import SmsMessage, SmsSender
from tokenward.errors import CodeSendLimited, InvalidMfaCode, MfaCodeExpired, MfaMethodUnavailable

#: RFC 8176 ``amr`` values: ``sms`` for a code by text message, ``otp`` for one by e-mail
AMR_BY_CHANNEL = {Channel.SMS: "sms", Channel.EMAIL: "otp"}


@dataclass(frozen=True, slots=True)
class OtpSettings:
    service_name: str
    #: NIST SP 800-63B calls SMS "restricted": off unless the operator turns it on
    sms_enabled: bool = False
    email_enabled: bool = True
    code_lifetime: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    sends_per_account: tuple[Rate, ...] = (Rate(3, 60), Rate(10, 3600))
    sends_per_destination: tuple[Rate, ...] = (Rate(3, 60), Rate(10, 3600))


@dataclass(frozen=True, slots=True)
class CodeSent:
    channel: Channel
    #: the destination as it may be shown (a masked phone number, the e-mail address)
    shown_to: str
    expires_in: int


class OtpCodes:
    def __init__(
        self,
        *,
        repository: OtpRepository,
        sms: SmsSender,
        mailer: Mailer,
        limiter: RateLimiter,
        audit: AuditTrail,
        clock: Clock,
        settings: OtpSettings,
    ) -> None:
        self._repository = repository
        self._sms = sms
        self._mailer = mailer
        self._limiter = limiter
        self._audit = audit
        self._clock = clock
        self._settings = settings

    @property
    def settings(self) -> OtpSettings:
        return self._settings

    def enabled(self, channel: Channel) -> bool:
        return self._settings.sms_enabled if channel is Channel.SMS else self._settings.email_enabled

    def require_enabled(self, channel: Channel) -> None:
        if not self.enabled(channel):
            raise MfaMethodUnavailable(f"Codes by {channel.value} are turned off on this server")

    async def factors(self, user_id: str) -> list[OtpFactor]:
        """The user's proven destinations whose channel is turned on."""
        return [f for f in await self._repository.otp_factors_of(user_id) if self.enabled(f.channel)]

    async def factor(self, user_id: str, channel: Channel) -> OtpFactor:
        self.require_enabled(channel)
        for factor in await self.factors(user_id):
            if factor.channel is channel:
                return factor
        raise MfaMethodUnavailable(f"No {channel.value} factor is set up for this account")

    # -------------------------------------------------------------------------------------------- sending

    async def send(
        self,
        user_id: str,
        channel: Channel,
        purpose: CodePurpose,
        destination: str,
        context: RequestContext,
        *,
        binding: str | None = None,
    ) -> CodeSent:
        """Count the send, deliver a new code, then store its hash (nothing is stored if delivery fails)."""
        self.require_enabled(channel)
        await self._count_send(user_id, channel, destination, context)
        now = self._clock.now()
        code = new_code()
        challenge = OtpChallenge(
            id=str(uuid4()),
            user_id=user_id,
            channel=channel,
            purpose=purpose,
            destination=destination,
            code_hash="",
            created_at=now,
            expires_at=now + self._settings.code_lifetime,
            binding=binding,
        )
        await self._deliver(channel, destination, code)
        await self._repository.add_otp_challenge(replace(challenge, code_hash=hash_code(challenge.id, code)))
        shown = masked(destination) if channel is Channel.SMS else destination
        await self._audit.record(
            AuditEventType.MFA_CODE_SENT,
            context,
            user_id=user_id,
            channel=channel.value,
            purpose=purpose.value,
            to=masked(destination) if channel is Channel.SMS else "account address",
        )
        return CodeSent(channel, shown, int(self._settings.code_lifetime.total_seconds()))

    async def _count_send(
        self, user_id: str, channel: Channel, destination: str, context: RequestContext
    ) -> None:
        keys = [
            (rate, f"otp-send:account:{account_key(user_id)}") for rate in self._settings.sends_per_account
        ] + [
            (rate, f"otp-send:to:{account_key(destination)}") for rate in self._settings.sends_per_destination
        ]
        for rate, key in keys:
            decision = await self._limiter.acquire(rate, f"{key}:{rate}")
            if not decision.allowed:
                await self._audit.record(
                    AuditEventType.MFA_CODE_SEND_LIMITED,
                    context,
                    user_id=user_id,
                    outcome="refused",
                    channel=channel.value,
                    limit=str(rate),
                )
                raise CodeSendLimited(retry_after=decision.retry_after)

    async def _deliver(self, channel: Channel, destination: str, code: str) -> None:
        name = self._settings.service_name
        minutes = int(self._settings.code_lifetime.total_seconds() // 60)
        if channel is Channel.SMS:
            await self._sms.send(
                SmsMessage(
                    to=destination,
                    kind="mfa_code",
                    body=f"{code} is your {name} code. It expires in {minutes} minutes.",
                )
            )
            return
        await self._mailer.send(
            EmailMessage(
                to=destination,
                kind="mfa_code",
                subject=f"Your {name} sign-in code",
                body=(
                    f"Your {name} code is {code}\n\nIt works once and expires in {minutes} minutes. If you did "
                    "not ask for it, someone may know your password: change it.\n"
                ),
            )
        )

    # ------------------------------------------------------------------------------------------- checking

    async def check(
        self,
        user_id: str,
        channel: Channel,
        purpose: CodePurpose,
        code: str,
        context: RequestContext,
        *,
        binding: str | None = None,
    ) -> OtpChallenge:
        """The live challenge ``code`` answers (not yet used up), or the refusal; a wrong code is counted."""
        challenge = await self._repository.live_otp_challenge(
            user_id, channel, purpose, binding, self._clock.now()
        )
        if challenge is None or challenge.failed_attempts >= self._settings.max_attempts:
            raise MfaCodeExpired()
        if not looks_like_code(code) or not code_matches(challenge.id, code, challenge.code_hash):
            failures = await self._repository.count_otp_failure(challenge.id)
            await self._audit.record(
                AuditEventType.MFA_CODE_FAILED,
                context,
                user_id=user_id,
                outcome="failure",
                channel=channel.value,
                purpose=purpose.value,
                attempts=failures,
            )
            raise InvalidMfaCode()
        return challenge

    async def use(
        self,
        user_id: str,
        channel: Channel,
        purpose: CodePurpose,
        code: str,
        context: RequestContext,
        *,
        binding: str | None = None,
    ) -> str:
        """Check and use up a code of an existing factor; returns the ``amr`` value of the channel."""
        challenge = await self.check(user_id, channel, purpose, code, context, binding=binding)
        if not await self._repository.use_otp_challenge(
            challenge.id, self._clock.now(), self._settings.max_attempts
        ):
            raise MfaCodeExpired()
        return AMR_BY_CHANNEL[channel]

    async def enrol(self, user_id: str, channel: Channel, code: str, context: RequestContext) -> OtpFactor:
        """Store the destination an enrolment code proved, using the code up in the same transaction."""
        self.require_enabled(channel)
        challenge = await self.check(user_id, channel, CodePurpose.ENROL, code, context)
        now = self._clock.now()
        factor = OtpFactor(
            id=str(uuid4()),
            user_id=user_id,
            channel=channel,
            destination=challenge.destination,
            created_at=now,
        )
        if not await self._repository.save_otp_factor(factor, challenge.id, now, self._settings.max_attempts):
            raise MfaCodeExpired()
        return factor

    async def remove(self, user_id: str, channel: Channel) -> bool:
        return await self._repository.delete_otp_factor(user_id, channel)
