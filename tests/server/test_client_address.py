"""Per-address limits count the connecting address; X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from ipaddress import ip_network

import httpx
import pytest

from server.api.client_address import resolve_client_address
from server.app import create_app
from server.db.engine import Database
from server.settings import Settings, parse_networks

# httpx.ASGITransport connects from this address.
TEST_PEER = "127.0.0.1"
PROXIES = parse_networks("10.0.0.1, 10.0.1.0/24")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not a proxy: its header is ignored
        ("10.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.1", ["1.2.3.4, 198.51.100.1, 10.0.1.7"], "198.51.100.1"),  # the client forged 1.2.3.4
        ("10.0.0.1", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),  # two header lines read as one list
        ("10.0.0.1", ["10.0.1.7"], "10.0.1.7"),  # only proxies: the farthest one
        ("10.0.0.1", ["not-an-address"], "10.0.0.1"),
        ("10.0.0.1", [], "10.0.0.1"),
        ("2001:db8::5", ["198.51.100.1"], "2001:db8::5"),
        (None, ["198.51.100.1"], "unknown"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    peer: str | None, forwarded_for: list[str], client: str
) -> None:
    assert resolve_client_address(peer, forwarded_for, PROXIES) == client


@pytest.fixture
async def behind_proxy(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.with_(trusted_proxies=(ip_network(TEST_PEER),)), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


async def _reset_statuses(client: httpx.AsyncClient, forwarded_for: list[str]) -> list[int]:
    statuses = []
    for number, address in enumerate(forwarded_for):
        response = await client.post(
            "/api/v1/auth/password-reset",
            json={"email": f"someone-{number}@example.com"},
            headers={"X-Forwarded-For": address},
        )
        statuses.append(response.status_code)
    return statuses


async def test_a_forged_header_does_not_escape_the_per_address_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    per_client = settings.reset_requests_per_window * 4
    statuses = await _reset_statuses(client, [f"198.51.100.{n}" for n in range(per_client + 1)])
    assert statuses == [202] * per_client + [429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    behind_proxy: httpx.AsyncClient, settings: Settings
) -> None:
    per_client = settings.reset_requests_per_window * 4
    distinct = await _reset_statuses(behind_proxy, [f"198.51.100.{n}" for n in range(per_client + 1)])
    assert distinct == [202] * (per_client + 1)
    same = await _reset_statuses(behind_proxy, ["192.0.2.1"] * (per_client + 1))
    assert same == [202] * per_client + [429]
