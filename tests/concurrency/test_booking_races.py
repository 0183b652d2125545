"""Races over a real server with two worker processes: double booking, duplicate requests,
concurrent edits and resolutions. Each test seeds its own people and uses its own day."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from server.db.engine import Database
from server.services.principal import Principal
from server.services.sessions import SessionService
from server.settings import Settings
from shared.auth import Role
from shared.sessions import SessionCreate
from tests.factories import World, login
from tests.live_server import LiveServer

BURST = 50
FIRST_DAY = datetime(2032, 6, 1, tzinfo=UTC)
_days = itertools.count()

OVERLAPPING_PAIRS = text(
    """
    SELECT count(*) FROM coaching_sessions a JOIN coaching_sessions b
      ON a.id < b.id
     AND a.status = 'scheduled' AND b.status = 'scheduled'
     AND (a.coach_id = b.coach_id OR a.agent_id = b.agent_id)
     AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
    """
)


def _new_day() -> datetime:
    """A day of its own for each burst, so tests sharing one server never collide."""
    return FIRST_DAY + timedelta(days=next(_days))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _body(agent_id: str, starts: datetime, minutes: int, **extra: Any) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "starts_at": _iso(starts),
        "ends_at": _iso(starts + timedelta(minutes=minutes)),
        "topic": "race",
        **extra,
    }


async def _burst(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    bodies: list[dict[str, Any]],
    keys: list[str] | None = None,
) -> tuple[list[httpx.Response], float]:
    keys = keys or [str(uuid.uuid4()) for _ in bodies]
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/sessions", json=body, headers={**headers, "Idempotency-Key": key})
            for body, key in zip(bodies, keys, strict=True)
        )
    )
    return list(responses), time.perf_counter() - started


async def _overlapping_pairs(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(OVERLAPPING_PAIRS)).scalar_one())


def _codes(responses: list[httpx.Response]) -> Counter[str]:
    return Counter(
        "201" if r.status_code == 201 else f"{r.status_code} {r.json().get('code')}" for r in responses
    )


async def _team_with_agents(world: World, name: str, count: int) -> tuple[str, list[str]]:
    leader = await world.user(f"{name}_leader", "team_leader")
    await world.team(name, leader=f"{name}_leader")
    agents = [(await world.user(f"{name}_agent_{i}", "agent", team=name)).id for i in range(count)]
    return leader.email, agents


async def test_one_coach_many_agents_same_slot_books_once(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    leader_email, agents = await _team_with_agents(world, "burst_coach", BURST)
    headers = await login(live_client, leader_email)
    day = _new_day()
    bodies = [_body(agent, day + timedelta(hours=10), 60) for agent in agents]
    responses, elapsed = await _burst(live_client, headers, bodies)
    codes = _codes(responses)
    print(f"\n[{live_server.backend}] same coach, {BURST} agents: {dict(codes)} in {elapsed:.2f}s")
    assert codes == Counter({"201": 1, "409 slot_conflict": BURST - 1}), live_server.log_tail()
    assert await _overlapping_pairs(live_db) == 0


async def test_one_agent_many_coaches_same_slot_books_once(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    admin = await world.user("burst_admin", "admin")
    await world.team("burst_agent_team")
    agent = await world.user("burst_agent", "agent", team="burst_agent_team")
    coaches = [(await world.user(f"burst_coach_{i}", "team_leader")).id for i in range(BURST)]
    headers = await login(live_client, admin.email)
    day = _new_day()
    bodies = [_body(agent.id, day + timedelta(hours=10), 45, coach_id=coach) for coach in coaches]
    responses, elapsed = await _burst(live_client, headers, bodies)
    codes = _codes(responses)
    print(f"\n[{live_server.backend}] same agent, {BURST} coaches: {dict(codes)} in {elapsed:.2f}s")
    assert codes == Counter({"201": 1, "409 slot_conflict": BURST - 1}), live_server.log_tail()
    assert await _overlapping_pairs(live_db) == 0


async def test_partial_overlaps_never_double_book(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    leader_email, agents = await _team_with_agents(world, "burst_partial", BURST)
    headers = await login(live_client, leader_email)

    # Every pair overlaps, but only in part: starts a minute apart, an hour long. One wins.
    day = _new_day()
    staggered = [_body(agent, day + timedelta(hours=9, minutes=i), 60) for i, agent in enumerate(agents)]
    responses, elapsed = await _burst(live_client, headers, staggered)
    codes = _codes(responses)
    print(f"\n[{live_server.backend}] partial overlaps, all pairs clash: {dict(codes)} in {elapsed:.2f}s")
    assert codes == Counter({"201": 1, "409 slot_conflict": BURST - 1}), live_server.log_tail()

    # A chain: each request overlaps its neighbours only. Winners never overlap each other and
    # every refusal overlaps a winner.
    day = _new_day()
    chain = [_body(agent, day + timedelta(hours=8, minutes=10 * i), 30) for i, agent in enumerate(agents)]
    responses, elapsed = await _burst(live_client, headers, chain)
    codes = _codes(responses)
    print(f"\n[{live_server.backend}] partial overlaps, chain: {dict(codes)} in {elapsed:.2f}s")
    assert set(codes) <= {"201", "409 slot_conflict"}, dict(codes)
    won = [(r.json()["starts_at"], r.json()["ends_at"]) for r in responses if r.status_code == 201]
    spans = [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in won]
    for body, response in zip(chain, responses, strict=True):
        if response.status_code == 409:
            starts, ends = datetime.fromisoformat(body["starts_at"]), datetime.fromisoformat(body["ends_at"])
            assert any(s < ends and starts < e for s, e in spans), body
    assert await _overlapping_pairs(live_db) == 0


async def test_same_idempotency_key_books_once(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    leader_email, agents = await _team_with_agents(world, "burst_key", 1)
    manager = await world.user("burst_key_manager", "manager")
    world.teams["burst_key"].manager_id = manager.id
    async with live_db.write() as session:
        await session.execute(
            text("UPDATE teams SET manager_id = :m WHERE id = :t"),
            {"m": manager.id, "t": world.teams["burst_key"].id},
        )
    headers = await login(live_client, leader_email)
    day = _new_day()
    body = _body(agents[0], day + timedelta(hours=10), 30)
    responses, elapsed = await _burst(live_client, headers, [body] * 20, keys=["same-key"] * 20)
    codes = _codes(responses)
    print(f"\n[{live_server.backend}] 20 x same key: {dict(codes)} in {elapsed:.2f}s")
    assert set(codes) <= {"201", "409 request_in_progress"}, dict(codes)
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.content for r in created}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in created) == 1, "one original answer"
    assert all("retry-after" in r.headers for r in responses if r.status_code == 409)
    async with live_db.read() as session:
        rows = (
            await session.execute(
                text("SELECT count(*) FROM coaching_sessions WHERE agent_id = :a"), {"a": agents[0]}
            )
        ).scalar_one()
    assert rows == 1

    replay = await live_client.post(
        "/api/v1/sessions", json=body, headers={**headers, "Idempotency-Key": "same-key"}
    )
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.content == created[0].content

    # The same key from another user is another key: a new booking, not a replay or a reuse error.
    other = await live_client.post(
        "/api/v1/sessions",
        json=_body(agents[0], day + timedelta(hours=13), 30),
        headers={**await login(live_client, manager.email), "Idempotency-Key": "same-key"},
    )
    assert other.status_code == 201, other.text
    assert "idempotent-replayed" not in other.headers
    assert other.json()["id"] != created[0].json()["id"]


async def test_concurrent_patches_with_one_etag_one_wins(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    leader_email, agents = await _team_with_agents(world, "burst_patch", 1)
    headers = await login(live_client, leader_email)
    day = _new_day()
    created = await live_client.post(
        "/api/v1/sessions",
        json=_body(agents[0], day + timedelta(hours=10), 30),
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert created.status_code == 201
    url = created.headers["location"]
    answers = await asyncio.gather(
        *(
            live_client.patch(url, json={"notes": f"edit {i}"}, headers={**headers, "If-Match": '"1"'})
            for i in range(10)
        )
    )
    statuses = Counter(a.status_code for a in answers)
    print(f"\n[{live_server.backend}] 10 PATCHes with one ETag: {dict(statuses)}")
    assert statuses == Counter({200: 1, 412: 9})
    final = await live_client.get(url, headers=headers)
    assert final.json()["version"] == 2


async def test_concurrent_resolutions_one_wins(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    leader_email, agents = await _team_with_agents(world, "burst_resolve", 1)
    leader = world.users["burst_resolve_leader"]
    headers = await login(live_client, leader_email)
    day = _new_day()
    body = _body(agents[0], day + timedelta(hours=10), 30)
    taken = await live_client.post("/api/v1/sessions", json=body, headers={**headers, "Idempotency-Key": "r"})
    assert taken.status_code == 201
    service = SessionService(live_db, Settings(database_url=live_server.database_url))
    parked = await service.create(
        Principal(leader.id, Role.TEAM_LEADER, None),
        SessionCreate.model_validate(body),
        park_on_conflict=True,
    )
    assert parked.status == "conflict"
    url = f"/api/v1/conflicts/{parked.id}/resolve"
    resolutions = [
        {"action": "decline", "reason": "duplicate"},
        {
            "action": "reschedule",
            "starts_at": _iso(day + timedelta(hours=14)),
            "ends_at": _iso(day + timedelta(hours=14, minutes=30)),
        },
    ] * 5
    answers = await asyncio.gather(
        *(live_client.post(url, json=r, headers={**headers, "If-Match": '"1"'}) for r in resolutions)
    )
    statuses = Counter(a.status_code for a in answers)
    print(f"\n[{live_server.backend}] 10 resolutions of one conflict: {dict(statuses)}")
    assert statuses == Counter({200: 1, 412: 9})
    final = (await live_client.get(f"/api/v1/sessions/{parked.id}", headers=headers)).json()
    assert final["version"] == 2 and final["status"] in {"cancelled", "scheduled"}
