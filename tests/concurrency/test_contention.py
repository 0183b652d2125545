"""Contention over a real server with two worker processes: one agent booked by two coaches at
once, with partial overlaps, through ``POST /sessions`` and ``POST /sync/push``, also with the CPU
deliberately busy. On PostgreSQL such inserts meet in two exclusion constraints and can deadlock;
every answer must still be a 201/409 (push: applied/conflict), never a 500."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.engine import Database
from tests.concurrency.contention_support import (
    LogWindow,
    coached_agent,
    hour_booking,
    post_booking,
    push_create,
)
from tests.concurrency.test_booking_races import _overlapping_pairs
from tests.factories import World, login
from tests.live_server import LiveServer

ROUNDS = 12
PER_ROUND = 16  # half through POST /sessions, half through /sync/push; half per coach
FIRST_DAY = datetime(2034, 1, 2, tzinfo=UTC)
_days = itertools.count()


async def _book(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = await post_booking(client, headers, body)
    if response.status_code == 201:
        return "won"
    if response.status_code == 409 and response.json().get("code") == "slot_conflict":
        return "lost"
    return f"POST {response.status_code} {response.text[:120]}"


async def _push(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = await push_create(client, headers, body)
    if response.status_code != 200:
        return f"push {response.status_code} {response.text[:120]}"
    (result,) = response.json()["results"]
    if result["status"] == "applied":
        return "won"
    if (result["status"], result["code"]) == ("conflict", "slot_conflict"):
        return "lost"
    return f"push result {result}"


Gate = Callable[[Awaitable[list[str]]], Awaitable[list[str]]]


async def _as_they_come(requests: Awaitable[list[str]]) -> list[str]:
    return await requests


async def _two_coaches_one_agent(
    live_server: LiveServer, client: httpx.AsyncClient, db: Database, name: str, gate: Gate = _as_they_come
) -> None:
    """``ROUNDS`` rounds of ``PER_ROUND`` bookings of one agent, half by its team leader and half
    by its manager, half through ``POST /sessions`` and half through ``/sync/push``; every pair
    overlaps in part. ``gate`` decides when the requests of a round reach the database."""
    world = World(db)
    agent = await coached_agent(world, name)
    coaches = [await login(client, world.users[f"{name}_{who}"].email) for who in ("leader", "manager")]
    log = LogWindow(live_server)

    outcomes: list[Counter[str]] = []
    for _ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=next(_days), hours=10)
        bodies = [hour_booking(agent, day + timedelta(minutes=3 * i)) for i in range(PER_ROUND)]
        calls = [
            (_book if i % 4 < 2 else _push)(client, coaches[i % 2], body) for i, body in enumerate(bodies)
        ]
        outcomes.append(Counter(await gate(asyncio.gather(*calls))))

    print(f"\n[{live_server.backend}, {name}] rounds of {PER_ROUND}: {[dict(o) for o in outcomes]}")
    assert all(set(round_) <= {"won", "lost"} for round_ in outcomes), (outcomes, log.text()[-3000:])
    assert [round_["won"] for round_ in outcomes] == [1] * ROUNDS, outcomes
    assert await _overlapping_pairs(db) == 0
    log.assert_clean()


async def test_two_coaches_booking_one_agent_at_once_never_get_a_500(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database, cpu: str
) -> None:
    await _two_coaches_one_agent(live_server, live_client, live_db, f"contention_{cpu}")


WAITING_ON_LOCKS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.mark.parametrize("live_server", ["postgres"], indirect=True)  # SQLite lets one writer in anyway
async def test_bookings_released_together_never_get_a_500(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    """The worst interleaving, every round: all bookings of the round pass their overlap check and
    queue at the insert (a table lock held from outside), then go at once. Each inserts its row,
    then waits in the exclusion constraints for the others' rows: deadlocks on the old code."""

    async def released_together(requests: Awaitable[list[str]]) -> list[str]:
        async with live_db.engine.connect() as blocker, live_db.engine.connect() as observer:
            await blocker.begin()
            await blocker.execute(text("LOCK TABLE coaching_sessions IN SHARE MODE"))
            pending = asyncio.ensure_future(requests)
            try:
                await _until_waiting_on_locks(observer, PER_ROUND)
            finally:
                await blocker.rollback()
            return await pending

    await _two_coaches_one_agent(live_server, live_client, live_db, "contention_lined_up", released_together)


async def _until_waiting_on_locks(connection: AsyncConnection, count: int) -> None:
    """Until ``count`` transactions wait on a lock, or as many as got a database connection (a
    worker with more requests than pool slots holds the rest at its admission gate)."""
    seen, steady = 0, 0
    for _ in range(3000):
        # Each poll is its own transaction: pg_stat_activity is frozen inside one.
        waiting = int(await connection.scalar(WAITING_ON_LOCKS) or 0)
        await connection.rollback()
        steady = steady + 1 if waiting == seen else 0
        seen = waiting
        if waiting >= count or (waiting >= count // 2 and steady >= 50):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {seen} of {count} bookings queued")
