"""Booking, reading and editing sessions through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import Change, CoachingSession
from server.services import sessions as sessions_service
from tests.factories import World
from tests.ids import uid
from tests.server.conftest import Login
from tests.server.test_sessions_support import at, book, booking, iso, past_booking, patch, started


def _spans(items: list[dict[str, str]]) -> list[tuple[datetime, datetime]]:
    return [(datetime.fromisoformat(i["starts_at"]), datetime.fromisoformat(i["ends_at"])) for i in items]


async def test_adjacent_sessions_book_and_an_overlap_is_refused(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    first = await book(client, leader, booking(agent, "10:00", "10:30"))
    second = await book(client, leader, booking(agent, "10:30", "11:00"))
    assert (first.status_code, second.status_code) == (201, 201)

    clash = await book(client, leader, booking(agent, "10:15", "10:45"))
    assert clash.status_code == 409
    problem = clash.json()
    assert problem["code"] == "slot_conflict"
    assert sorted(c["id"] for c in problem["conflicts"]) == sorted([first.json()["id"], second.json()["id"]])
    taken = _spans([first.json(), second.json()])
    suggestions = _spans(problem["suggestions"])
    assert suggestions, "a conflict suggests free slots"
    for starts, ends in suggestions:
        assert ends - starts == at("10:45") - at("10:15")
        assert all(not (s < ends and starts < e) for s, e in taken)
        assert at("09:00") <= starts and ends <= at("17:00")
    # The nearest free 30-minute slots that day: just before the first and just after the second.
    assert suggestions[:2] == [(at("09:30"), at("10:00")), (at("11:00"), at("11:30"))]


async def test_the_same_agent_or_the_same_coach_cannot_be_double_booked(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader, manager = await sign_in("leader_a"), await sign_in("manager")
    agent1, agent2 = world.users["agent_a1"].id, world.users["agent_a2"].id
    assert (await book(client, leader, booking(agent1, "10:00", "11:00"))).status_code == 201
    same_agent = await book(client, manager, booking(agent1, "10:30", "11:30"))
    same_coach = await book(client, leader, booking(agent2, "10:59", "11:30"))
    assert same_agent.json()["code"] == same_coach.json()["code"] == "slot_conflict"
    other = await book(client, manager, booking(agent2, "10:30", "11:30"))
    assert other.status_code == 201


async def test_cancelling_frees_the_slot(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    first = (await book(client, leader, booking(agent, "10:00", "10:30"))).json()
    assert (await book(client, leader, booking(agent, "10:00", "10:30"))).status_code == 409
    cancelled = await patch(client, leader, first["id"], 1, {"status": "cancelled"})
    assert cancelled.status_code == 200
    assert (await book(client, leader, booking(agent, "10:00", "10:30"))).status_code == 201


async def test_created_session_has_etag_location_and_revalidates(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    created = await book(client, leader, booking(world.users["agent_a1"].id, "10:00", "10:30"))
    assert created.status_code == 201
    body = created.json()
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/api/v1/sessions/{body['id']}"
    assert body["coach_id"] == world.users["leader_a"].id
    assert body["status"] == "scheduled" and body["version"] == 1

    read = await client.get(created.headers["location"], headers=leader)
    assert read.status_code == 200 and read.headers["etag"] == '"1"' and read.json() == body
    cached = await client.get(created.headers["location"], headers={**leader, "If-None-Match": '"1"'})
    assert cached.status_code == 304
    for candidates in ('W/"1"', '"7", W/"1"'):  # If-None-Match compares weakly (RFC 9110 13.1.2)
        headers = {**leader, "If-None-Match": candidates}
        revalidated = await client.get(created.headers["location"], headers=headers)
        assert revalidated.status_code == 304, candidates
    changed = await client.get(created.headers["location"], headers={**leader, "If-None-Match": 'W/"2"'})
    assert changed.status_code == 200
    out_of_scope = await client.get(created.headers["location"], headers=await sign_in("leader_c"))
    assert out_of_scope.status_code == 404


async def test_client_made_id_is_kept_and_cannot_be_reused(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    session_id = "6f1c2d7e-1111-4a4a-9b9b-000000000001"
    created = await book(client, leader, booking(world.users["agent_a1"].id, "10:00", "10:30", id=session_id))
    assert created.status_code == 201 and created.json()["id"] == session_id
    again = await book(client, leader, booking(world.users["agent_a2"].id, "12:00", "12:30", id=session_id))
    assert again.status_code == 422


async def test_booking_rules_answer_with_the_documented_codes(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    cases = [
        ({"starts_at": "2031-03-04T10:00:00", "ends_at": "2031-03-04T10:30:00"}, 422, "validation_error"),
        ({"starts_at": iso(at("10:00")), "ends_at": iso(at("10:00"))}, 422, "validation_error"),
        ({"starts_at": iso(at("10:00")), "ends_at": iso(at("09:30"))}, 422, "validation_error"),
        ({"starts_at": iso(at("09:00")), "ends_at": iso(at("13:01"))}, 422, "validation_error"),
        ({"starts_at": iso(at("10:00")), "ends_at": iso(at("10:14"))}, 422, "validation_error"),
        ({"topic": ""}, 422, "validation_error"),
        ({"agent_id": uid("no-such-agent")}, 404, "not_found"),
        ({"agent_id": world.users["agent_c1"].id}, 404, "not_found"),  # another manager's team
        ({"agent_id": world.users["leader_a"].id}, 404, "not_found"),  # not an agent
        ({"coach_id": world.users["leader_c"].id}, 404, "not_found"),  # a coach out of scope
        ({"coach_id": agent}, 422, "validation_error"),  # an agent cannot coach
    ]
    for change, status, code in cases:
        response = await book(client, leader, {**booking(agent, "10:00", "10:30"), **change})
        assert (response.status_code, response.json()["code"]) == (status, code), change
    exactly_four_hours = await book(client, leader, booking(agent, "09:00", "13:00"))
    quarter_hour = await book(client, leader, booking(agent, "13:00", "13:15"))
    assert (exactly_four_hours.status_code, quarter_hour.status_code) == (201, 201)

    as_agent = await book(client, await sign_in("agent_a1"), booking(agent, "15:00", "15:30"))
    assert (as_agent.status_code, as_agent.json()["code"]) == (403, "forbidden")
    unauthenticated = await book(client, {}, booking(agent, "15:00", "15:30"))
    assert unauthenticated.status_code == 401


async def test_who_may_book_whom(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    u = world.users
    manager_for_leader = await book(
        client,
        await sign_in("manager"),
        booking(u["agent_b1"].id, "10:00", "10:30", coach_id=u["leader_b"].id),
    )
    assert manager_for_leader.status_code == 201
    assert manager_for_leader.json()["coach_id"] == u["leader_b"].id
    assert manager_for_leader.json()["created_by"] == u["manager"].id
    leader_with_manager = await book(
        client,
        await sign_in("leader_a"),
        booking(u["agent_a1"].id, "11:00", "11:30", coach_id=u["manager"].id),
    )
    assert leader_with_manager.status_code == 201
    admin_anyone = await book(
        client, await sign_in("admin"), booking(u["agent_c1"].id, "10:00", "10:30", coach_id=u["leader_c"].id)
    )
    assert admin_anyone.status_code == 201
    manager_other_team = await book(
        client, await sign_in("manager"), booking(u["agent_c1"].id, "12:00", "12:30")
    )
    assert manager_other_team.status_code == 404


async def test_patch_needs_if_match_and_a_current_version(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    created = (await book(client, leader, booking(world.users["agent_a1"].id, "10:00", "10:30"))).json()
    url = f"/api/v1/sessions/{created['id']}"

    missing = await client.patch(url, json={"topic": "x"}, headers=leader)
    assert (missing.status_code, missing.json()["code"]) == (428, "precondition_required")

    first = await patch(client, leader, created["id"], 1, {"topic": "Call control"})
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    stale = await patch(client, leader, created["id"], 1, {"notes": "late edit"})
    assert (stale.status_code, stale.json()["code"]) == (412, "version_conflict")
    assert stale.json()["current"] == first.json()
    assert (await client.get(url, headers=leader)).json()["notes"] == ""


async def test_version_grows_by_exactly_one_per_write(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    created = (await book(client, leader, past_booking(world.users["agent_a1"].id, "10:00", "10:30"))).json()
    edits = [
        {"topic": "Empathy"},
        {"notes": "Listen first", "topic": "Empathy 2"},
        {"starts_at": iso(started("14:00")), "ends_at": iso(started("15:00"))},
        {"coach_id": world.users["manager"].id},
        {"status": "completed"},
    ]
    for number, edit in enumerate(edits, start=2):
        response = await patch(client, leader, created["id"], number - 1, edit)
        assert response.status_code == 200, response.text
        assert response.json()["version"] == number
        assert response.headers["etag"] == f'"{number}"'
    async with db.read() as session:
        row = await session.get(CoachingSession, created["id"])
        assert row is not None and row.version == len(edits) + 1
        logged = await session.scalars(
            select(Change.version)
            .where(Change.entity == "session", Change.entity_id == created["id"])
            .order_by(Change.seq)
        )
        assert list(logged) == list(range(1, len(edits) + 2))
        change = await session.scalar(select(Change).where(Change.entity_id == created["id"]).limit(1))
        assert change is not None
        assert (change.team_id, change.agent_id) == (world.teams["team_a"].id, world.users["agent_a1"].id)


async def test_two_concurrent_patches_with_the_same_etag(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    created = (await book(client, leader, booking(world.users["agent_a1"].id, "10:00", "10:30"))).json()
    for round_number in range(5):
        version = round_number + 1
        answers = await asyncio.gather(
            patch(client, leader, created["id"], version, {"notes": f"A{round_number}"}),
            patch(client, leader, created["id"], version, {"notes": f"B{round_number}"}),
        )
        assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200).json()
        loser = next(a for a in answers if a.status_code == 412).json()
        assert winner["version"] == version + 1
        assert loser["current"] == winner
    async with db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(Change).where(Change.entity_id == created["id"])
        )
    assert count == 6  # the create and one change per winning write


async def test_status_moves_follow_the_allowed_transitions(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    created = (await book(client, leader, past_booking(world.users["agent_a1"].id, "10:00", "10:30"))).json()
    to_conflict = await patch(client, leader, created["id"], 1, {"status": "conflict"})
    assert (to_conflict.status_code, to_conflict.json()["code"]) == (422, "invalid_transition")
    done = await patch(client, leader, created["id"], 1, {"status": "completed"})
    assert done.status_code == 200
    back = await patch(client, leader, created["id"], 2, {"status": "scheduled"})
    assert (back.status_code, back.json()["code"]) == (422, "invalid_transition")
    notes_after = await patch(client, leader, created["id"], 2, {"notes": "went well"})
    assert notes_after.status_code == 200 and notes_after.json()["version"] == 3
    as_agent = await patch(client, await sign_in("agent_a1"), created["id"], 3, {"notes": "mine"})
    assert as_agent.status_code == 403
    out_of_scope = await patch(client, await sign_in("leader_b"), created["id"], 3, {"notes": "x"})
    assert out_of_scope.status_code == 404


async def test_rescheduling_obeys_the_overlap_rule(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent1, agent2 = world.users["agent_a1"].id, world.users["agent_a2"].id
    first = (await book(client, leader, booking(agent1, "10:00", "10:30"))).json()
    second = (await book(client, leader, booking(agent2, "11:00", "11:30"))).json()
    onto_second = await patch(
        client, leader, first["id"], 1, {"starts_at": iso(at("11:15")), "ends_at": iso(at("11:45"))}
    )
    assert (onto_second.status_code, onto_second.json()["code"]) == (409, "slot_conflict")
    assert [c["id"] for c in onto_second.json()["conflicts"]] == [second["id"]]
    # Moving within its own slot is not a clash with itself.
    shifted = await patch(
        client, leader, first["id"], 1, {"starts_at": iso(at("10:15")), "ends_at": iso(at("10:45"))}
    )
    assert shifted.status_code == 200
    only_one_time = await patch(client, leader, first["id"], 2, {"starts_at": iso(at("12:00"))})
    assert only_one_time.status_code == 422


async def test_free_slots_leave_out_busy_time(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    assert (await book(client, leader, booking(agent, "09:00", "12:00"))).status_code == 201
    assert (
        await book(client, leader, booking(world.users["agent_a2"].id, "13:00", "16:30"))
    ).status_code == 201
    response = await client.get(
        "/api/v1/sessions/free-slots",
        params={"agent_id": agent, "date": "2031-03-04", "duration_minutes": "60"},
        headers=leader,
    )
    assert response.status_code == 200
    starts = [datetime.fromisoformat(s["starts_at"]) for s in response.json()["items"]]
    assert starts == [at("12:00")]
    other_team = await client.get(
        "/api/v1/sessions/free-slots",
        params={"agent_id": world.users["agent_c1"].id, "date": "2031-03-04"},
        headers=leader,
    )
    assert other_team.status_code == 404


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # the constraints are PostgreSQL's
async def test_database_constraint_refusal_becomes_the_same_409(
    client: httpx.AsyncClient, world: World, sign_in: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a booking that slips past the check (a concurrent writer) hits the exclusion
    constraint; the caller still gets 409 slot_conflict with the clashing session, never a 500."""
    leader = await sign_in("leader_a")
    agent1, agent2 = world.users["agent_a1"].id, world.users["agent_a2"].id
    first = (await book(client, leader, booking(agent1, "10:00", "10:30"))).json()
    second = (await book(client, leader, booking(agent2, "11:00", "11:30"))).json()
    real_check = sessions_service.overlapping
    blind_calls = 0

    async def blind_once(*args: Any, **kwargs: Any) -> list[CoachingSession]:
        nonlocal blind_calls
        if blind_calls < 2:
            blind_calls += 1
            return []
        return await real_check(*args, **kwargs)

    monkeypatch.setattr(sessions_service, "overlapping", blind_once)
    clash = await book(client, leader, booking(agent2, "10:15", "10:45"))
    assert (clash.status_code, clash.json()["code"]) == (409, "slot_conflict")
    assert [c["id"] for c in clash.json()["conflicts"]] == [first["id"]]
    moved = await patch(
        client, leader, second["id"], 1, {"starts_at": iso(at("10:00")), "ends_at": iso(at("10:30"))}
    )
    assert (moved.status_code, moved.json()["code"]) == (409, "slot_conflict")
    assert blind_calls == 2


@pytest.mark.parametrize("status", ["completed", "no_show"])
async def test_a_session_is_completed_or_missed_only_once_it_has_started(
    client: httpx.AsyncClient, world: World, sign_in: Login, status: str
) -> None:
    leader = await sign_in("leader_a")
    ahead = (await book(client, leader, booking(world.users["agent_a1"].id, "10:00", "10:30"))).json()
    early = await patch(client, leader, ahead["id"], 1, {"status": status})
    assert (early.status_code, early.json()["code"]) == (422, "session_not_started")
    assert "once it has started" in early.json()["detail"]
    # Moved into the past by the same edit, it has started: the new start is what counts.
    moved = {"status": status, "starts_at": iso(started("09:00")), "ends_at": iso(started("09:30"))}
    done = await patch(client, leader, ahead["id"], 1, moved)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == status
