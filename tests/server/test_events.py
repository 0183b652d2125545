"""GET /events: pokes after commits that concern the reader, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from server.app import create_app
from server.db.engine import Database
from server.db.models import SyncCounter
from server.services.changes import ChangeRecord, record_changes
from server.settings import Settings
from tests.factories import World, login
from tests.server.test_sessions_support import book, booking
from tests.sse import event_stream, served

QUIET = 0.5  # long enough for a poke that would come to have come, on a busy machine too


@pytest.fixture
async def live(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with served(create_app(settings, db)) as base_url, httpx.AsyncClient(
        base_url=base_url, timeout=30.0
    ) as http:
        yield http


async def current_sequence(db: Database) -> int:
    async with db.read() as session:
        value = await session.scalar(select(SyncCounter.value).where(SyncCounter.name == "changes"))
    return int(value or 0)


async def test_a_booking_pokes_its_teams_leader_with_the_new_sequence(
    live: httpx.AsyncClient, world: World, db: Database
) -> None:
    leader = await login(live, world.users["leader_a"].email)
    async with event_stream(live, leader) as events:
        first = await events.next_poke()
        assert first == await current_sequence(db)
        booked = await book(live, leader, booking(world.users["agent_a1"].id, "10:00", "11:00"))
        assert booked.status_code == 201
        assert await events.next_poke() == await current_sequence(db) > first


async def test_a_change_outside_the_readers_scope_does_not_poke(
    live: httpx.AsyncClient, world: World, db: Database
) -> None:
    leader_a = await login(live, world.users["leader_a"].email)
    leader_b = await login(live, world.users["leader_b"].email)
    async with event_stream(live, leader_b) as events:
        await events.next_poke()
        await book(live, leader_a, booking(world.users["agent_a1"].id, "10:00", "11:00"))
        assert await events.no_poke_within(QUIET)
        await book(live, leader_b, booking(world.users["agent_b1"].id, "10:00", "11:00"))
        assert await events.next_poke() == await current_sequence(db)


async def test_a_session_the_reader_coaches_in_another_team_pokes_them(
    live: httpx.AsyncClient, world: World
) -> None:
    manager = await login(live, world.users["manager"].email)
    leader_b = await login(live, world.users["leader_b"].email)
    async with event_stream(live, leader_b) as events:
        first = await events.next_poke()
        coached = booking(world.users["agent_a1"].id, "10:00", "11:00", coach_id=world.users["leader_b"].id)
        assert (await book(live, manager, coached)).status_code == 201
        assert await events.next_poke() > first


async def test_last_event_id_at_the_current_sequence_sends_nothing_until_a_change(
    live: httpx.AsyncClient, world: World, db: Database
) -> None:
    leader = await login(live, world.users["leader_a"].email)
    current = await current_sequence(db)
    async with event_stream(live, leader, last_event_id=current) as events:
        assert await events.no_poke_within(QUIET)
    async with event_stream(live, leader, last_event_id=current - 1) as events:
        assert await events.next_poke() == current


async def test_heartbeats_flow_while_nothing_changes(
    settings: Settings, db: Database, world: World
) -> None:
    app = create_app(settings.with_(events_heartbeat=0.05), db)
    async with served(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
        leader = await login(http, world.users["leader_a"].email)
        async with event_stream(http, leader) as events:
            await events.next_poke()
            while events.heartbeats < 3:
                events.heartbeat.clear()
                await asyncio.wait_for(events.heartbeat.wait(), 10)


async def test_a_rolled_back_write_pokes_nobody(db: Database, world: World) -> None:
    subscriber = await db.pokes.subscribe(world.users["admin"].id, None)
    with pytest.raises(LookupError):
        async with db.write() as session:
            await record_changes(session, [ChangeRecord("kpi", "aht", 9)])
            raise LookupError("the write fails after recording its changes")
    async with db.write() as session:
        await record_changes(session, [ChangeRecord("kpi", "csat", 9)])
    # Pokes arrive in commit order, so the one for the committed write is the first one seen.
    committed = await current_sequence(db)
    seq, _ = await asyncio.wait_for(subscriber.next_poke(), 10)
    if seq < committed:  # PostgreSQL's listener announces the sequence it connected at first
        seq, _ = await asyncio.wait_for(subscriber.next_poke(), 10)
    assert seq == committed


async def test_events_need_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/events")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_events_turned_off_answer_not_found(settings: Settings, db: Database, world: World) -> None:
    app = create_app(settings.with_(events_enabled=False), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        leader = await login(http, world.users["leader_a"].email)
        response = await http.get("/api/v1/events", headers=leader)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_idle_streams_hold_no_connection_and_no_admission_turn(
    settings: Settings, world: World
) -> None:
    small = settings.with_(pool_size=2, pool_timeout=1.0)
    database = Database(small)
    try:
        async with served(create_app(small, database)) as base_url, httpx.AsyncClient(
            base_url=base_url, timeout=30.0, limits=httpx.Limits(max_connections=50)
        ) as http:
            leader = await login(http, world.users["leader_a"].email)
            streams = [event_stream(http, leader) for _ in range(10)]
            opened = [await stream.__aenter__() for stream in streams]
            try:
                for events in opened:
                    await events.next_poke()
                assert database.pool_status()[0] == 0
                # Five streams per turn of the pool, and ordinary requests still get theirs.
                assert (await http.get("/api/v1/me", headers=leader)).status_code == 200
                booked = await book(http, leader, booking(world.users["agent_a1"].id, "10:00", "11:00"))
                assert booked.status_code == 201
                assert all([await events.next_poke() for events in opened])
            finally:
                for stream in streams:
                    await stream.__aexit__(None, None, None)
    finally:
        await database.dispose()
