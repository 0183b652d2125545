"""Idempotency keys on POST /sessions: replay, reuse, in-flight duplicates, takeover, purge."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from server.db.engine import Database
from server.db.models import CoachingSession, IdempotencyKey
from server.problems import ProblemError
from server.services.idempotency import (
    Claim,
    IdempotencyKeys,
    StoredResponse,
    purge_idempotency_keys,
    request_fingerprint,
)
from server.settings import Settings
from shared.errors import ErrorCode
from shared.types import utcnow
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_sessions_support import book, booking, patch


async def _sessions(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(CoachingSession)) or 0)


async def test_key_is_required(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    response = await client.post(
        "/api/v1/sessions",
        json=booking(world.users["agent_a1"].id, "10:00", "10:30"),
        headers=await sign_in("leader_a"),
    )
    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_missing")


async def test_same_key_and_body_replays_the_stored_response(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    body = booking(world.users["agent_a1"].id, "10:00", "10:30")
    first = await book(client, leader, body, key="k-1")
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await book(client, leader, dict(reversed(body.items())), key="k-1")  # same JSON, other order
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["location"] == first.headers["location"]
    assert await _sessions(db) == 1


async def test_replay_is_the_original_answer_even_after_the_session_changed(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    body = booking(world.users["agent_a1"].id, "10:00", "10:30")
    first = await book(client, leader, body, key="k-2")
    assert (await patch(client, leader, first.json()["id"], 1, {"topic": "changed"})).status_code == 200
    replay = await book(client, leader, body, key="k-2")
    assert replay.json() == first.json() and replay.headers["etag"] == '"1"'


async def test_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    assert (await book(client, leader, booking(agent, "10:00", "10:30"), key="k-3")).status_code == 201
    other = await book(client, leader, booking(agent, "12:00", "12:30"), key="k-3")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert await _sessions(db) == 1


async def test_keys_are_scoped_to_the_user(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    agent = world.users["agent_a1"].id
    mine = await book(client, await sign_in("leader_a"), booking(agent, "10:00", "10:30"), key="shared")
    theirs = await book(client, await sign_in("manager"), booking(agent, "12:00", "12:30"), key="shared")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert await _sessions(db) == 2


async def test_failures_are_stored_and_replayed(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    taken = (await book(client, leader, booking(agent, "10:00", "10:30"))).json()
    clash = await book(client, leader, booking(agent, "10:00", "10:30"), key="k-4")
    assert clash.status_code == 409
    assert (await patch(client, leader, taken["id"], 1, {"status": "cancelled"})).status_code == 200
    replay = await book(client, leader, booking(agent, "10:00", "10:30"), key="k-4")
    assert replay.status_code == 409 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == clash.json()
    assert replay.headers["content-type"].startswith("application/problem+json")


async def test_a_running_request_answers_in_progress_with_retry_after(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    body = booking(world.users["agent_a1"].id, "10:00", "10:30")
    fingerprint = request_fingerprint("POST", "/api/v1/sessions", body)
    claim = await IdempotencyKeys(db, settings).claim(world.users["leader_a"].id, "k-5", fingerprint)
    assert isinstance(claim, Claim)  # as if a first request were booking right now

    running = await book(client, leader, body, key="k-5")
    assert (running.status_code, running.json()["code"]) == (409, "request_in_progress")
    assert 1 <= int(running.headers["retry-after"]) <= 30
    assert await _sessions(db) == 0


async def test_a_retry_takes_over_a_key_whose_first_attempt_died(
    client: httpx.AsyncClient, db: Database, settings: Settings, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    body = booking(world.users["agent_a1"].id, "10:00", "10:30")
    fingerprint = request_fingerprint("POST", "/api/v1/sessions", body)
    keys = IdempotencyKeys(db, settings)
    dead = await keys.claim(world.users["leader_a"].id, "k-6", fingerprint)
    assert isinstance(dead, Claim)
    async with db.write() as session:  # the process died; its lease ran out
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "k-6")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    retry = await book(client, leader, body, key="k-6")
    assert retry.status_code == 201
    # The dead attempt can no longer store an answer over the retry's.
    with pytest.raises(ProblemError) as late:
        async with db.write() as session:
            await keys.complete(session, dead, StoredResponse(status=201, headers={}, body="{}"))
    assert late.value.code is ErrorCode.REQUEST_IN_PROGRESS
    async with db.read() as session:
        row = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "k-6"))
    assert row is not None and row.state == "done" and row.response_status == 201
    assert await _sessions(db) == 1


async def test_purge_removes_only_old_keys(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    await book(client, leader, booking(agent, "10:00", "10:30"), key="old")
    await book(client, leader, booking(agent, "11:00", "11:30"), key="new")
    async with db.write() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "old")
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    assert await purge_idempotency_keys(db, timedelta(hours=24)) == 1
    async with db.read() as session:
        left = list(await session.scalars(select(IdempotencyKey.key)))
    assert left == ["new"]


async def test_an_expired_key_may_be_used_again(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    await book(client, leader, booking(agent, "10:00", "10:30"), key="reused-later")
    async with db.write() as session:
        await session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    later = await book(client, leader, booking(agent, "12:00", "12:30"), key="reused-later")
    assert later.status_code == 201 and "idempotent-replayed" not in later.headers
