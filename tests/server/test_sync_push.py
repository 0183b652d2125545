"""POST /sync/push: ordered, exactly-once application of offline session edits."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import Change, CoachingSession, SyncMutation
from tests.factories import World
from tests.ids import uid
from tests.server.conftest import Login
from tests.server.test_sessions_support import at, book, booking, iso, past_booking
from tests.server.test_sync_support import pull, snapshot


def create(agent_id: str, starts: str, ends: str, **data: Any) -> dict[str, Any]:
    body = booking(agent_id, starts, ends, **data)
    return {
        "mutation_id": str(uuid.uuid4()),
        "type": "create_session",
        "session_id": str(uuid.uuid4()),
        "data": body,
    }


def update(session_id: str, base_version: int | None, **data: Any) -> dict[str, Any]:
    mutation: dict[str, Any] = {
        "mutation_id": str(uuid.uuid4()),
        "type": "update_session",
        "session_id": session_id,
        "data": data,
    }
    if base_version is not None:
        mutation["base_version"] = base_version
    return mutation


async def push(
    client: httpx.AsyncClient, headers: dict[str, str], mutations: list[dict[str, Any]]
) -> list[Any]:
    response = await client.post(
        "/api/v1/sync/push", json={"client_id": uid("desktop-1"), "mutations": mutations}, headers=headers
    )
    assert response.status_code == 200, response.text
    results: list[Any] = response.json()["results"]
    assert [r["mutation_id"] for r in results] == [m["mutation_id"] for m in mutations]
    return results


async def _state(db: Database) -> tuple[Any, ...]:
    async with db.read() as session:
        sessions = sorted(
            (row.id, row.status, row.version, row.starts_at, row.notes)
            for row in await session.scalars(select(CoachingSession))
        )
        changes = await session.scalar(select(func.count()).select_from(Change))
        stored = await session.scalar(select(func.count()).select_from(SyncMutation))
    return tuple(sessions), changes, stored


async def test_creates_and_updates_apply_in_order_and_reach_the_feed(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    _, cursor = await snapshot(client, leader)
    made = create(world.users["agent_a1"].id, "10:00", "11:00")
    made["data"].update(past_booking(world.users["agent_a1"].id, "10:00", "11:00"))
    then = update(made["session_id"], 1, notes="Went well", status="completed")
    results = await push(client, leader, [made, then])
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[0]["session"]["id"] == made["session_id"] and results[0]["session"]["version"] == 1
    assert results[1]["session"]["version"] == 2 and results[1]["session"]["status"] == "completed"
    page = await pull(client, leader, cursor)
    assert [(c["entity"], c["id"], c["version"]) for c in page["changes"]] == [
        ("session", made["session_id"], 2)
    ]


async def test_replaying_a_whole_batch_changes_nothing_and_returns_the_same_results(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    taken = await book(client, leader, booking(agent, "13:00", "14:00"))
    made = create(agent, "10:00", "11:00")
    batch = [
        made,
        update(made["session_id"], 1, notes="first"),
        update(made["session_id"], 1, notes="stale"),  # conflicts with the edit before it
        create(agent, "13:30", "14:30"),  # overlaps: parked as a conflict
        update(str(uuid.uuid4()), 1, notes="x"),  # unknown session: rejected
        update(taken.json()["id"], None, notes="x"),  # no base version: rejected
    ]
    first = await push(client, leader, batch)
    assert [(r["status"], r["code"]) for r in first] == [
        ("applied", None),
        ("applied", None),
        ("conflict", "version_conflict"),
        ("conflict", "slot_conflict"),
        ("rejected", "not_found"),
        ("rejected", "precondition_required"),
    ]
    before = await _state(db)
    assert before[2] == len(batch)
    second = await push(client, leader, batch)
    assert second == first
    assert await _state(db) == before
    # The same ids replayed one by one, in another order, still answer from the store.
    for index in (3, 0, 5):
        assert await push(client, leader, [batch[index]]) == [first[index]]
    assert await _state(db) == before


async def test_concurrent_replays_apply_once(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    made = create(agent, "10:00", "11:00")
    batch = [made, update(made["session_id"], 1, notes="once")]
    results = await asyncio.gather(*(push(client, leader, batch) for _ in range(4)))
    assert all(result == results[0] for result in results)
    assert [r["status"] for r in results[0]] == ["applied", "applied"]
    sessions, _changes, stored = await _state(db)
    assert [(s[0], s[2], s[4]) for s in sessions] == [(made["session_id"], 2, "once")]
    assert stored == 2


async def test_a_stale_update_gets_the_current_session_and_is_not_applied(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader, manager = await sign_in("leader_a"), await sign_in("manager")
    booked = await book(client, leader, booking(world.users["agent_a1"].id, "10:00", "11:00"))
    session_id = booked.json()["id"]
    online = await client.patch(
        f"/api/v1/sessions/{session_id}",
        json={"topic": "Changed online"},
        headers={**manager, "If-Match": '"1"'},
    )
    assert online.status_code == 200
    [result] = await push(client, leader, [update(session_id, 1, notes="offline notes")])
    assert (result["status"], result["code"]) == ("conflict", "version_conflict")
    assert result["current"] == online.json()
    assert result["session"] is None
    current = await client.get(f"/api/v1/sessions/{session_id}", headers=leader)
    assert current.json()["notes"] == "" and current.json()["version"] == 2


async def test_an_overlapping_offline_create_becomes_a_conflict_a_manager_resolves(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader, manager = await sign_in("leader_a"), await sign_in("manager")
    agent = world.users["agent_a1"].id
    taken = await book(client, manager, booking(agent, "10:00", "11:00"))
    assert taken.status_code == 201
    offline = create(agent, "10:30", "11:30")
    [result] = await push(client, leader, [offline])
    assert (result["status"], result["code"]) == ("conflict", "slot_conflict")
    parked = result["session"]
    assert parked["id"] == offline["session_id"] and parked["status"] == "conflict"

    listed = await client.get("/api/v1/conflicts", headers=manager)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["session"]["id"] == parked["id"]
    assert [clash["id"] for clash in item["clashes_with"]] == [taken.json()["id"]]

    resolved = await client.post(
        f"/api/v1/conflicts/{parked['id']}/resolve",
        json={"action": "reschedule", "starts_at": iso(at("14:00")), "ends_at": iso(at("15:00"))},
        headers={**manager, "If-Match": f'"{parked["version"]}"'},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["session"]["status"] == "scheduled"
    assert (await client.get("/api/v1/conflicts", headers=manager)).json()["items"] == []


async def test_invalid_mutations_are_rejected_with_a_code_and_never_dropped(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader, agent_headers = await sign_in("leader_a"), await sign_in("agent_a1")
    agent = world.users["agent_a1"].id
    booked = (await book(client, leader, booking(agent, "09:00", "10:00"))).json()
    too_short = create(agent, "10:00", "10:05")
    unknown_field = create(agent, "11:00", "12:00", colour="red")
    other_team = create(world.users["agent_c1"].id, "11:00", "12:00")
    bad_move = update(booked["id"], 1, status="conflict")
    mismatched = create(agent, "12:00", "13:00", id=str(uuid.uuid4()))
    results = await push(client, leader, [too_short, unknown_field, other_team, bad_move, mismatched])
    assert [(r["status"], r["code"]) for r in results] == [
        ("rejected", "validation_error"),
        ("rejected", "validation_error"),
        ("rejected", "not_found"),
        ("rejected", "invalid_transition"),
        ("rejected", "validation_error"),
    ]
    assert all(r["detail"] for r in results)
    [by_agent] = await push(client, agent_headers, [create(agent, "15:00", "16:00")])
    assert (by_agent["status"], by_agent["code"]) == ("rejected", "forbidden")


async def test_mutation_ids_are_scoped_to_the_user(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader, manager = await sign_in("leader_a"), await sign_in("manager")
    first = create(world.users["agent_a1"].id, "10:00", "11:00")
    second = {**create(world.users["agent_a2"].id, "10:00", "11:00"), "mutation_id": first["mutation_id"]}
    [mine] = await push(client, leader, [first])
    [theirs] = await push(client, manager, [second])
    assert mine["status"] == theirs["status"] == "applied"
    assert mine["session"]["id"] != theirs["session"]["id"]


async def test_a_push_needs_a_valid_body(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    leader = await sign_in("leader_a")
    response = await client.post(
        "/api/v1/sync/push",
        json={"client_id": uid("x"), "mutations": [{"type": "delete_session"}]},
        headers=leader,
    )
    assert response.status_code == 422
    unauthenticated = await client.post("/api/v1/sync/push", json={"client_id": uid("x"), "mutations": []})
    assert unauthenticated.status_code == 401
