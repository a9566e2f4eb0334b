"""How tokens travel: the ``TokenTransport`` interface, its bearer implementation, and the per-request choice.

See ``base`` for the interface and how the cookie transport plugs in.
"""

from tokenward.api.transport.base import NO_STORE, TokenTransport, no_store_json, token_document
from tokenward.api.transport.bearer import BearerTransport
from tokenward.api.transport.selection import Transports

__all__ = [
    "NO_STORE",
    "BearerTransport",
    "TokenTransport",
    "Transports",
    "no_store_json",
    "token_document",
]
