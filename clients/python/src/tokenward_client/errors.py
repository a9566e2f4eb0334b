"""The two ways verification fails: the token is refused, or the issuer's keys cannot be had.

They are kept apart because they call for different answers: a refused token is the caller's problem (HTTP 401,
RFC 6750 ``invalid_token``), while missing keys are the issuer's or the network's (HTTP 503). Neither message
ever contains the token.
"""

from __future__ import annotations


class InvalidToken(Exception):
    """The token was refused; ``reason`` names the rule it broke.

    ``reason`` is a stable snake_case word (``alg_not_allowed``, ``expired`` ...): tests assert it, and it is
    safe to show, because it never contains the token.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class KeyUnavailable(Exception):
    """The issuer's keys (JWKS, discovery document, introspection endpoint) could not be fetched or used."""
