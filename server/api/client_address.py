"""Which address a request comes from, for the per-address limits.

The connecting address, unless it is a proxy named in ``COACHHUB_TRUSTED_PROXIES``: then
``X-Forwarded-For`` is read from the right (each proxy appends the address it saw), skipping
trusted proxies, and the first address no trusted proxy vouches for is the client. A header from
anyone else is ignored, so a client cannot pick a fresh address for each try.
"""

from __future__ import annotations

from ipaddress import ip_address

from starlette.requests import Request

from server.settings import Network

UNKNOWN = "unknown"


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def resolve_client_address(peer: str | None, forwarded_for: list[str], trusted: tuple[Network, ...]) -> str:
    """The client's address from the connecting ``peer`` and the ``X-Forwarded-For`` header lines."""
    if peer is None:
        return UNKNOWN
    hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
    address = peer
    while hops and _is_trusted(address, trusted):
        hop = hops.pop()
        if not _is_address(hop):
            break  # garbage from a trusted proxy's client: the proxy's word ends here
        address = hop
    return address


def client_address(request: Request) -> str:
    trusted: tuple[Network, ...] = request.app.state.settings.trusted_proxies
    peer = request.client.host if request.client else None
    return resolve_client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)
