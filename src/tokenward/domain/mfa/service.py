"""Second factors: TOTP enrolment, confirmation and removal, recovery codes, and sign-in challenges.

Every second-factor check, whether at sign-in or to authorise a change of the factors, goes through
``verify_second_factor``, whatever the factor (TOTP, recovery code, passkey, SMS or e-mail code): one place for
the dispatch and one place for the abuse-protection hooks; each factor's own rules live with it (``totp``,
``recovery_codes``, ``passkey_ceremonies``, ``otp_codes``).

Changing how an account is protected (adding or removing any factor, regenerating codes) goes through
``authorise_change``: a sign-in from the last few minutes (the access token's ``auth_time``), so a stolen
long-lived session cannot quietly swap the factor, and, while any factor is set up, a current one as well
(``require_current_factor``, which erasing the account asks for too).

The MFA token of a pending sign-in is an opaque ``twm_`` value: 256 random bits, stored only as a hash with
the user, the client's address, an attempt counter and a five-minute expiry. It is not a JWT, so no verifier
of another kind can mistake it for its own token, and it is used up by the first successful second step or by
``max_challenge_attempts`` wrong codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from tokenward.domain.abuse.throttle import Throttle
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.one_time_tokens import has_shape, hash_opaque_token, new_opaque_token
from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.mfa.model import Ceremony, Channel, CodePurpose, MfaChallenge, TotpFactor
from tokenward.domain.mfa.otp_codes import OtpCodes
from tokenward.domain.mfa.passkey_ceremonies import PasskeyCeremonies, key_amr
from tokenward.domain.mfa.ports import FactorIndex, MfaChallengeRepository, MfaRepository
from tokenward.domain.mfa.proofs import (
    ALL_METHODS,
    RECOVERY_CODE,
    TOTP,
    WEBAUTHN,
    FactorProof,
    as_proof,
)
from tokenward.domain.mfa.recovery_codes import (
    hash_recovery_code,
    new_recovery_codes,
    normalize_recovery_code,
)
from tokenward.domain.mfa.totp import (
    TotpEnrolment,
    looks_like_totp,
    matching_step,
    new_totp_secret,
    provisioning_uri,
    qr_code_svg,
)
from tokenward.domain.sessions.service import Principal, SessionService
from tokenward.errors import (
    InvalidMfaCode,
    InvalidMfaToken,
    InvalidPasskey,
    InvalidRequest,
    MfaCodeReplayed,
    MfaStateConflict,
    ReauthenticationRequired,
)

MFA_TOKEN_PREFIX = "twm_"
#: the authentication methods a sign-in can name (``amr``, RFC 8176); ``rc`` has no registered value
AMR_PASSWORD = "pwd"
AMR_TOTP = "otp"
AMR_RECOVERY_CODE = "rc"
#: what a passkey alone proves (RFC 8176): the key, the user verified on it, and so two factors
AMR_USER_VERIFIED = "user"
AMR_MULTI_FACTOR = "mfa"
#: the methods TOTP brings (recovery codes come with it)
METHODS = (TOTP, RECOVERY_CODE)


@dataclass(frozen=True, slots=True)
class MfaSettings:
    issuer: str
    reauthentication_window: timedelta = timedelta(minutes=10)
    challenge_lifetime: timedelta = timedelta(minutes=5)
    max_challenge_attempts: int = 5
    #: how long an unconfirmed enrolment may wait for its first code
    enrolment_lifetime: timedelta = timedelta(minutes=15)


def totp_secret_binding(factor: TotpFactor) -> str:
    """Associated data for the secret's encryption: a ciphertext moved to another row does not decrypt."""
    return f"totp:{factor.user_id}:{factor.id}"


class MfaService:
    def __init__(
        self,
        *,
        factors: MfaRepository,
        challenges: MfaChallengeRepository,
        encryptor: KeyEncryptor,
        sessions: SessionService,
        audit: AuditTrail,
        clock: Clock,
        settings: MfaSettings,
        throttle: Throttle,
        passkeys: PasskeyCeremonies,
        otp: OtpCodes,
        index: FactorIndex,
    ) -> None:
        self._throttle = throttle
        self._index = index
        self._passkeys = passkeys
        self._otp = otp
        self._factors = factors
        self._challenges = challenges
        self._encryptor = encryptor
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self._settings = settings

    async def is_enabled(self, user_id: str) -> bool:
        """Whether the account has any second factor (and so a password alone does not sign in)."""
        return bool(await self.methods(user_id))

    async def methods(self, user_id: str) -> tuple[str, ...]:
        """The second-factor methods the user can use now, in the order of ``ALL_METHODS``."""
        kinds = await self._index.factor_kinds(user_id)
        found = {c.value for c in Channel if c.value in kinds and self._otp.enabled(c)} | (kinds & {WEBAUTHN})
        return tuple(m for m in ALL_METHODS if m in found or (TOTP in kinds and m in METHODS))

    @property
    def passkeys(self) -> PasskeyCeremonies:
        return self._passkeys

    @property
    def otp(self) -> OtpCodes:
        return self._otp

    async def unused_recovery_codes(self, user_id: str) -> int:
        return await self._factors.unused_recovery_codes(user_id)

    # ------------------------------------------------------------------------------------ managing factors

    async def start_enrolment(
        self, principal: Principal, proof: FactorProof | str | None, context: RequestContext
    ) -> TotpEnrolment:
        """A new unconfirmed TOTP factor. With MFA already on this replaces the app, after a current factor."""
        await self.authorise_change(principal, proof, context)
        user = principal.user
        secret = new_totp_secret()
        factor = TotpFactor(
            id=str(uuid4()), user_id=user.id, encrypted_secret=b"", created_at=self._clock.now()
        )
        sealed = self._encryptor.encrypt(secret.encode("ascii"), totp_secret_binding(factor))
        await self._factors.save_pending_totp(
            TotpFactor(
                id=factor.id,
                user_id=factor.user_id,
                encrypted_secret=sealed,
                created_at=factor.created_at,
            )
        )
        await self._audit.record(AuditEventType.MFA_ENROLMENT_STARTED, context, user_id=user.id)
        uri = provisioning_uri(secret, user.email, self._settings.issuer)
        return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_code_svg(uri))

    async def confirm_enrolment(self, principal: Principal, code: str, context: RequestContext) -> list[str]:
        """Turn the pending factor on with a code from the app; returns the recovery codes (shown once)."""
        user = principal.user
        factor = await self._factors.pending_totp(user.id)
        if factor is None or self._clock.now() > factor.created_at + self._settings.enrolment_lifetime:
            raise MfaStateConflict("No TOTP enrolment is waiting for confirmation; start one first")
        step = matching_step(self._secret(factor), code, self._clock.now())
        if step is None:
            await self._audit.record(
                AuditEventType.MFA_CODE_FAILED,
                context,
                user_id=user.id,
                outcome="failure",
                purpose="enrolment",
            )
            raise InvalidMfaCode()
        codes = new_recovery_codes()
        hashes = [hash_recovery_code(user.id, self._normalized(c)) for c in codes]
        if not await self._factors.activate_totp(factor.id, step, self._clock.now(), hashes):
            raise MfaStateConflict("The enrolment was replaced or confirmed by another request")
        await self._audit.record(AuditEventType.MFA_ENABLED, context, user_id=user.id, methods=list(METHODS))
        return codes

    async def remove_totp(
        self, principal: Principal, proof: FactorProof | str | None, context: RequestContext
    ) -> None:
        """Remove the TOTP app and its recovery codes; every session of the user then claims only ``pwd``."""
        if await self._factors.active_totp(principal.user.id) is None:
            raise MfaStateConflict("TOTP is not on for this account")
        await self.authorise_change(principal, proof, context)
        await self._factors.remove_totp(principal.user.id)
        lowered = await self.lower_sessions(principal.user.id)
        await self._audit.record(
            AuditEventType.MFA_DISABLED, context, user_id=principal.user.id, sessions_lowered=lowered
        )

    async def lower_sessions(self, user_id: str) -> int:
        """After a factor was removed: no session keeps claiming a second factor (refreshed tokens say ``pwd``)."""
        return await self._sessions.set_amr_for_user(user_id, (AMR_PASSWORD,))

    async def remove_totp_for_user(self, user_id: str) -> bool:
        """An operator's removal (a lost authenticator): no code is asked; sessions then claim only ``pwd``."""
        if not await self._factors.remove_totp(user_id):
            return False
        await self.lower_sessions(user_id)
        return True

    async def regenerate_recovery_codes(
        self, principal: Principal, proof: FactorProof | str | None, context: RequestContext
    ) -> list[str]:
        if await self._factors.active_totp(principal.user.id) is None:
            raise MfaStateConflict("TOTP is not on for this account")
        await self.authorise_change(principal, proof, context)
        codes = new_recovery_codes()
        hashes = [hash_recovery_code(principal.user.id, self._normalized(c)) for c in codes]
        await self._factors.replace_recovery_codes(principal.user.id, hashes, self._clock.now())
        await self._audit.record(
            AuditEventType.RECOVERY_CODES_REGENERATED, context, user_id=principal.user.id
        )
        return codes

    # ---------------------------------------------------------------------------------- verifying a factor

    async def verify_second_factor(
        self,
        user: User,
        proof: FactorProof | str,
        context: RequestContext,
        *,
        binding: str | None = None,
    ) -> str:
        """Check a second factor of the user; return its ``amr`` value.

        ``binding`` is the MFA-token hash of the sign-in this is the second step of; without it the proof is a
        step-up before a change. Wrong proofs raise that factor's refusal (``invalid_mfa_code``,
        ``mfa_code_replayed``, ``invalid_passkey`` and its kinds, ``mfa_code_expired``), all recorded.
        """
        proof = as_proof(proof)
        await self._throttle.before_attempt(user.id, context, purpose="mfa")
        kind = proof.kind
        if kind == WEBAUTHN:
            if proof.credential is None:
                raise InvalidPasskey("A passkey response (webauthn) is required for this method")
            ceremony = Ceremony.SECOND_FACTOR if binding else Ceremony.STEP_UP
            passkey, _ = await self._passkeys.verify(
                proof.credential, ceremony, context, user_id=user.id, binding=binding
            )
            method = key_amr(passkey)
        elif kind in (Channel.SMS.value, Channel.EMAIL.value):
            purpose = CodePurpose.SIGN_IN if binding else CodePurpose.STEP_UP
            method = await self._otp.use(
                user.id, Channel(kind), purpose, proof.code or "", context, binding=binding
            )
        elif kind in METHODS:
            method = await self._verify_code(user, proof.code or "", context)
        else:
            raise InvalidRequest(f"Unknown second-factor method; use one of {', '.join(ALL_METHODS)}")
        await self._throttle.attempt_succeeded(user.id, context, purpose="mfa")
        return method

    async def _verify_code(self, user: User, code: str, context: RequestContext) -> str:
        """A TOTP code (once per time step) or an unused recovery code of the user's active TOTP factor."""
        factor = await self._factors.active_totp(user.id)
        if factor is not None and looks_like_totp(code):
            step = matching_step(self._secret(factor), code, self._clock.now())
            if step is not None:
                if await self._factors.claim_totp_step(factor.id, step):
                    return AMR_TOTP
                await self._audit.record(
                    AuditEventType.MFA_CODE_REPLAYED,
                    context,
                    user_id=user.id,
                    outcome="refused",
                    time_step=step,
                )
                raise MfaCodeReplayed()
        normalized = normalize_recovery_code(code)
        if factor is not None and normalized is not None:
            now = self._clock.now()
            if await self._factors.use_recovery_code(user.id, hash_recovery_code(user.id, normalized), now):
                remaining = await self._factors.unused_recovery_codes(user.id)
                await self._audit.record(
                    AuditEventType.RECOVERY_CODE_USED, context, user_id=user.id, remaining=remaining
                )
                return AMR_RECOVERY_CODE
        await self._audit.record(AuditEventType.MFA_CODE_FAILED, context, user_id=user.id, outcome="failure")
        raise InvalidMfaCode()

    # ---------------------------------------------------------------------------------- sign-in challenges

    async def create_challenge(self, user: User, context: RequestContext) -> str:
        """The MFA token handed out after a correct password (the only time it exists in clear text)."""
        now = self._clock.now()
        token = new_opaque_token(MFA_TOKEN_PREFIX)
        await self._challenges.add_challenge(
            MfaChallenge(
                token_hash=hash_opaque_token(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + self._settings.challenge_lifetime,
                ip=context.ip,
                user_agent=context.user_agent,
            )
        )
        return token

    async def open_challenge(self, mfa_token: str) -> MfaChallenge:
        """The live challenge behind an MFA token, or ``InvalidMfaToken`` (one answer for every cause)."""
        if not isinstance(mfa_token, str) or not has_shape(mfa_token, MFA_TOKEN_PREFIX):
            raise InvalidMfaToken()
        challenge = await self._challenges.get_challenge(hash_opaque_token(mfa_token))
        if (
            challenge is None
            or challenge.used_at is not None
            or self._clock.now() >= challenge.expires_at
            or challenge.failed_attempts >= self._settings.max_challenge_attempts
        ):
            raise InvalidMfaToken()
        return challenge

    async def challenge_failed(self, challenge: MfaChallenge) -> None:
        await self._challenges.count_challenge_failure(challenge.token_hash)

    async def close_challenge(self, challenge: MfaChallenge) -> None:
        """Use the challenge up; a second request that got this far with the same token is refused."""
        if not await self._challenges.consume_challenge(
            challenge.token_hash, self._clock.now(), self._settings.max_challenge_attempts
        ):
            raise InvalidMfaToken()

    # ------------------------------------------------------------------------------------------- helpers

    async def authorise_change(
        self, principal: Principal, proof: FactorProof | str | None, context: RequestContext
    ) -> None:
        """The one rule for adding or removing any factor: a recent sign-in, and a current factor if any."""
        auth_time = principal.claims.auth_time
        if auth_time is None or self._clock.now() - auth_time > self._settings.reauthentication_window:
            raise ReauthenticationRequired(
                "Sign in again: changing the second factor needs a sign-in from the last few minutes"
            )
        await self.require_current_factor(principal.user, proof, context)

    async def require_current_factor(
        self, user: User, proof: FactorProof | str | None, context: RequestContext
    ) -> None:
        """While the account has any second factor, a current one of them, whichever the user picks.

        The step-up of ``authorise_change``, and of every other operation a session alone must not be enough
        for (erasing the account). Without any factor there is nothing to prove and ``proof`` is ignored.
        """
        offered = as_proof(proof)
        if await self.is_enabled(user.id):
            if offered.empty:
                raise InvalidMfaCode(
                    "A current second factor (TOTP or recovery code, passkey, or a code sent to you) is required"
                )
            await self.verify_second_factor(user, offered, context)

    async def rewrapped_secrets(self, new_encryptor: KeyEncryptor) -> dict[str, bytes]:
        """Every TOTP secret re-encrypted under a new key-encryption key, not yet stored.

        Decrypts every secret first, so a secret that does not decrypt under the current KEK stops the
        rotation before anything is written (``KeyDecryptionError``).
        """
        return {
            factor.id: self._encryptor.rewrap(
                factor.encrypted_secret, totp_secret_binding(factor), new_encryptor
            )
            for factor in await self._factors.all_totp_factors()
        }

    async def store_rewrapped_secrets(self, sealed: dict[str, bytes]) -> None:
        await self._factors.replace_encrypted_secrets(sealed)

    def _secret(self, factor: TotpFactor) -> str:
        try:
            return self._encryptor.decrypt(factor.encrypted_secret, totp_secret_binding(factor)).decode(
                "ascii"
            )
        except KeyDecryptionError as exc:
            # a wrong KEK or a tampered row; never fall back to accepting codes
            raise InvalidMfaCode() from exc

    @staticmethod
    def _normalized(code: str) -> str:
        normalized = normalize_recovery_code(code)
        assert normalized is not None
        return normalized
