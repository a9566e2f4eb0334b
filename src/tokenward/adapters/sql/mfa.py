"""``MfaRepository`` and ``MfaChallengeRepository`` on SQL.

Single use is decided by conditional UPDATEs, never by a read followed by a write: a TOTP time step is
claimed with ``last_step < :step``, a recovery code with ``used_at IS NULL``, an MFA challenge with
``used_at IS NULL AND failed_attempts < :max``. The database lets exactly one concurrent caller change the
row, so one code can never sign in twice, however the requests race.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Row,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import mfa_challenges, otp_factors, passkeys, recovery_codes, totp_factors
from tokenward.domain.mfa import MfaChallenge, TotpFactor
from tokenward.domain.mfa.proofs import TOTP, WEBAUTHN

_USER: BindParameter[str] = bindparam("user_id")
#: built once: the kinds of second factor of one user (``FactorIndex``)
_FACTOR_KINDS = union_all(
    select(literal(TOTP).label("kind")).where(
        exists().where(totp_factors.c.user_id == _USER, totp_factors.c.confirmed_at.is_not(None))
    ),
    select(literal(WEBAUTHN).label("kind")).where(exists().where(passkeys.c.user_id == _USER)),
    select(otp_factors.c.channel.label("kind")).where(otp_factors.c.user_id == _USER),
)


class SqlMfaRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def factor_kinds(self, user_id: str) -> frozenset[str]:
        """One statement: a row per confirmed app, per passkey kind and per proven destination's channel."""
        async with self._db.read() as conn:
            rows = (await conn.execute(_FACTOR_KINDS, {"user_id": user_id})).scalars().all()
        return frozenset(rows)

    async def active_totp(self, user_id: str) -> TotpFactor | None:
        return await self._one_factor(user_id, confirmed=True)

    async def pending_totp(self, user_id: str) -> TotpFactor | None:
        return await self._one_factor(user_id, confirmed=False)

    async def save_pending_totp(self, factor: TotpFactor) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                delete(totp_factors).where(
                    totp_factors.c.user_id == factor.user_id, totp_factors.c.confirmed_at.is_(None)
                )
            )
            await conn.execute(
                insert(totp_factors).values(
                    id=factor.id,
                    user_id=factor.user_id,
                    encrypted_secret=factor.encrypted_secret,
                    created_at=factor.created_at,
                    confirmed_at=None,
                    last_step=None,
                )
            )

    async def activate_totp(
        self, factor_id: str, step: int, now: datetime, recovery_code_hashes: Sequence[str]
    ) -> bool:
        async with self._db.write() as conn:
            user_id = (
                await conn.execute(
                    update(totp_factors)
                    .where(totp_factors.c.id == factor_id, totp_factors.c.confirmed_at.is_(None))
                    .values(confirmed_at=now, last_step=step)
                    .returning(totp_factors.c.user_id)
                )
            ).scalar_one_or_none()
            if user_id is None:
                return False
            await conn.execute(
                delete(totp_factors).where(totp_factors.c.user_id == user_id, totp_factors.c.id != factor_id)
            )
            await _replace_codes(conn, user_id, recovery_code_hashes, now)
        return True

    async def claim_totp_step(self, factor_id: str, step: int) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(totp_factors)
                .where(
                    totp_factors.c.id == factor_id,
                    totp_factors.c.confirmed_at.is_not(None),
                    or_(totp_factors.c.last_step.is_(None), totp_factors.c.last_step < step),
                )
                .values(last_step=step)
            )
        return result.rowcount == 1

    async def remove_totp(self, user_id: str) -> bool:
        async with self._db.write() as conn:
            removed = await conn.execute(
                delete(totp_factors)
                .where(totp_factors.c.user_id == user_id)
                .returning(totp_factors.c.confirmed_at)
            )
            was_active = any(confirmed is not None for confirmed in removed.scalars().all())
            await conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        return was_active

    async def replace_recovery_codes(self, user_id: str, code_hashes: Sequence[str], now: datetime) -> None:
        async with self._db.write() as conn:
            await _replace_codes(conn, user_id, code_hashes, now)

    async def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(recovery_codes)
                .where(
                    recovery_codes.c.code_hash == code_hash,
                    recovery_codes.c.user_id == user_id,
                    recovery_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
        return result.rowcount == 1

    async def unused_recovery_codes(self, user_id: str) -> int:
        async with self._db.read() as conn:
            count = await conn.scalar(
                select(func.count())
                .select_from(recovery_codes)
                .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
            )
        return int(count or 0)

    async def all_totp_factors(self) -> list[TotpFactor]:
        async with self._db.read() as conn:
            rows = (await conn.execute(select(totp_factors).order_by(totp_factors.c.created_at))).all()
        return [_factor(row) for row in rows]

    async def replace_encrypted_secrets(self, secrets_by_factor: Mapping[str, bytes]) -> None:
        async with self._db.write() as conn:
            for factor_id, sealed in secrets_by_factor.items():
                await conn.execute(
                    update(totp_factors).where(totp_factors.c.id == factor_id).values(encrypted_secret=sealed)
                )

    async def _one_factor(self, user_id: str, *, confirmed: bool) -> TotpFactor | None:
        column = totp_factors.c.confirmed_at
        statement = (
            select(totp_factors)
            .where(totp_factors.c.user_id == user_id, column.is_not(None) if confirmed else column.is_(None))
            .order_by(totp_factors.c.created_at.desc())
            .limit(1)
        )
        async with self._db.read() as conn:
            row = (await conn.execute(statement)).one_or_none()
        return None if row is None else _factor(row)

    # ----------------------------------------------------------------------------------------- challenges

    async def add_challenge(self, challenge: MfaChallenge) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(mfa_challenges).values(
                    token_hash=challenge.token_hash,
                    user_id=challenge.user_id,
                    created_at=challenge.created_at,
                    expires_at=challenge.expires_at,
                    ip=challenge.ip,
                    user_agent=challenge.user_agent,
                    failed_attempts=challenge.failed_attempts,
                    used_at=challenge.used_at,
                )
            )

    async def get_challenge(self, token_hash: str) -> MfaChallenge | None:
        async with self._db.read() as conn:
            statement = select(mfa_challenges).where(mfa_challenges.c.token_hash == token_hash)
            row = (await conn.execute(statement)).one_or_none()
        return None if row is None else _challenge(row)

    async def count_challenge_failure(self, token_hash: str) -> int:
        async with self._db.write() as conn:
            count = await conn.scalar(
                update(mfa_challenges)
                .where(mfa_challenges.c.token_hash == token_hash)
                .values(failed_attempts=mfa_challenges.c.failed_attempts + 1)
                .returning(mfa_challenges.c.failed_attempts)
            )
        return int(count or 0)

    async def delete_expired_challenges(self, before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(delete(mfa_challenges).where(mfa_challenges.c.expires_at < before))
        return int(result.rowcount)

    async def consume_challenge(self, token_hash: str, now: datetime, max_failures: int) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(mfa_challenges)
                .where(
                    mfa_challenges.c.token_hash == token_hash,
                    mfa_challenges.c.used_at.is_(None),
                    mfa_challenges.c.failed_attempts < max_failures,
                )
                .values(used_at=now)
            )
        return result.rowcount == 1


async def _replace_codes(
    conn: AsyncConnection, user_id: str, code_hashes: Sequence[str], now: datetime
) -> None:
    await conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
    if code_hashes:
        await conn.execute(
            insert(recovery_codes),
            [{"code_hash": h, "user_id": user_id, "created_at": now, "used_at": None} for h in code_hashes],
        )


def _factor(row: Row[Any]) -> TotpFactor:
    return TotpFactor(
        id=row.id,
        user_id=row.user_id,
        encrypted_secret=bytes(row.encrypted_secret),
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        last_step=row.last_step,
    )


def _challenge(row: Row[Any]) -> MfaChallenge:
    return MfaChallenge(
        token_hash=row.token_hash,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        ip=row.ip,
        user_agent=row.user_agent,
        failed_attempts=row.failed_attempts,
        used_at=row.used_at,
    )
