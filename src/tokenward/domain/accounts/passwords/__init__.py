"""Passwords: the NIST SP 800-63B policy, the common-password list, Argon2id hashing and bounded hashing.

The account service combines them: ``checker.check(pw, context_words_for(email, service))`` for a new
password, then ``pool.run(hasher.hash, normalize_password(pw))``; at sign-in
``pool.run(hasher.verify, stored, normalize_password(pw))``, or ``pool.run(hasher.dummy_verify, …)`` when the
account does not exist.
"""

from tokenward.domain.accounts.passwords.blocklist import load_common_passwords
from tokenward.domain.accounts.passwords.hashing import Argon2Parameters, PasswordHasher, VerifyResult
from tokenward.domain.accounts.passwords.policy import (
    PasswordChecker,
    PasswordPolicy,
    context_words_for,
    normalize_password,
)
from tokenward.domain.accounts.passwords.pool import HashingPool

__all__ = [
    "Argon2Parameters",
    "HashingPool",
    "PasswordChecker",
    "PasswordHasher",
    "PasswordPolicy",
    "VerifyResult",
    "context_words_for",
    "load_common_passwords",
    "normalize_password",
]
