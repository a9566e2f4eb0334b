"""Pure domain: the rules of accounts, passwords, keys, tokens and sessions.

Imports only the standard library, ``tokenward.errors`` and pure libraries (cryptography, joserfc,
argon2-cffi). Storage is reached through the ``Protocol`` each module declares next to the code that needs it.
"""
