"""A push batch whose mutations meet transient failures: each retried mutation runs again as a
whole (claim, apply, stored result) and is applied once; every result says what happened."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Change, CoachingSession
from server.services.sessions import SessionService
from server.services.sync_push import PushService
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_db_retry import fail_transiently
from tests.server.test_sync_push import _state, create, push, update


async def test_a_retried_mutation_is_applied_once_and_every_result_is_exact(
    client: httpx.AsyncClient, world: World, sign_in: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    made = create(agent, "10:00", "11:00")
    batch = [
        made,
        update(made["session_id"], 1, notes="prepared"),
        create(agent, "10:30", "11:30"),  # overlaps the first: parked in conflict
        update(made["session_id"], 1, notes="stale"),  # from a version already gone
    ]
    # The create and the first update each fail once, after all their writes, before commit.
    fail_once = {(made["session_id"], 1), (made["session_id"], 2)}
    record, claim = SessionService.record, PushService._claim
    claims: Counter[str] = Counter()

    async def record_then_fail(self: SessionService, session: AsyncSession, rows: Any) -> None:
        await record(self, session, rows)
        key = (rows[0].id, rows[0].version)
        if key in fail_once:
            fail_once.discard(key)
            await fail_transiently(session, "40P01")

    async def counted_claim(self: PushService, session: AsyncSession, user_id: str, mutation_id: str) -> bool:
        claims[mutation_id] += 1
        return await claim(self, session, user_id, mutation_id)

    monkeypatch.setattr(SessionService, "record", record_then_fail)
    monkeypatch.setattr(PushService, "_claim", counted_claim)
    results = await push(client, leader, batch)

    assert not fail_once, "both injected failures fired"
    # Retried from the outermost transaction: the claim ran again with the rest.
    assert [claims[m["mutation_id"]] for m in batch] == [2, 2, 1, 1]
    assert [(r["status"], r["code"]) for r in results] == [
        ("applied", None),
        ("applied", None),
        ("conflict", "slot_conflict"),
        ("conflict", "version_conflict"),
    ]
    assert results[1]["session"]["version"] == 2 and results[3]["current"]["version"] == 2
    sessions, changes, stored = await _state(world.db)
    async with world.db.read() as session:
        rows = {row.id: row for row in await session.scalars(select(CoachingSession))}
        logged = Counter(await session.scalars(select(Change.entity_id).where(Change.entity == "session")))
    first, parked = rows[made["session_id"]], rows[batch[2]["session_id"]]
    assert (first.status, first.version, first.notes) == ("scheduled", 2, "prepared")
    assert (parked.status, parked.version) == ("conflict", 1)
    assert len(rows) == 2 and stored == 4
    assert logged == Counter({first.id: 2, parked.id: 1}), "one change per applied write, none twice"

    # The whole batch again: the stored results, nothing applied.
    assert await push(client, leader, batch) == results
    assert await _state(world.db) == (sessions, changes, stored)
