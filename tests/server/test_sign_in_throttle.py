"""Password guessing slows down per (account, client address), counted exactly, and a stranger's
guessing never keeps the owner out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from ipaddress import ip_network

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.app import create_app
from server.db.engine import Database
from server.db.models import SignInFailure
from server.services.sign_in_throttle import delays
from server.settings import Settings
from shared.types import utcnow
from tests.factories import PASSWORD, World

WRONG = "not the password"
OWNER, STRANGER = "198.51.100.7", "203.0.113.66"


@pytest.fixture
async def behind_proxy(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app behind a trusted proxy (the test client), so each request can name its client; the
    hashing lane wide enough that no attempt is shed."""
    wide = settings.with_(trusted_proxies=(ip_network("127.0.0.1"),), password_hash_concurrency=32)
    app = create_app(wide, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


async def _login(client: httpx.AsyncClient, email: str, password: str, address: str) -> httpx.Response:
    body = {"email": email, "password": password}
    return await client.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address})


async def _wait_is_over(db: Database) -> None:
    """Stand-in for waiting the delay out: every pair may try again now."""

    async def expire(session: AsyncSession) -> None:
        await session.execute(update(SignInFailure).values(blocked_until=utcnow() - timedelta(seconds=1)))

    await db.run_write(expire)


async def test_a_failing_client_waits_longer_after_each_failure(
    behind_proxy: httpx.AsyncClient, world: World, settings: Settings, db: Database
) -> None:
    email = world.users["agent_a1"].email
    free = settings.login_free_failures
    for _ in range(free + 1):
        assert (await _login(behind_proxy, email, WRONG, STRANGER)).status_code == 401
    waits = []
    for _ in range(3):
        refused = await _login(behind_proxy, email, PASSWORD, STRANGER)  # even the right password
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        waits.append(int(refused.headers["retry-after"]))
        await _wait_is_over(db)
        assert (await _login(behind_proxy, email, WRONG, STRANGER)).status_code == 401
    assert waits == delays(settings)[:3] == [1, 2, 4]
    await _wait_is_over(db)
    assert (await _login(behind_proxy, email, PASSWORD, STRANGER)).status_code == 200
    # A right password starts the pair again from its free failures.
    for _ in range(free + 1):
        assert (await _login(behind_proxy, email, WRONG, STRANGER)).status_code == 401


async def test_a_stranger_guessing_never_keeps_the_owner_out(
    behind_proxy: httpx.AsyncClient, world: World
) -> None:
    email = world.users["leader_a"].email
    guesses = [(await _login(behind_proxy, email, WRONG, STRANGER)).status_code for _ in range(20)]
    assert guesses.count(429) >= 10
    assert (await _login(behind_proxy, email, PASSWORD, OWNER)).status_code == 200


async def test_concurrent_wrong_passwords_are_counted_exactly(
    behind_proxy: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    email = world.users["leader_b"].email
    answers = await asyncio.gather(*(_login(behind_proxy, email, WRONG, STRANGER) for _ in range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    # The free failures and the one that earns the first delay are checked; no other.
    checked = settings.login_free_failures + 1
    assert statuses == [401] * checked + [429] * (20 - checked)


async def test_one_address_guessing_many_accounts_hits_its_ceiling(
    settings: Settings, db: Database, world: World
) -> None:
    app = create_app(settings.with_(login_failures_per_address=8), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        bodies = [{"email": f"guess{n}@example.com", "password": WRONG} for n in range(10)]
        statuses = [(await client.post("/api/v1/auth/login", json=body)).status_code for body in bodies]
        assert statuses == [401] * 8 + [429] * 2
