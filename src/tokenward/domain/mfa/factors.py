"""Managing passkeys and SMS/e-mail factors, and sending what a second step or a step-up needs.

Adding or removing any factor goes through ``MfaService.authorise_change`` (a recent sign-in, and a current
factor while one is set up), the same rule TOTP enrolment follows; so does deleting the last factor. Renaming a
passkey changes no protection and needs only the session. Removing a factor lowers every session of the user to
``amr`` ``["pwd"]``, as removing TOTP does. A password reset touches none of this: every factor stays.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.mfa.model import Ceremony, Channel, CodePurpose, OtpFactor, Passkey
from tokenward.domain.mfa.otp_codes import CodeSent, OtpCodes
from tokenward.domain.mfa.passkey_ceremonies import PasskeyCeremonies
from tokenward.domain.mfa.phones import masked, to_e164
from tokenward.domain.mfa.ports import OtpRepository, PasskeyRepository
from tokenward.domain.mfa.proofs import WEBAUTHN, FactorProof
from tokenward.domain.mfa.service import MfaService
from tokenward.domain.sessions.service import Principal
from tokenward.errors import InvalidRequest, NotFound

MAX_NAME = 64
DEFAULT_NAME = "Passkey"
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def passkey_name(name: str | None) -> str:
    text = _UNPRINTABLE.sub(" ", name or "").strip()
    if len(text) > MAX_NAME:
        raise InvalidRequest(f"A passkey name has at most {MAX_NAME} characters")
    return text or DEFAULT_NAME


@dataclass(frozen=True, slots=True)
class FactorOverview:
    methods: tuple[str, ...]
    passkeys: list[Passkey]
    otp_factors: list[OtpFactor]
    recovery_codes_left: int


def shown_destination(factor: OtpFactor) -> str:
    return masked(factor.destination) if factor.channel is Channel.SMS else factor.destination


class FactorManagement:
    def __init__(
        self,
        *,
        mfa: MfaService,
        passkeys: PasskeyCeremonies,
        passkey_store: PasskeyRepository,
        otp: OtpCodes,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._mfa = mfa
        self._passkeys = passkeys
        self._store = passkey_store
        self._otp = otp
        self._audit = audit
        self._clock = clock

    async def overview(self, user_id: str) -> FactorOverview:
        return FactorOverview(
            methods=await self._mfa.methods(user_id),
            passkeys=await self._passkeys.passkeys(user_id),
            otp_factors=await self._otp.factors(user_id),
            recovery_codes_left=await self._mfa.unused_recovery_codes(user_id),
        )

    # ------------------------------------------------------------------------------------------- passkeys

    async def passkey_registration_options(
        self, principal: Principal, proof: FactorProof | None, context: RequestContext
    ) -> dict[str, Any]:
        await self._mfa.authorise_change(principal, proof, context)
        return await self._passkeys.registration_options(principal.user)

    async def register_passkey(
        self, principal: Principal, credential: Mapping[str, Any], name: str | None, context: RequestContext
    ) -> Passkey:
        """Store a new passkey; its challenge came from ``passkey_registration_options`` (after the step-up)."""
        passkey = await self._passkeys.register(principal.user, credential, passkey_name(name), context)
        await self._audit.record(
            AuditEventType.MFA_FACTOR_ADDED,
            context,
            user_id=principal.user.id,
            session_id=principal.session.id,
            method=WEBAUTHN,
            name=passkey.name,
        )
        return passkey

    async def rename_passkey(self, principal: Principal, credential_id: str, name: str | None) -> Passkey:
        new_name = passkey_name(name)
        if not await self._store.rename_passkey(principal.user.id, credential_id, new_name):
            raise NotFound("No such passkey on this account")
        await self._audit.record(
            AuditEventType.PASSKEY_RENAMED,
            None,
            user_id=principal.user.id,
            session_id=principal.session.id,
            name=new_name,
        )
        renamed = await self._store.passkey(credential_id)
        assert renamed is not None
        return renamed

    async def delete_passkey(
        self, principal: Principal, credential_id: str, proof: FactorProof | None, context: RequestContext
    ) -> None:
        passkey = await self._store.passkey(credential_id)
        if passkey is None or passkey.user_id != principal.user.id:
            raise NotFound("No such passkey on this account")
        await self._mfa.authorise_change(principal, proof, context)
        if not await self._store.delete_passkey(principal.user.id, credential_id):
            raise NotFound("No such passkey on this account")
        lowered = await self._mfa.lower_sessions(principal.user.id)
        await self._audit.record(
            AuditEventType.MFA_FACTOR_REMOVED,
            context,
            user_id=principal.user.id,
            session_id=principal.session.id,
            method=WEBAUTHN,
            name=passkey.name,
            sessions_lowered=lowered,
        )

    # ---------------------------------------------------------------------------------- SMS and e-mail

    async def start_otp_enrolment(
        self,
        principal: Principal,
        channel: Channel,
        phone: str | None,
        proof: FactorProof | None,
        context: RequestContext,
    ) -> CodeSent:
        """Send a code to the new destination; it is stored only when the code comes back (``confirm``)."""
        self._otp.require_enabled(channel)
        destination = to_e164(phone or "") if channel is Channel.SMS else principal.user.email
        await self._mfa.authorise_change(principal, proof, context)
        return await self._otp.send(principal.user.id, channel, CodePurpose.ENROL, destination, context)

    async def confirm_otp_enrolment(
        self, principal: Principal, channel: Channel, code: str, context: RequestContext
    ) -> OtpFactor:
        factor = await self._otp.enrol(principal.user.id, channel, code, context)
        await self._audit.record(
            AuditEventType.MFA_FACTOR_ADDED,
            context,
            user_id=principal.user.id,
            session_id=principal.session.id,
            method=channel.value,
            to=shown_destination(factor),
        )
        return factor

    async def remove_otp_factor(
        self, principal: Principal, channel: Channel, proof: FactorProof | None, context: RequestContext
    ) -> None:
        factor = await self._otp.factor(principal.user.id, channel)
        await self._mfa.authorise_change(principal, proof, context)
        await self._otp.remove(principal.user.id, channel)
        lowered = await self._mfa.lower_sessions(principal.user.id)
        await self._audit.record(
            AuditEventType.MFA_FACTOR_REMOVED,
            context,
            user_id=principal.user.id,
            session_id=principal.session.id,
            method=channel.value,
            to=shown_destination(factor),
            sessions_lowered=lowered,
        )

    # ----------------------------------------------------------- what a second step or a step-up needs

    async def send_code(
        self, user_id: str, method: str, context: RequestContext, *, binding: str | None = None
    ) -> CodeSent:
        """Text or e-mail a code to the user's enrolled destination: a sign-in's second step or a step-up."""
        if method not in (Channel.SMS.value, Channel.EMAIL.value):
            raise InvalidRequest("Codes are sent for the methods sms and email")
        factor = await self._otp.factor(user_id, Channel(method))
        purpose = CodePurpose.SIGN_IN if binding else CodePurpose.STEP_UP
        return await self._otp.send(
            user_id, factor.channel, purpose, factor.destination, context, binding=binding
        )

    async def sign_in_methods(self, mfa_token: str) -> tuple[str, ...]:
        """The methods the second step of this sign-in may use (``InvalidMfaToken`` once it is over)."""
        challenge = await self._mfa.open_challenge(mfa_token)
        return await self._mfa.methods(challenge.user_id)

    async def send_sign_in_code(self, mfa_token: str, method: str, context: RequestContext) -> CodeSent:
        challenge = await self._mfa.open_challenge(mfa_token)
        return await self.send_code(challenge.user_id, method, context, binding=challenge.token_hash)

    async def passkey_options(self, user_id: str, *, binding: str | None = None) -> dict[str, Any]:
        ceremony = Ceremony.SECOND_FACTOR if binding else Ceremony.STEP_UP
        return await self._passkeys.assertion_options(ceremony, user_id, binding)

    async def sign_in_passkey_options(self, mfa_token: str) -> dict[str, Any]:
        challenge = await self._mfa.open_challenge(mfa_token)
        return await self.passkey_options(challenge.user_id, binding=challenge.token_hash)

    async def passwordless_options(self) -> dict[str, Any]:
        return await self._passkeys.assertion_options(Ceremony.SIGN_IN)


class ExpiredFactorChallenges:
    """Clean-up: WebAuthn challenges and one-time codes past their five minutes, used or not."""

    name = "factor_challenges"

    def __init__(self, passkeys: PasskeyRepository, codes: OtpRepository) -> None:
        self._passkeys = passkeys
        self._codes = codes

    async def delete_expired(self, now: datetime, policy: object) -> int:
        return await self._passkeys.delete_expired_webauthn_challenges(
            now
        ) + await self._codes.delete_expired_otp_challenges(now)
