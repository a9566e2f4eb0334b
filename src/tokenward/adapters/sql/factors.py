"""``PasskeyRepository`` and ``OtpRepository`` on SQL.

Every single-use rule is one conditional UPDATE: a WebAuthn challenge is taken with ``used_at IS NULL``, a
sign counter moves only if it is still the value that was read, a code is used with ``used_at IS NULL AND
failed_attempts < :max``. An enrolment code is used and its factor stored in one transaction, so a phone is
either proven and enrolled or not enrolled at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import otp_challenges, otp_factors, passkeys, webauthn_challenges
from tokenward.domain.mfa.model import (
    Ceremony,
    Channel,
    CodePurpose,
    OtpChallenge,
    OtpFactor,
    Passkey,
    WebAuthnChallenge,
)


class SqlPasskeyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_passkey(self, passkey: Passkey) -> bool:
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    insert(passkeys).values(
                        credential_id=passkey.credential_id,
                        user_id=passkey.user_id,
                        user_handle=passkey.user_handle,
                        public_key=passkey.public_key,
                        sign_count=passkey.sign_count,
                        transports=list(passkey.transports),
                        name=passkey.name,
                        backup_eligible=passkey.backup_eligible,
                        created_at=passkey.created_at,
                        last_used_at=passkey.last_used_at,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def passkeys_of(self, user_id: str) -> list[Passkey]:
        statement = select(passkeys).where(passkeys.c.user_id == user_id).order_by(passkeys.c.created_at)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_passkey(row) for row in rows]

    async def passkey(self, credential_id: str) -> Passkey | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(select(passkeys).where(passkeys.c.credential_id == credential_id))
            ).one_or_none()
        return None if row is None else _passkey(row)

    async def rename_passkey(self, user_id: str, credential_id: str, name: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(passkeys)
                .where(passkeys.c.credential_id == credential_id, passkeys.c.user_id == user_id)
                .values(name=name)
            )
        return result.rowcount == 1

    async def delete_passkey(self, user_id: str, credential_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(passkeys).where(
                    passkeys.c.credential_id == credential_id, passkeys.c.user_id == user_id
                )
            )
        return result.rowcount == 1

    async def advance_sign_count(self, credential_id: str, old: int, new: int, now: datetime) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(passkeys)
                .where(passkeys.c.credential_id == credential_id, passkeys.c.sign_count == old)
                .values(sign_count=new, last_used_at=now)
            )
        return result.rowcount == 1

    async def add_webauthn_challenge(self, challenge: WebAuthnChallenge) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(webauthn_challenges).values(
                    challenge_hash=challenge.challenge_hash,
                    ceremony=challenge.ceremony.value,
                    user_id=challenge.user_id,
                    binding=challenge.binding,
                    user_handle=challenge.user_handle,
                    created_at=challenge.created_at,
                    expires_at=challenge.expires_at,
                    used_at=challenge.used_at,
                )
            )

    async def take_webauthn_challenge(self, challenge_hash: str, now: datetime) -> WebAuthnChallenge | None:
        table = webauthn_challenges
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    update(table)
                    .where(table.c.challenge_hash == challenge_hash, table.c.used_at.is_(None))
                    .values(used_at=now)
                    .returning(*table.c)
                )
            ).one_or_none()
        if row is None:
            return None
        return WebAuthnChallenge(
            challenge_hash=row.challenge_hash,
            ceremony=Ceremony(row.ceremony),
            created_at=row.created_at,
            expires_at=row.expires_at,
            user_id=row.user_id,
            binding=row.binding,
            user_handle=row.user_handle,
            used_at=row.used_at,
        )

    async def delete_expired_webauthn_challenges(self, before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(webauthn_challenges).where(webauthn_challenges.c.expires_at < before)
            )
        return int(result.rowcount)


class SqlOtpRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def otp_factors_of(self, user_id: str) -> list[OtpFactor]:
        statement = (
            select(otp_factors).where(otp_factors.c.user_id == user_id).order_by(otp_factors.c.created_at)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [
            OtpFactor(
                id=row.id,
                user_id=row.user_id,
                channel=Channel(row.channel),
                destination=row.destination,
                created_at=row.created_at,
                last_used_at=row.last_used_at,
            )
            for row in rows
        ]

    async def save_otp_factor(
        self, factor: OtpFactor, challenge_id: str, now: datetime, max_failures: int
    ) -> bool:
        async with self._db.write() as conn:
            used = await conn.execute(_use_challenge(challenge_id, now, max_failures))
            if used.rowcount != 1:
                return False
            await conn.execute(
                delete(otp_factors).where(
                    otp_factors.c.user_id == factor.user_id, otp_factors.c.channel == factor.channel.value
                )
            )
            await conn.execute(
                insert(otp_factors).values(
                    id=factor.id,
                    user_id=factor.user_id,
                    channel=factor.channel.value,
                    destination=factor.destination,
                    created_at=factor.created_at,
                    last_used_at=None,
                )
            )
        return True

    async def delete_otp_factor(self, user_id: str, channel: Channel) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(otp_factors).where(
                    otp_factors.c.user_id == user_id, otp_factors.c.channel == channel.value
                )
            )
        return result.rowcount == 1

    async def add_otp_challenge(self, challenge: OtpChallenge) -> None:
        table = otp_challenges
        same_kind = [
            table.c.user_id == challenge.user_id,
            table.c.channel == challenge.channel.value,
            table.c.purpose == challenge.purpose.value,
            table.c.used_at.is_(None),
            table.c.binding.is_(None) if challenge.binding is None else table.c.binding == challenge.binding,
        ]
        async with self._db.write() as conn:
            # a new code voids the older unused ones of its kind
            await conn.execute(update(table).where(*same_kind).values(used_at=challenge.created_at))
            await conn.execute(
                insert(table).values(
                    id=challenge.id,
                    user_id=challenge.user_id,
                    channel=challenge.channel.value,
                    purpose=challenge.purpose.value,
                    destination=challenge.destination,
                    binding=challenge.binding,
                    code_hash=challenge.code_hash,
                    created_at=challenge.created_at,
                    expires_at=challenge.expires_at,
                    failed_attempts=challenge.failed_attempts,
                    used_at=challenge.used_at,
                )
            )

    async def live_otp_challenge(
        self, user_id: str, channel: Channel, purpose: CodePurpose, binding: str | None, now: datetime
    ) -> OtpChallenge | None:
        table = otp_challenges
        statement = (
            select(table)
            .where(
                table.c.user_id == user_id,
                table.c.channel == channel.value,
                table.c.purpose == purpose.value,
                table.c.binding.is_(None) if binding is None else table.c.binding == binding,
                table.c.used_at.is_(None),
                table.c.expires_at > now,
            )
            .order_by(table.c.created_at.desc())
            .limit(1)
        )
        async with self._db.read() as conn:
            row = (await conn.execute(statement)).one_or_none()
        return None if row is None else _otp_challenge(row)

    async def count_otp_failure(self, challenge_id: str) -> int:
        async with self._db.write() as conn:
            count = await conn.scalar(
                update(otp_challenges)
                .where(otp_challenges.c.id == challenge_id)
                .values(failed_attempts=otp_challenges.c.failed_attempts + 1)
                .returning(otp_challenges.c.failed_attempts)
            )
        return int(count or 0)

    async def use_otp_challenge(self, challenge_id: str, now: datetime, max_failures: int) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(_use_challenge(challenge_id, now, max_failures))
        return result.rowcount == 1

    async def delete_expired_otp_challenges(self, before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(delete(otp_challenges).where(otp_challenges.c.expires_at < before))
        return int(result.rowcount)


def _use_challenge(challenge_id: str, now: datetime, max_failures: int) -> Any:
    return (
        update(otp_challenges)
        .where(
            otp_challenges.c.id == challenge_id,
            otp_challenges.c.used_at.is_(None),
            otp_challenges.c.failed_attempts < max_failures,
        )
        .values(used_at=now)
    )


def _passkey(row: Row[Any]) -> Passkey:
    return Passkey(
        credential_id=row.credential_id,
        user_id=row.user_id,
        user_handle=row.user_handle,
        public_key=bytes(row.public_key),
        sign_count=int(row.sign_count),
        transports=tuple(row.transports or ()),
        name=row.name,
        created_at=row.created_at,
        backup_eligible=bool(row.backup_eligible),
        last_used_at=row.last_used_at,
    )


def _otp_challenge(row: Row[Any]) -> OtpChallenge:
    return OtpChallenge(
        id=row.id,
        user_id=row.user_id,
        channel=Channel(row.channel),
        purpose=CodePurpose(row.purpose),
        destination=row.destination,
        code_hash=row.code_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        binding=row.binding,
        failed_attempts=row.failed_attempts,
        used_at=row.used_at,
    )
