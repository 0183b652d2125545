"""Sync push and pull against a real server with several worker processes.

Each test seeds its own people and uses its own day, so tests sharing one server never collide.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import CoachingSession, SyncMutation
from tests.factories import World, login
from tests.ids import uid
from tests.live_server import LiveServer
from tests.server.test_sync_support import fold, pull, pull_all, snapshot

FIRST_DAY = datetime(2033, 3, 1, tzinfo=UTC)
_days = itertools.count()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _create(agent_id: str, starts: datetime, minutes: int = 60) -> dict[str, Any]:
    data = {
        "agent_id": agent_id,
        "starts_at": _iso(starts),
        "ends_at": _iso(starts + timedelta(minutes=minutes)),
        "topic": "offline",
    }
    return {
        "mutation_id": str(uuid.uuid4()),
        "type": "create_session",
        "session_id": str(uuid.uuid4()),
        "data": data,
    }


def _update(session_id: str, base_version: int, **data: Any) -> dict[str, Any]:
    return {
        "mutation_id": str(uuid.uuid4()),
        "type": "update_session",
        "session_id": session_id,
        "base_version": base_version,
        "data": data,
    }


async def _push(client: httpx.AsyncClient, headers: dict[str, str], mutations: list[dict[str, Any]]) -> Any:
    response = await client.post(
        "/api/v1/sync/push", json={"client_id": uid("c"), "mutations": mutations}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def test_one_batch_pushed_many_times_at_once_applies_once(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    leader = await world.user("push_leader", "team_leader")
    await world.team("push_team", leader="push_leader")
    agent = await world.user("push_agent", "agent", team="push_team")
    headers = await login(live_client, leader.email)
    day = FIRST_DAY + timedelta(days=next(_days), hours=10)
    made = _create(agent.id, day)
    batch = [made, _update(made["session_id"], 1, notes="one"), _update(made["session_id"], 2, notes="two")]

    results = await asyncio.gather(*(_push(live_client, headers, batch) for _ in range(12)))
    assert all(result == results[0] for result in results), live_server.log_tail()
    assert [r["status"] for r in results[0]] == ["applied"] * 3
    async with live_db.read() as session:
        row = await session.get(CoachingSession, made["session_id"])
        stored = await session.scalar(
            select(func.count()).select_from(SyncMutation).where(SyncMutation.user_id == leader.id)
        )
    assert row is not None and (row.version, row.notes) == (3, "two")
    assert stored == 3


async def test_concurrent_offline_bookings_of_one_slot_leave_one_scheduled_and_the_rest_in_conflict(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    manager = await world.user("slot_manager", "manager")
    leaders = []
    for index in range(6):
        leaders.append(await world.user(f"slot_leader_{index}", "team_leader"))
        await world.team(f"slot_team_{index}", leader=f"slot_leader_{index}", manager="slot_manager")
    agent = await world.user("slot_agent", "agent", team="slot_team_0")
    # Every leader books the same agent; only the agent's own leader and the manager may.
    bookers = [await login(live_client, who.email) for who in (manager, leaders[0])]
    day = FIRST_DAY + timedelta(days=next(_days), hours=10)
    batches = [[_create(agent.id, day + timedelta(minutes=15 * (i % 3)))] for i in range(10)]
    results = await asyncio.gather(
        *(_push(live_client, bookers[i % 2], batch) for i, batch in enumerate(batches))
    )
    outcomes = Counter((r[0]["status"], r[0]["code"]) for r in results)
    assert outcomes == Counter({("applied", None): 1, ("conflict", "slot_conflict"): 9}), outcomes
    async with live_db.read() as session:
        statuses = Counter(
            await session.scalars(select(CoachingSession.status).where(CoachingSession.agent_id == agent.id))
        )
    assert statuses == Counter({"scheduled": 1, "conflict": 9})


async def test_a_reader_following_the_feed_during_pushes_ends_with_the_database_state(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    manager = await world.user("feed_manager", "manager")
    teams = []
    for index in range(3):
        leader = await world.user(f"feed_leader_{index}", "team_leader")
        await world.team(f"feed_team_{index}", leader=f"feed_leader_{index}", manager="feed_manager")
        agents = [
            await world.user(f"feed_agent_{index}_{a}", "agent", team=f"feed_team_{index}") for a in range(3)
        ]
        teams.append((leader, agents))
    reader = await login(live_client, manager.email)
    view, cursor = await snapshot(live_client, reader, limit=10)
    day = FIRST_DAY + timedelta(days=next(_days), hours=9)
    stop = asyncio.Event()

    async def pusher(leader_email: str, agent_ids: list[str]) -> None:
        headers = await login(live_client, leader_email)
        for step in range(8):
            made = _create(agent_ids[step % 3], day + timedelta(minutes=30 * step))
            await _push(live_client, headers, [made, _update(made["session_id"], 1, notes=f"n{step}")])

    async def follow() -> None:
        nonlocal view, cursor
        while not stop.is_set():
            page = await pull(live_client, reader, cursor, limit=4)
            view, cursor = fold(view, page["changes"]), page["cursor"]

    follower = asyncio.create_task(follow())
    await asyncio.gather(*(pusher(leader.email, [a.id for a in agents]) for leader, agents in teams))
    stop.set()
    await follower
    changes, _, _ = await pull_all(live_client, reader, cursor)
    final = fold(view, changes)
    assert final == (await snapshot(live_client, reader))[0]
    sessions = {key[1]: data for key, data in final.items() if key[0] == "session"}
    assert len(sessions) == 24 and {data["version"] for data in sessions.values()} == {2}
