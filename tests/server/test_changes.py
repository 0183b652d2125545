"""Recording the change log: sequence blocks and the expansion of an agent's move."""

from __future__ import annotations

from sqlalchemy import insert, select

from server.db.engine import Database
from server.db.models import Change, CoachingSession, Metric
from server.services.changes import ChangeRecord, record_agent_move, record_changes
from shared.types import utcnow
from tests.factories import World
from tests.server.test_sessions_support import at


async def _log(db: Database) -> list[tuple[int, str, str, str | None, str | None]]:
    async with db.read() as session:
        rows = await session.execute(
            select(
                Change.seq, Change.entity, Change.entity_id, Change.team_id, Change.previous_team_id
            ).order_by(Change.seq)
        )
        return [tuple(row) for row in rows]


async def _agent_rows(db: Database, agent_id: str, coach_id: str) -> set[str]:
    now = utcnow()
    async with db.write() as session:
        await session.execute(
            insert(Metric),
            [
                dict(agent_id=agent_id, period=p, kpi_code="qa", value=90.0, version=1, updated_at=now)
                for p in ("2026-01", "2026-02")
            ],
        )
        session.add(
            CoachingSession(
                id="s-1",
                agent_id=agent_id,
                coach_id=coach_id,
                starts_at=at("10:00"),
                ends_at=at("11:00"),
                status="scheduled",
                topic="t",
                notes="",
                created_by=coach_id,
                version=3,
                created_at=now,
                updated_at=now,
            )
        )
    return {f"{agent_id}:2026-01:qa", f"{agent_id}:2026-02:qa", "s-1"}


async def test_sequence_numbers_are_contiguous_blocks(db: Database, world: World) -> None:
    async with db.write() as session:
        await record_changes(session, [ChangeRecord("kpi", "qa", 2), ChangeRecord("kpi", "aht", 2)])
    async with db.write() as session:
        await record_changes(session, [ChangeRecord("kpi", "fcr", 2)])
        await record_changes(session, [])
    assert [row[:3] for row in await _log(db)] == [(1, "kpi", "qa"), (2, "kpi", "aht"), (3, "kpi", "fcr")]


async def test_a_users_team_move_also_logs_their_metrics_and_sessions(db: Database, world: World) -> None:
    agent, old, new = world.users["agent_a1"].id, world.teams["team_a"].id, world.teams["team_b"].id
    owned = await _agent_rows(db, agent, world.users["leader_a"].id)
    async with db.write() as session:
        await record_changes(
            session, [ChangeRecord("user", agent, 2, team_id=new, previous_team_id=old, agent_id=agent)]
        )
        # Not a move: no expansion.
        await record_changes(session, [ChangeRecord("user", agent, 3, team_id=new, agent_id=agent)])
    log = await _log(db)
    assert log[0][1:] == ("user", agent, new, old)
    assert {row[2] for row in log[1:-1]} == owned
    assert all(row[3:] == (new, old) for row in log[1:-1])
    assert log[-1][1:] == ("user", agent, new, None)


async def test_record_agent_move_covers_a_move_from_no_team(db: Database, world: World) -> None:
    agent, new = world.users["agent_a1"].id, world.teams["team_b"].id
    owned = await _agent_rows(db, agent, world.users["leader_a"].id)
    async with db.write() as session:
        await record_agent_move(session, agent, 2, None, new)
        await record_agent_move(session, agent, 3, new, new)  # same team: only the user
    log = await _log(db)
    assert log[0][1:] == ("user", agent, new, None)
    assert {row[2] for row in log[1:-1]} == owned
    assert log[-1][1:3] == ("user", agent)
