"""The demo data: known logins, plausible spread, no double bookings, logged changes, deterministic."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import Change, CoachingSession, Metric, Team, User
from server.services.demo_data import DEMO_PASSWORD, seed_demo
from server.services.passwords import Passwords
from server.settings import Settings
from shared.auth import Role
from tests import databases
from tests.factories import TEST_HASH_MEMORY_KIB, login
from tests.server.test_analytics_checks import team_dashboard_problems

TODAY = date(2026, 3, 16)


async def _seed(db: Database) -> list[tuple[str, Role]]:
    logins = await seed_demo(
        db, Passwords(TEST_HASH_MEMORY_KIB), teams=4, agents_per_team=5, months=14, today=TODAY
    )
    assert {login.password for login in logins} == {DEMO_PASSWORD}
    return [(login.email, login.role) for login in logins]


async def _count(db: Database, model: type) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_demo_logins_and_people(db: Database) -> None:
    logins = await _seed(db)
    assert logins == [
        ("admin@demo.coachhub", Role.ADMIN),
        ("manager@demo.coachhub", Role.MANAGER),
        ("manager2@demo.coachhub", Role.MANAGER),
        ("leader1@demo.coachhub", Role.TEAM_LEADER),
        ("leader2@demo.coachhub", Role.TEAM_LEADER),
        ("leader3@demo.coachhub", Role.TEAM_LEADER),
        ("leader4@demo.coachhub", Role.TEAM_LEADER),
        ("agent1@demo.coachhub", Role.AGENT),
    ]
    assert await _count(db, User) == 1 + 2 + 4 + 20
    assert await _count(db, Team) == 4
    async with db.read() as session:
        codes = list(await session.scalars(select(User.employee_code).where(User.role == "agent")))
    assert len(set(codes)) == 20 and all(codes)


async def test_seeding_again_keeps_what_is_there(db: Database) -> None:
    first = await _seed(db)
    metrics = await _count(db, Metric)
    assert await _seed(db) == first
    assert await _count(db, Metric) == metrics


async def test_metrics_have_spread_gaps_and_a_current_month(db: Database) -> None:
    await _seed(db)
    async with db.read() as session:
        query = select(Metric.agent_id, Metric.period, Metric.kpi_code, Metric.value)
        rows = (await session.execute(query)).all()
    months = {period for _, period, _, _ in rows}
    assert len(months) == 14 and max(months) == "2026-03"
    per_agent_months = {(agent, period) for agent, period, _, _ in rows}
    assert 20 * 14 * 0.9 < len(per_agent_months) < 20 * 14  # a few months are missing
    assert len({agent for agent, period in per_agent_months if period == "2026-03"}) == 20
    for code in ("csat", "fcr", "qa", "adherence"):
        values = [v for _, _, kpi, v in rows if kpi == code]
        assert min(values) >= 0 and max(values) <= 100
    aht = [v for _, _, kpi, v in rows if kpi == "aht"]
    assert min(aht) < 360 < max(aht)  # some agents beat the target, some miss it


async def test_sessions_never_overlap_and_changes_are_logged(db: Database) -> None:
    await _seed(db)
    async with db.read() as session:
        sessions = list(await session.scalars(select(CoachingSession)))
        changes = list(await session.scalars(select(Change).order_by(Change.seq)))
    now = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    assert {s.status for s in sessions} == {"scheduled", "completed"}
    assert all(s.starts_at > now for s in sessions if s.status == "scheduled")
    assert all(s.ends_at < now for s in sessions if s.status == "completed")
    for person in ("coach_id", "agent_id"):
        by_person: dict[str, list[CoachingSession]] = {}
        for s in sessions:
            by_person.setdefault(getattr(s, person), []).append(s)
        for booked in by_person.values():
            booked.sort(key=lambda s: s.starts_at)
            assert all(a.ends_at <= b.starts_at for a, b in itertools.pairwise(booked))
    rows = sum([await _count(db, m) for m in (User, Team, Metric, CoachingSession)])
    assert len(changes) == rows
    assert [c.seq for c in changes] == list(range(1, rows + 1))
    assert {c.entity for c in changes} == {"user", "team", "metric", "session"}


async def test_same_arguments_same_data(db: Database, sqlite_template: Path, tmp_path: Path) -> None:
    url = databases.copy_sqlite(sqlite_template, tmp_path / "other.sqlite3")
    other = Database(Settings(database_url=url))
    try:
        await _seed(db)
        await _seed(other)
        query = select(Metric.agent_id, Metric.period, Metric.kpi_code, Metric.value).order_by(
            Metric.agent_id, Metric.period, Metric.kpi_code
        )
        async with db.read() as one, other.read() as two:
            assert (await one.execute(query)).all() == (await two.execute(query)).all()
    finally:
        await other.dispose()


async def test_a_demo_leader_sees_a_filled_dashboard(client: httpx.AsyncClient, db: Database) -> None:
    await _seed(db)
    headers = await login(client, "leader1@demo.coachhub", DEMO_PASSWORD)
    response = await client.get("/api/v1/dashboards/team?period=2026-03", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert len(body["agents"]) == 5
    assert all(row["score"] is not None for row in body["agents"])
    assert team_dashboard_problems(body) == []


async def test_demo_people_have_distinct_names(db: Database) -> None:
    await seed_demo(db, Passwords(TEST_HASH_MEMORY_KIB), teams=30, agents_per_team=15, months=1, today=TODAY)
    async with db.read() as session:
        names = list(await session.scalars(select(User.name)))
    assert len(names) > 450 and len(set(names)) == len(names)
