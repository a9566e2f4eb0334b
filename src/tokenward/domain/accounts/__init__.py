"""Accounts: users, their e-mail addresses and display names, credentials, passwords, and the account service.

Exported here: the user record, its storage port and the credential checks. ``AccountService`` (with
``AccountSettings`` and ``MfaRequired``) is imported from ``accounts.service`` instead: it builds on sessions,
e-mail and MFA, whose services import ``accounts.users``, so loading it from this file would import it in the
middle of their own loading (an import cycle). The password rules and hashing are ``accounts.passwords``.
"""

from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.display_names import checked_display_name
from tokenward.domain.accounts.email_addresses import ascii_email, canonical_email, checked_email
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.users import User, new_user_id

__all__ = [
    "Credentials",
    "User",
    "UserRepository",
    "ascii_email",
    "canonical_email",
    "checked_display_name",
    "checked_email",
    "new_user_id",
]
