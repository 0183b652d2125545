"""Booking conflicts: parked sessions, listing in scope, and all-or-nothing resolution."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Change, CoachingSession
from server.services.principal import Principal
from server.services.sessions import SessionService
from server.settings import Settings
from shared.auth import Role
from shared.sessions import SessionCreate
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_sessions_support import at, book, booking, iso


async def _park(
    db: Database, settings: Settings, world: World, who: str, agent: str, starts: str, ends: str
) -> dict[str, Any]:
    """Book the way a sync push does: an overlapping booking is kept in status conflict."""
    user = world.users[who]
    principal = Principal(user.id, Role(user.role), user.team_id)
    data = SessionCreate.model_validate(booking(world.users[agent].id, starts, ends))
    created = await SessionService(db, settings).create(principal, data, park_on_conflict=True)
    return created.model_dump(mode="json")


async def _state(db: Database) -> dict[str, tuple[str, str, int]]:
    async with db.read() as session:
        rows = await session.scalars(select(CoachingSession))
        return {row.id: (row.status, row.starts_at.isoformat(), row.version) for row in rows}


async def _resolve(
    client: httpx.AsyncClient, headers: dict[str, str], session_id: str, version: int, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/conflicts/{session_id}/resolve", json=body, headers={**headers, "If-Match": f'"{version}"'}
    )


async def _setup(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A scheduled session of leader_a with agent_a1 at 10:00, and one parked over it."""
    taken = await book(
        client, await sign_in("leader_a"), booking(world.users["agent_a1"].id, "10:00", "10:30")
    )
    assert taken.status_code == 201
    parked = await _park(db, settings, world, "leader_a", "agent_a1", "10:15", "10:45")
    assert parked["status"] == "conflict"
    return taken.json(), parked


async def test_parked_conflict_is_listed_in_scope_with_clashes_and_suggestions(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> None:
    taken, parked = await _setup(client, db, settings, world, sign_in)
    for who in ("manager", "leader_a", "admin"):
        response = await client.get("/api/v1/conflicts", headers=await sign_in(who))
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [item["session"]["id"] for item in items] == [parked["id"]], who
        assert [clash["id"] for clash in items[0]["clashes_with"]] == [taken["id"]]
        suggestions = items[0]["suggestions"]
        assert suggestions and all(s["starts_at"] >= iso(at("10:30")) for s in suggestions[:1])
    for who in ("other_manager", "leader_b"):
        response = await client.get("/api/v1/conflicts", headers=await sign_in(who))
        assert response.json()["items"] == [], who
    as_agent = await client.get("/api/v1/conflicts", headers=await sign_in("agent_a1"))
    assert as_agent.status_code == 403


async def test_reschedule_decline_and_override(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> None:
    manager = await sign_in("manager")
    taken, parked = await _setup(client, db, settings, world, sign_in)

    onto_taken = await _resolve(
        client,
        manager,
        parked["id"],
        1,
        {"action": "reschedule", "starts_at": iso(at("10:00")), "ends_at": iso(at("10:30"))},
    )
    assert (onto_taken.status_code, onto_taken.json()["code"]) == (409, "slot_conflict")

    moved = await _resolve(
        client,
        manager,
        parked["id"],
        1,
        {"action": "reschedule", "starts_at": iso(at("11:00")), "ends_at": iso(at("11:30"))},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["session"]["status"] == "scheduled" and moved.json()["session"]["version"] == 2
    assert moved.headers["etag"] == '"2"'
    again = await _resolve(client, manager, parked["id"], 2, {"action": "decline", "reason": "x"})
    assert (again.status_code, again.json()["code"]) == (422, "invalid_transition")

    second = await _park(db, settings, world, "leader_a", "agent_a1", "10:00", "10:30")
    declined = await _resolve(
        client, manager, second["id"], 1, {"action": "decline", "reason": "Agent on leave"}
    )
    assert declined.status_code == 200
    assert declined.json()["session"]["status"] == "cancelled"
    assert "Agent on leave" in declined.json()["session"]["notes"]

    third = await _park(db, settings, world, "leader_a", "agent_a1", "10:00", "10:30")
    override = await _resolve(
        client,
        manager,
        third["id"],
        1,
        {
            "action": "override",
            "displaced": {
                "id": taken["id"],
                "version": 1,
                "starts_at": iso(at("14:00")),
                "ends_at": iso(at("14:30")),
            },
        },
    )
    assert override.status_code == 200, override.text
    result = override.json()
    assert result["session"]["status"] == "scheduled" and result["session"]["starts_at"] == taken["starts_at"]
    assert datetime.fromisoformat(result["displaced"]["starts_at"]) == at("14:00")
    assert result["displaced"]["version"] == 2
    async with db.read() as session:
        logged = set(await session.scalars(select(Change.entity_id).where(Change.version == 2)))
    assert {third["id"], taken["id"]} <= logged


async def test_any_stale_version_changes_nothing(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> None:
    manager = await sign_in("manager")
    taken, parked = await _setup(client, db, settings, world, sign_in)
    before = await _state(db)
    displaced = {"id": taken["id"], "starts_at": iso(at("14:00")), "ends_at": iso(at("14:30"))}

    stale_session = await _resolve(
        client, manager, parked["id"], 7, {"action": "override", "displaced": {**displaced, "version": 1}}
    )
    assert (stale_session.status_code, stale_session.json()["code"]) == (412, "version_conflict")
    assert stale_session.json()["current"]["id"] == parked["id"]
    stale_displaced = await _resolve(
        client, manager, parked["id"], 1, {"action": "override", "displaced": {**displaced, "version": 5}}
    )
    assert stale_displaced.status_code == 412
    assert stale_displaced.json()["current"]["id"] == taken["id"]
    missing = await client.post(
        f"/api/v1/conflicts/{parked['id']}/resolve",
        json={"action": "decline", "reason": "x"},
        headers=manager,
    )
    assert missing.status_code == 428
    other_scope = await _resolve(
        client, await sign_in("other_manager"), parked["id"], 1, {"action": "decline", "reason": "x"}
    )
    assert other_scope.status_code == 404
    assert await _state(db) == before


async def test_two_concurrent_resolutions_one_wins_nothing_partial(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> None:
    manager, leader = await sign_in("manager"), await sign_in("leader_a")
    for round_number in range(3):
        taken, parked = (
            await _setup(client, db, settings, world, sign_in)
            if round_number == 0
            else (await _fresh_pair(client, db, settings, world, leader, round_number))
        )
        override = {
            "action": "override",
            "displaced": {
                "id": taken["id"],
                "version": taken["version"],
                "starts_at": iso(at("15:00", day=round_number)),
                "ends_at": iso(at("15:30", day=round_number)),
            },
        }
        decline = {"action": "decline", "reason": "duplicate"}
        answers = await asyncio.gather(
            _resolve(client, manager, parked["id"], 1, override),
            _resolve(client, leader, parked["id"], 1, decline),
        )
        assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
        state = await _state(db)
        if answers[0].status_code == 200:  # the override won: both sessions moved together
            assert state[parked["id"]][0] == "scheduled" and state[parked["id"]][2] == 2
            assert state[taken["id"]][2] == taken["version"] + 1
        else:  # the decline won: the displaced session is untouched
            assert state[parked["id"]][0] == "cancelled" and state[parked["id"]][2] == 2
            assert state[taken["id"]][2] == taken["version"]
            assert state[taken["id"]][1].startswith(taken["starts_at"][:16])


async def _fresh_pair(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    world: World,
    leader: dict[str, str],
    day: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    agent = world.users["agent_a2"].id
    body = {
        "agent_id": agent,
        "starts_at": iso(at("10:00", day)),
        "ends_at": iso(at("10:30", day)),
        "topic": "t",
    }
    taken = await book(client, leader, body)
    assert taken.status_code == 201, taken.text
    principal = Principal(world.users["leader_a"].id, Role.TEAM_LEADER, None)
    parked = await SessionService(db, settings).create(
        principal, SessionCreate.model_validate(body), park_on_conflict=True
    )
    return taken.json(), parked.model_dump(mode="json")


async def test_override_racing_an_edit_of_the_displaced_session(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> None:
    """An override and an edit of the session it displaces, both made from version 1: one of the
    two wins; the other gets 412, and a lost override leaves both sessions as they were."""
    manager, leader = await sign_in("manager"), await sign_in("leader_a")
    for round_number in range(4):
        taken, parked = (
            await _setup(client, db, settings, world, sign_in)
            if round_number == 0
            else await _fresh_pair(client, db, settings, world, leader, round_number)
        )
        override = {
            "action": "override",
            "displaced": {
                "id": taken["id"],
                "version": taken["version"],
                "starts_at": iso(at("15:00", day=round_number)),
                "ends_at": iso(at("15:30", day=round_number)),
            },
        }
        edit = client.patch(
            f"/api/v1/sessions/{taken['id']}",
            json={"notes": "prepared"},
            headers={**leader, "If-Match": f'"{taken["version"]}"'},
        )
        resolved, edited = await asyncio.gather(_resolve(client, manager, parked["id"], 1, override), edit)
        assert sorted((resolved.status_code, edited.status_code)) == [200, 412], (resolved.text, edited.text)
        state = await _state(db)
        assert state[taken["id"]][2] == taken["version"] + 1  # exactly one write reached it
        if resolved.status_code == 412:
            assert state[parked["id"]][:1] == ("conflict",) and state[parked["id"]][2] == 1
