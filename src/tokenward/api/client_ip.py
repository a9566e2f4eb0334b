"""The client's address: the direct peer, unless that peer is a configured trusted proxy.

Only then are ``Forwarded`` / ``X-Forwarded-For`` read, right to left, skipping trusted proxies; the first
untrusted hop is the client. Without trusted proxies the headers are ignored entirely, so an attacker who
sends them changes nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cached_property

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddressResolver:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted_specs = tuple(trusted_proxies)

    @cached_property
    def _trusted(self) -> tuple[_Network, ...]:
        return tuple(ipaddress.ip_network(spec, strict=False) for spec in self._trusted_specs)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def resolve(self, peer: str | None, forwarded_for: str | None, forwarded: str | None) -> str | None:
        if peer is None or not self._trusted or not self._is_trusted(peer):
            return peer
        hops = _forwarded_hops(forwarded) if forwarded else _xff_hops(forwarded_for)
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop if _valid_ip(hop) else peer
        return peer


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _xff_hops(header: str | None) -> list[str]:
    if not header:
        return []
    return [part.strip() for part in header.split(",") if part.strip()]


def _forwarded_hops(header: str) -> list[str]:
    hops: list[str] = []
    for element in header.split(","):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.lower() == "for":
                value = value.strip('"')
                if value.startswith("["):
                    value = value[1 : value.find("]")]
                elif value.count(":") == 1:
                    value = value.split(":")[0]
                hops.append(value)
    return hops
