"""A flood of sign-ins hashes in its own small lane: it sheds itself with 503 and leaves the
signed-in user's capacity alone."""

from __future__ import annotations

import asyncio
import secrets
import time

import httpx

from server.app import create_app
from server.db.engine import Database
from server.settings import Settings
from tests.factories import World, login

FLOOD = 30
READS = 20
# The production argon2 cost: hashing must be slow here, as it is for real.
REAL_HASH_MEMORY_KIB = 65536
LANE_WAIT = 0.2


async def test_a_sign_in_flood_sheds_itself_and_readers_keep_their_slots(
    settings: Settings, world: World
) -> None:
    small = settings.with_(
        pool_size=2,
        pool_timeout=0.5,
        password_hash_memory_kib=REAL_HASH_MEMORY_KIB,
        password_hash_concurrency=1,
        password_hash_wait_seconds=LANE_WAIT,
    )
    db = Database(small)
    app = create_app(small, db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as http:
        reader = await login(http, world.users["leader_a"].email)

        async def bad_login() -> tuple[httpx.Response, float]:
            started = time.perf_counter()
            email = f"{secrets.token_hex(6)}@example.com"
            answer = await http.post("/api/v1/auth/login", json={"email": email, "password": "guess guess"})
            return answer, time.perf_counter() - started

        flood = [asyncio.ensure_future(bad_login()) for _ in range(FLOOD)]
        # One user reading, one request after the other, while the flood is on.
        reads = [await http.get("/api/v1/me", headers=reader) for _ in range(READS)]
        logins = await asyncio.gather(*flood)
    await db.dispose()

    assert [r.status_code for r in reads] == [200] * READS
    statuses = [answer.status_code for answer, _ in logins]
    assert set(statuses) <= {401, 503}, statuses
    shed = [(answer, took) for answer, took in logins if answer.status_code == 503]
    assert len(shed) >= FLOOD // 2, statuses
    for answer, took in shed:
        assert answer.json()["code"] == "overloaded" and int(answer.headers["retry-after"]) >= 1
        assert took < LANE_WAIT + 1.0, f"a shed sign-in waited {took:.2f} s"
