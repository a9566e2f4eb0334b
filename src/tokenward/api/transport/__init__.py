"""How tokens travel: the ``TokenTransport`` interface, its bearer implementation, and the per-request choice.

See ``base`` for the interface and how the cookie transport plugs in.
"""

from tokenward.api.transport.base import NO_STORE, TokenTransport, no_store_json, token_document
from tokenward.api.transport.bearer import BearerTransport
from tokenward.api.transport.cookie import CookieTransport, sign_in_transport
from tokenward.api.transport.selection import Transports

__all__ = [
    "NO_STORE",
    "BearerTransport",
    "CookieTransport",
    "TokenTransport",
    "Transports",
    "no_store_json",
    "sign_in_transport",
    "token_document",
]
