"""Accounts: users, their credentials, password rules and hashing, and the sign-up / sign-in service.

Exported here: the user record, its storage port and the credential checks. ``AccountService`` (with
``AccountSettings`` and ``MfaRequired``) is imported from ``accounts.service`` instead: it builds on sessions,
e-mail and MFA, whose services import ``accounts.users``, so loading it from this file would import it in the
middle of their own loading (an import cycle). The password rules and hashing are ``accounts.passwords``.
"""

from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.users import User, new_user_id, normalize_email

__all__ = [
    "Credentials",
    "User",
    "UserRepository",
    "new_user_id",
    "normalize_email",
]
