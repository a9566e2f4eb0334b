"""One-time codes sent by SMS or e-mail: six digits, stored only as a hash, compared in constant time.

Six digits are about 20 bits: guessing is held off by the attempt limit (five wrong tries end the code) and the
five-minute life, not by the size. The stored hash is SHA-256 over the challenge id and the code, so a database
read does not show live codes and a hash of one challenge says nothing about another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def looks_like_code(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def hash_code(challenge_id: str, code: str) -> str:
    return hashlib.sha256(f"{challenge_id}:{code}".encode()).hexdigest()


def code_matches(challenge_id: str, code: str, code_hash: str) -> bool:
    return hmac.compare_digest(hash_code(challenge_id, code), code_hash)
