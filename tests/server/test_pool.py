"""Load shedding: with one database slot and the database stalled, 20 concurrent requests get
200 or a prompt 503 ``overloaded`` with Retry-After — never a hang, never a 500."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.app import create_app
from server.db.engine import Database
from server.settings import Settings
from tests.factories import PASSWORD, World

POOL_TIMEOUT = 0.3
STALL_SECONDS = 1.0


@asynccontextmanager
async def stalled_writes(url: str, table: str = "auth_tokens") -> AsyncIterator[None]:
    """Hold a lock that makes every write of ``table`` wait (on SQLite: every write), from a
    connection outside the app."""
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        if url.startswith("sqlite"):
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            await conn.begin()
            await conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            await conn.rollback()
    await engine.dispose()


async def test_twenty_slow_requests_on_one_slot(settings: Settings, world: World) -> None:
    small = replace(settings, pool_size=1, pool_timeout=POOL_TIMEOUT)
    db = Database(small)
    app = create_app(small, db)
    email = world.users["agent_a1"].email

    async def timed_login(http: httpx.AsyncClient) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        response = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        return response, time.perf_counter() - started

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://coachhub.test", timeout=30) as http:
        async with stalled_writes(settings.database_url):
            pending = [asyncio.ensure_future(timed_login(http)) for _ in range(20)]
            await asyncio.sleep(STALL_SECONDS)  # the database, not the test, is slow here
        results = await asyncio.gather(*pending)
    await db.dispose()

    statuses = [response.status_code for response, _ in results]
    slowest_shed = max((took for response, took in results if response.status_code == 503), default=0.0)
    print(
        f"\n20 requests on 1 slot: {statuses.count(200)} x 200, {statuses.count(503)} x 503, "
        f"slowest 503 {slowest_shed:.2f} s"
    )
    assert set(statuses) <= {200, 503}, statuses
    shed = [(response, took) for response, took in results if response.status_code == 503]
    assert len(shed) >= 15 and statuses.count(200) >= 1
    for response, took in shed:
        assert response.json()["code"] == "overloaded"
        assert int(response.headers["retry-after"]) >= 1
        assert took < POOL_TIMEOUT + 0.5, f"a shed request waited {took:.2f}s"
