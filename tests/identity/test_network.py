"""The caller's address: X-Forwarded-For believed only from trusted proxies, read from the
right (properties over any header a client could send)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from truthset.identity.network import client_address, inside, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"], "proxies")
public_v4 = st.ip_addresses(v=4, network="203.0.113.0/24").map(str)
junk = st.text(alphabet="0123456789abcdef.:, []xyz", max_size=40)


@given(peer=public_v4, header=junk)
def test_an_untrusted_peer_is_the_address_whatever_it_sends(peer: str, header: str) -> None:
    assert client_address(peer, header, PROXIES) == peer


@given(client=public_v4, left=st.lists(junk, max_size=3), hops=st.integers(0, 2))
def test_behind_trusted_proxies_the_client_is_the_first_untrusted_from_the_right(
    client: str, left: list[str], hops: int
) -> None:
    # What the client sent stands left of what the proxies appended (the client, then hops).
    chain = [*left, client, *(f"10.0.0.{i + 2}" for i in range(hops))]
    assert client_address("10.0.0.1", ", ".join(chain), PROXIES) == client


def test_ipv4_mapped_ipv6_and_brackets() -> None:
    networks = parse_networks(["192.0.2.0/24", "2001:db8::/32"], "cidrs")
    assert inside("::ffff:192.0.2.7", networks)
    assert inside("[2001:db8::1]", networks)
    assert not inside("not an address", networks)
    assert client_address("fd00::1", "[2001:db8::5]", PROXIES) == "2001:db8::5"
    assert ipaddress.ip_address(client_address("fd00::1", "garbage", PROXIES)) == (
        ipaddress.ip_address("fd00::1")
    )
