"""Network addresses: who is calling (the socket's peer, or the client a trusted proxy names)
and whether an address is inside a list of networks (IPv4 and IPv6 CIDRs)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from truthset.errors import Invalid

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str], field: str) -> list[Network]:
    """CIDRs (a bare address is a /32 or /128); raises Invalid naming the field and item."""
    networks = []
    for index, value in enumerate(values):
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise Invalid(
                f"{field}[{index}]: {value!r} is not an IPv4 or IPv6 address or CIDR"
            ) from None
    return networks


def _address(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket shows as ::ffff:a.b.c.d; compare it as IPv4.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def inside(address: str, networks: Sequence[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The caller's address. X-Forwarded-For counts only when the peer is a trusted proxy, and
    is read from the right: each trusted proxy appends the address it got the request from, so
    the first untrusted entry from the right is the client (entries further left are whatever
    the client sent, and cannot be believed)."""
    if not forwarded_for or not inside(peer, proxies):
        return peer
    current = peer
    for entry in reversed(forwarded_for.split(",")):
        if _address(entry) is None:
            break  # garbage can only come from the client's side of the chain
        current = entry.strip().strip("[]")
        if not inside(current, proxies):
            return current
    return current
