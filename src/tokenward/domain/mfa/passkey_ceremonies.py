"""Passkey ceremonies: issuing WebAuthn challenges and checking the responses against the stored credentials.

A challenge is 32 random bytes, stored only as a SHA-256, valid five minutes, and taken (marked used) by the
first response that names it, right or wrong: a captured response replayed later finds its challenge used
(``passkey_challenge_invalid``). It is bound to its ceremony (registration, passwordless sign-in, second step
of a sign-in, step-up), to the user it was issued for, and for a second step to that sign-in's MFA token, so
a response made for one of them is refused by every other.

Order of the checks: origin (from clientDataJSON), challenge, RP id, the credential (registered, and to this
user), the signature and flags (the library), then the sign counter, which a clone of the authenticator
cannot keep in step with the original: a counter that does not move forward is refused and recorded as
``passkey_clone_suspected``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.mfa.model import Ceremony, Passkey, WebAuthnChallenge
from tokenward.domain.mfa.ports import PasskeyRepository
from tokenward.domain.mfa.webauthn_rp import (
    Assertion,
    RelyingParty,
    authentication_options,
    challenge_hash,
    check_rp_id,
    counter_went_backwards,
    credential_id_of,
    read_client_data,
    registration_options,
    verify_assertion,
    verify_new_credential,
)
from tokenward.errors import (
    Conflict,
    InvalidPasskey,
    PasskeyChallengeInvalid,
    PasskeyCounterRegressed,
    PasskeyUnknown,
)

CHALLENGE_BYTES = 32
USER_HANDLE_BYTES = 32
#: RFC 8176: a synced passkey is a software-secured key, a device-bound one a hardware-secured key
AMR_HARDWARE_KEY = "hwk"
AMR_SOFTWARE_KEY = "swk"


@dataclass(frozen=True, slots=True)
class PasskeySettings:
    rp: RelyingParty
    challenge_lifetime: timedelta = timedelta(minutes=5)
    max_per_user: int = 20


def key_amr(passkey: Passkey) -> str:
    return AMR_SOFTWARE_KEY if passkey.backup_eligible else AMR_HARDWARE_KEY


class PasskeyCeremonies:
    def __init__(
        self, *, repository: PasskeyRepository, audit: AuditTrail, clock: Clock, settings: PasskeySettings
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._clock = clock
        self._settings = settings

    async def passkeys(self, user_id: str) -> list[Passkey]:
        return await self._repository.passkeys_of(user_id)

    # ------------------------------------------------------------------------------------------ options

    async def registration_options(self, user: User) -> dict[str, Any]:
        """Options for a new passkey of ``user``; the user's other passkeys are excluded (no duplicates)."""
        existing = await self._repository.passkeys_of(user.id)
        if len(existing) >= self._settings.max_per_user:
            raise Conflict(f"An account can have at most {self._settings.max_per_user} passkeys")
        handle = (
            existing[0].user_handle
            if existing
            else bytes_to_base64url(secrets.token_bytes(USER_HANDLE_BYTES))
        )
        challenge = await self._issue(Ceremony.REGISTER, user.id, None, user_handle=handle)
        return registration_options(
            self._settings.rp,
            challenge=challenge,
            user_handle=base64url_to_bytes(handle),
            user_name=user.email,
            exclude=[p.credential_id for p in existing],
        )

    async def assertion_options(
        self, ceremony: Ceremony, user_id: str | None = None, binding: str | None = None
    ) -> dict[str, Any]:
        """Options for ``navigator.credentials.get``: any discoverable passkey for passwordless sign-in
        (user verification required), else the user's own passkeys."""
        allow = (
            [] if user_id is None else [(p.credential_id, p.transports) for p in await self.passkeys(user_id)]
        )
        challenge = await self._issue(ceremony, user_id, binding)
        return authentication_options(
            self._settings.rp, challenge=challenge, allow=allow, require_uv=ceremony is Ceremony.SIGN_IN
        )

    async def _issue(
        self, ceremony: Ceremony, user_id: str | None, binding: str | None, *, user_handle: str | None = None
    ) -> bytes:
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        now = self._clock.now()
        await self._repository.add_webauthn_challenge(
            WebAuthnChallenge(
                challenge_hash=challenge_hash(challenge),
                ceremony=ceremony,
                created_at=now,
                expires_at=now + self._settings.challenge_lifetime,
                user_id=user_id,
                binding=binding,
                user_handle=user_handle,
            )
        )
        return challenge

    # --------------------------------------------------------------------------------------- responses

    async def register(
        self, user: User, credential: Mapping[str, Any], name: str, context: RequestContext
    ) -> Passkey:
        rp = self._settings.rp
        challenge = read_client_data(rp, credential, "webauthn.create")
        ceremony = await self._take(challenge, Ceremony.REGISTER, user.id, None, context)
        check_rp_id(rp, credential, registration=True)
        new = verify_new_credential(rp, credential, challenge)
        passkey = Passkey(
            credential_id=new.credential_id,
            user_id=user.id,
            user_handle=ceremony.user_handle or "",
            public_key=new.public_key,
            sign_count=new.sign_count,
            transports=new.transports,
            name=name,
            created_at=self._clock.now(),
            backup_eligible=new.backup_eligible,
        )
        if not await self._repository.add_passkey(passkey):
            raise InvalidPasskey("This passkey is already registered")
        return passkey

    async def verify(
        self,
        credential: Mapping[str, Any],
        ceremony: Ceremony,
        context: RequestContext,
        *,
        user_id: str | None = None,
        binding: str | None = None,
    ) -> tuple[Passkey, Assertion]:
        """Check an assertion of ``ceremony``; for every ceremony but passwordless sign-in it must come from a
        passkey of ``user_id``. Refusals after the challenge was found are recorded."""
        rp = self._settings.rp
        challenge = read_client_data(rp, credential, "webauthn.get")
        await self._take(challenge, ceremony, user_id, binding, context)
        try:
            check_rp_id(rp, credential, registration=False)
            passkey = await self._repository.passkey(credential_id_of(credential))
            if passkey is None or (user_id is not None and passkey.user_id != user_id):
                raise PasskeyUnknown("This passkey is not registered to the account signing in")
            assertion = verify_assertion(
                rp, credential, challenge, passkey.public_key, require_uv=ceremony is Ceremony.SIGN_IN
            )
            if assertion.user_handle is not None and assertion.user_handle != passkey.user_handle:
                raise PasskeyUnknown("The passkey answered for another account")
        except InvalidPasskey as refused:
            await self._audit.record(
                AuditEventType.PASSKEY_REFUSED,
                context,
                user_id=user_id,
                outcome="refused",
                reason=refused.code,
            )
            raise
        await self._advance_counter(passkey, assertion, context)
        return passkey, assertion

    async def _advance_counter(self, passkey: Passkey, assertion: Assertion, context: RequestContext) -> None:
        stored, received = passkey.sign_count, assertion.sign_count
        moved = not counter_went_backwards(stored, received) and await self._repository.advance_sign_count(
            passkey.credential_id, stored, received, self._clock.now()
        )
        if not moved:
            await self._audit.record(
                AuditEventType.PASSKEY_CLONE_SUSPECTED,
                context,
                user_id=passkey.user_id,
                outcome="refused",
                passkey=passkey.name,
                stored_count=stored,
                received_count=received,
            )
            raise PasskeyCounterRegressed(
                "The passkey's sign counter did not move forward; it may have been copied"
            )

    async def _take(
        self,
        challenge: bytes,
        ceremony: Ceremony,
        user_id: str | None,
        binding: str | None,
        context: RequestContext,
    ) -> WebAuthnChallenge:
        now = self._clock.now()
        found = await self._repository.take_webauthn_challenge(challenge_hash(challenge), now)
        if (
            found is None
            or found.ceremony is not ceremony
            or now >= found.expires_at
            or found.user_id != user_id
            or found.binding != binding
        ):
            await self._audit.record(
                AuditEventType.PASSKEY_REFUSED,
                context,
                user_id=user_id,
                outcome="refused",
                reason="challenge",
            )
            raise PasskeyChallengeInvalid(
                "The challenge is unknown, expired, already used, or belongs to another ceremony"
            )
        return found
