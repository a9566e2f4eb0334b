"""Pure domain: the rules of accounts, passwords, keys, tokens and sessions.

Imports only the standard library, ``tokenward.errors`` and pure libraries (cryptography, joserfc,
argon2-cffi). Each package declares the storage it needs as ``Protocol`` classes in its ``ports.py``; the
adapters implement them and bootstrap wires the two together (docs/architecture.md).

This file re-exports nothing: it runs before any domain module is imported, so whatever it imported would be
loaded by every import of the domain.
"""

__all__: list[str] = []
