"""Recovery codes: ten single-use codes, shown once when MFA is turned on, stored only as hashes.

Format ``xxxx-xxxx-xxxx``: 12 characters from a 30-character alphabet without look-alikes (no 0/o, 1/i/l,
u), about 59 bits each. Typed input is forgiving about case, spaces and dashes.

Hashing: SHA-256 over the user id and the normalised code. A fast hash is acceptable because the codes are
random, not chosen by people: 59 bits are out of reach of brute force from a leaked hash (about 10^18 tries,
decades on a GPU rig), and the user id in the input means one table of guesses cannot be reused across
accounts. Each code is also a second factor only, useful after the password.
"""

from __future__ import annotations

import hashlib
import secrets

#: lower case, without look-alikes: no 0, 1, i, l, o, u
ALPHABET = "23456789abcdefghjkmnpqrstvwxyz"
GROUPS = 3
GROUP_LENGTH = 4
COUNT = 10
CODE_LENGTH = GROUPS * GROUP_LENGTH


def new_recovery_codes(count: int = COUNT) -> list[str]:
    return [_new_code() for _ in range(count)]


def _new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(chars[i : i + GROUP_LENGTH] for i in range(0, CODE_LENGTH, GROUP_LENGTH))


def normalize_recovery_code(code: str) -> str | None:
    """The canonical form of typed input, or ``None`` when it cannot be a recovery code."""
    compact = "".join(c for c in code.strip().lower() if c not in " -")
    if len(compact) != CODE_LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return compact


def hash_recovery_code(user_id: str, normalized_code: str) -> str:
    return hashlib.sha256(f"{user_id}:{normalized_code}".encode()).hexdigest()
