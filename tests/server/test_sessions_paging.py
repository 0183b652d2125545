"""Listing sessions: scope, filters and keyset paging under concurrent inserts and deletes."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import delete

from server.db.engine import Database
from server.db.models import CoachingSession
from server.db.types import new_id
from shared.types import utcnow
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_sessions_support import DAY, at, book, booking

PAGE = 7


def _row(world: World, hour_offset: int, agent: str = "agent_a1") -> CoachingSession:
    starts = DAY + timedelta(hours=hour_offset)
    now = utcnow()
    # Completed sessions occupy no time, so many may share a start: that exercises the id tie-break.
    return CoachingSession(
        id=new_id(),
        agent_id=world.users[agent].id,
        coach_id=world.users["leader_a"].id,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        status="completed",
        topic="seeded",
        notes="",
        created_by=world.users["leader_a"].id,
        version=1,
        created_at=now,
        updated_at=now,
    )


async def _insert(db: Database, rows: list[CoachingSession]) -> None:
    async with db.write() as session:
        session.add_all(rows)


async def _delete(db: Database, ids: list[str]) -> None:
    async with db.write() as session:
        await session.execute(delete(CoachingSession).where(CoachingSession.id.in_(ids)))


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["starts_at"], item["id"]


async def test_paging_never_repeats_or_skips_while_rows_come_and_go(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    rng = random.Random(7)
    seeded = [_row(world, rng.randrange(0, 10)) for _ in range(60)]
    await _insert(db, seeded)
    by_start = sorted(seeded, key=lambda r: (r.starts_at, r.id))
    # Rows the churn may delete; every other seeded row exists throughout.
    doomed = {row.id for row in by_start[::5]}
    survivors = [row.id for row in by_start if row.id not in doomed]
    pages_done = asyncio.Event()

    async def churn() -> None:
        # Keep inserting rows everywhere in the order and deleting doomed ones until paging ends.
        doomed_left = list(doomed)
        for step in itertools.count():
            if pages_done.is_set():
                return
            await _insert(db, [_row(world, rng.randrange(0, 10)) for _ in range(3)])
            if doomed_left and step % 2 == 0:
                await _delete(db, [doomed_left.pop()])
            await asyncio.sleep(0)

    churner = asyncio.create_task(churn())
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    try:
        while True:
            params = {"limit": str(PAGE), "agent_id": world.users["agent_a1"].id}
            if cursor:
                params["cursor"] = cursor
            response = await client.get("/api/v1/sessions", params=params, headers=leader)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= PAGE
            seen.extend(page["items"])
            pages += 1
            if pages == 2:
                # A deterministic hit on the offset pattern: delete rows already passed.
                await _delete(db, [item["id"] for item in seen[:3] if item["id"] in doomed])
            cursor = page["next_cursor"]
            if cursor is None:
                break
            await asyncio.sleep(0)
    finally:
        pages_done.set()
        await churner
    ids = [item["id"] for item in seen]
    assert len(ids) == len(set(ids)), "a row came twice"
    assert [_key(item) for item in seen] == sorted(_key(item) for item in seen), "out of order"
    missing = set(survivors) - set(ids)
    assert not missing, f"{len(missing)} rows that existed throughout were skipped"
    assert pages > 60 // PAGE


async def test_list_is_scoped_and_filtered(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    u = world.users
    admin = await sign_in("admin")
    made: dict[str, str] = {}
    for name, agent, coach, starts, ends in [
        ("a1", "agent_a1", "leader_a", "10:00", "10:30"),
        ("a2", "agent_a2", "leader_a", "11:00", "11:30"),
        ("b1", "agent_b1", "leader_b", "10:00", "10:30"),
        ("c1", "agent_c1", "leader_c", "10:00", "10:30"),
    ]:
        created = await book(client, admin, booking(u[agent].id, starts, ends, coach_id=u[coach].id))
        assert created.status_code == 201
        made[name] = created.json()["id"]

    async def ids(who: str, **params: str) -> list[str]:
        response = await client.get("/api/v1/sessions", params=params, headers=await sign_in(who))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids("leader_a") == [made["a1"], made["a2"]]
    assert sorted(await ids("manager")) == sorted([made["a1"], made["a2"], made["b1"]])
    assert len(await ids("admin")) == 4
    assert await ids("agent_a2") == [made["a2"]]
    assert await ids("manager", team_id=world.teams["team_b"].id) == [made["b1"]]
    assert await ids("admin", coach_id=u["leader_c"].id) == [made["c1"]]
    window = {"from": at("10:45").isoformat(), "to": at("12:00").isoformat()}
    assert await ids("leader_a", **window) == [made["a2"]]
    assert await ids("leader_a", status="cancelled") == []
    bad = await client.get("/api/v1/sessions", params={"cursor": "!!"}, headers=admin)
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    too_many = await client.get("/api/v1/sessions", params={"limit": "201"}, headers=admin)
    assert too_many.status_code == 422
    naive = await client.get("/api/v1/sessions", params={"from": "2031-03-04T10:00:00"}, headers=admin)
    assert naive.status_code == 422
