"""Contention over a real server with two worker processes: one agent booked by two coaches at
once, with partial overlaps, through ``POST /sessions`` and ``POST /sync/push``, also with the CPU
deliberately busy. On PostgreSQL such inserts meet in two exclusion constraints and can deadlock;
every answer must still be a 201/409 (push: applied/conflict), never a 500."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.db.engine import Database
from tests.concurrency.contention_support import LogWindow, hour_booking, post_booking, push_create
from tests.concurrency.test_booking_races import _overlapping_pairs
from tests.factories import World, login
from tests.live_server import LiveServer

ROUNDS = 10
PER_ROUND = 12  # half through POST /sessions, half through /sync/push; half per coach
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


async def test_two_coaches_booking_one_agent_at_once_never_get_a_500(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database, cpu: str
) -> None:
    world = World(live_db)
    name = f"contention_{cpu}"
    await world.user(f"{name}_leader", "team_leader")
    await world.user(f"{name}_manager", "manager")
    await world.team(name, leader=f"{name}_leader", manager=f"{name}_manager")
    agent = (await world.user(f"{name}_agent", "agent", team=name)).id
    coaches = [await login(live_client, world.users[f"{name}_{who}"].email) for who in ("leader", "manager")]
    log = LogWindow(live_server)

    outcomes: list[Counter[str]] = []
    for _ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=next(_days), hours=10)
        bodies = [hour_booking(agent, day + timedelta(minutes=5 * i)) for i in range(PER_ROUND)]
        calls = [
            (_book if i % 4 < 2 else _push)(live_client, coaches[i % 2], body)
            for i, body in enumerate(bodies)
        ]
        outcomes.append(Counter(await asyncio.gather(*calls)))

    print(f"\n[{live_server.backend}, {cpu} CPU] rounds of {PER_ROUND}: {[dict(o) for o in outcomes]}")
    assert all(set(round_) <= {"won", "lost"} for round_ in outcomes), (outcomes, log.text()[-3000:])
    assert [round_["won"] for round_ in outcomes] == [1] * ROUNDS, outcomes
    assert await _overlapping_pairs(live_db) == 0
    log.assert_clean()
