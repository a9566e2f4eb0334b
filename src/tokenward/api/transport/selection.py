"""Which transport a request travels by.

A client chooses its transport at sign-in (``for_sign_in``); every later request shows by what it carries which
transport it uses (``read_refresh_token``, ``read_access_token``). The specialised transports are asked first
and the default (bearer) last, so a request that carries, say, a refresh cookie is never mistaken for a bearer
one.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from tokenward.api.transport.base import TokenTransport
from tokenward.errors import InvalidRequest


class Transports:
    """The transports this server offers: a default and any others, each under its own ``name``."""

    def __init__(self, default: TokenTransport, *others: TokenTransport) -> None:
        self.default = default
        #: the order in which a request is matched: others first, the default last
        self.in_order: tuple[TokenTransport, ...] = (*others, default)
        self._by_name = {transport.name: transport for transport in self.in_order}
        if len(self._by_name) != len(self.in_order):
            raise ValueError("two transports have the same name")

    def for_sign_in(self, requested: str | None = None) -> TokenTransport:
        """The transport a sign-in asked for by name; the default when it asked for none."""
        if requested is None:
            return self.default
        transport = self._by_name.get(requested)
        if transport is None:
            raise InvalidRequest(f"Unknown token transport; use one of: {', '.join(sorted(self._by_name))}")
        return transport

    def read_access_token(self, request: Request) -> str | None:
        """The access token the request presents by any transport, or ``None``."""
        for transport in self.in_order:
            token = transport.read_access_token(request)
            if token is not None:
                return token
        return None

    def read_refresh_token(
        self, request: Request, body: Mapping[str, str]
    ) -> tuple[TokenTransport, str | None]:
        """The transport that carried the request's refresh token, and the token; the default transport and
        ``None`` when the request carries none. The answer goes back by the same transport."""
        for transport in self.in_order:
            token = transport.read_refresh_token(request, body)
            if token is not None:
                return transport, token
        return self.default, None

    def held_refresh_token(self, request: Request) -> tuple[TokenTransport, str | None]:
        """As ``read_refresh_token``, but for a token the client sent along unasked and without any check:
        only to decide what an answer clears (``/v1/logout``), never to authenticate."""
        for transport in self.in_order:
            token = transport.held_refresh_token(request)
            if token is not None:
                return transport, token
        return self.default, None
