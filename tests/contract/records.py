"""Builders for the domain records the contract tests store: valid by default, one keyword to vary."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEvent
from tokenward.domain.keys.model import KeyState, StoredKey
from tokenward.domain.sessions.model import RefreshTokenRecord, Session


def token_hash() -> str:
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def user(now: datetime, **changes: Any) -> User:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "email": f"user-{secrets.token_hex(4)}@example.com",
        "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        "created_at": now,
        "updated_at": now,
    }
    values.update(changes)
    return User(**values)


def session(user_id: str, now: datetime, **changes: Any) -> Session:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        "family_id": str(uuid.uuid4()),
        "created_at": now,
        "last_used_at": now,
        "expires_at": now + timedelta(days=30),
        "auth_time": now,
        "amr": ("pwd", "otp"),
        "scope": "openid profile",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (contract test)",
    }
    values.update(changes)
    return Session(**values)


def refresh_token(owner: Session, now: datetime, **changes: Any) -> RefreshTokenRecord:
    values: dict[str, Any] = {
        "token_hash": token_hash(),
        "session_id": owner.id,
        "family_id": owner.family_id,
        "user_id": owner.user_id,
        "created_at": now,
        "expires_at": now + timedelta(days=14),
    }
    values.update(changes)
    return RefreshTokenRecord(**values)


def signing_key(now: datetime, **changes: Any) -> StoredKey:
    kid = changes.pop("kid", secrets.token_urlsafe(8))
    values: dict[str, Any] = {
        "kid": kid,
        "alg": "ES256",
        "state": KeyState.NEXT,
        "public_jwk": {
            "kty": "EC",
            "crv": "P-256",
            "x": "eA",
            "y": "eQ",
            "kid": kid,
            "alg": "ES256",
            "use": "sig",
        },
        "encrypted_private_key": secrets.token_bytes(64),
        "created_at": now,
    }
    values.update(changes)
    return StoredKey(**values)


def audit_event(now: datetime, **changes: Any) -> AuditEvent:
    values: dict[str, Any] = {"type": "login_succeeded", "at": now}
    values.update(changes)
    return AuditEvent(**values)
