"""Realistic, deterministic demo data: people, teams, monthly KPIs and coaching sessions.

Everything is written with bulk inserts in one transaction and logged in the sync change log, so
a desktop that syncs from a demo server sees exactly what a real one would show.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import CoachingSession, Kpi, Metric, Team, User
from server.services.changes import ChangeRecord, metric_entity_id, record_changes
from server.services.passwords import Passwords
from shared.auth import Role
from shared.types import period_add

DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.coachhub"
SEED = 20240501

FIRST_NAMES = (
    "Amara", "Ben", "Chloé", "Dev", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kaia", "Luca",
    "Maya", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Viktor", "Wen", "Yara",
    "Zoe", "Aiden", "Bea", "Caio", "Dana", "Emil",
)
LAST_NAMES = (
    "Achebe", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ivanova", "Jansen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi", "Schmidt",
    "Tanaka", "Urban", "Varga", "Weber", "Yilmaz", "Zhang",
)
TEAM_NAMES = (
    "Billing", "Onboarding", "Retention", "Tech Support", "Sales", "Claims", "Priority", "Returns",
    "Loyalty", "Payments", "Roaming", "Business",
)
TOPICS = (
    "Call control and hold time", "Empathy statements", "First-contact resolution", "QA form review",
    "Schedule adherence", "Objection handling", "Knowledge base walkthrough", "Monthly check-in",
)
MISSING_MONTH_RATE = 0.03


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo account: every demo user has the same known password."""

    email: str
    password: str
    role: Role


@dataclass
class _Plan:
    """Rows to insert, and the change log entries that go with them."""

    users: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    changes: list[ChangeRecord]
    logins: list[DemoLogin]
    id_source: random.Random

    def new_id(self) -> str:
        """Ids from their own seeded stream, so the same arguments give the same ids too."""
        return str(uuid.UUID(int=self.id_source.getrandbits(128), version=4))


async def seed_demo(
    db: Database,
    passwords: Passwords,
    *,
    teams: int = 3,
    agents_per_team: int = 8,
    months: int = 14,
    today: date | None = None,
) -> list[DemoLogin]:
    """Create the demo organisation (unless it exists) and return its logins.

    An admin, one manager per three teams, a team leader per team, ``agents_per_team`` agents each
    with ``months`` monthly values of every KPI (ending with the current month, a few months
    missing), and coaching sessions: completed ones in the past weeks, scheduled ones ahead.
    Seeded randomness: the same arguments give the same data.
    """
    today = today or datetime.now(UTC).date()
    async with db.read() as session:
        existing = await _existing_logins(session)
    if existing:
        return existing
    password_hash = await passwords.hash(DEMO_PASSWORD)

    async def insert_plan(session: AsyncSession) -> list[DemoLogin]:
        kpis = list(await session.scalars(select(Kpi).order_by(Kpi.code)))
        plan = _plan(kpis, password_hash, teams, agents_per_team, months, today)
        leaders_and_staff = [u for u in plan.users if u["role"] != Role.AGENT.value]
        agents = [u for u in plan.users if u["role"] == Role.AGENT.value]
        # Leaders exist before their teams, teams before their agents.
        await session.execute(insert(User), leaders_and_staff)
        await session.execute(insert(Team), plan.teams)
        await session.execute(insert(User), agents)
        if plan.metrics:
            await session.execute(insert(Metric), plan.metrics)
        if plan.sessions:
            await session.execute(insert(CoachingSession), plan.sessions)
        await record_changes(session, plan.changes)
        return plan.logins

    return await db.run_write(insert_plan)


async def _existing_logins(session: AsyncSession) -> list[DemoLogin]:
    rows = (
        await session.execute(
            select(User.email, User.role)
            .where(
                User.email.like(f"%@{DEMO_DOMAIN}"),
                or_(User.role != Role.AGENT.value, User.email == f"agent1@{DEMO_DOMAIN}"),
            )
        )
    ).all()
    logins = [DemoLogin(email, DEMO_PASSWORD, Role(role)) for email, role in rows]
    return sorted(logins, key=_login_order)


def _login_order(login: DemoLogin) -> tuple[int, int, str]:
    """admin, managers, leaders, then the agent; ``leader10`` after ``leader9``."""
    rank = (Role.ADMIN, Role.MANAGER, Role.TEAM_LEADER, Role.AGENT).index(login.role)
    return rank, len(login.email), login.email


def _plan(
    kpis: list[Kpi], password_hash: str, team_count: int, agents_per_team: int, months: int, today: date
) -> _Plan:
    rng = random.Random(SEED)
    names = _names(rng)
    now = datetime.now(UTC)
    plan = _Plan([], [], [], [], [], [], random.Random(SEED + 1))

    def person(email: str, role: Role, name: str, **extra: Any) -> dict[str, Any]:
        row = {
            "id": plan.new_id(), "email": email, "name": name, "role": role.value,
            "password_hash": password_hash, "active": True, "team_id": None, "employee_code": None,
            "version": 1, "created_at": now, "updated_at": now, **extra,
        }
        plan.users.append(row)
        return row

    def login(row: dict[str, Any]) -> None:
        plan.logins.append(DemoLogin(row["email"], DEMO_PASSWORD, Role(row["role"])))

    login(person(f"admin@{DEMO_DOMAIN}", Role.ADMIN, "Ada Admin"))
    managers = []
    for index in range((team_count + 2) // 3):
        email = f"manager@{DEMO_DOMAIN}" if index == 0 else f"manager{index + 1}@{DEMO_DOMAIN}"
        managers.append(person(email, Role.MANAGER, next(names)))
        login(managers[-1])
    this_month = f"{today.year:04d}-{today.month:02d}"
    periods = [period_add(this_month, -offset) for offset in range(months - 1, -1, -1)]
    agent_number = 0
    for team_index in range(team_count):
        leader = person(f"leader{team_index + 1}@{DEMO_DOMAIN}", Role.TEAM_LEADER, next(names))
        login(leader)
        team = {
            "id": plan.new_id(), "name": _team_name(team_index), "leader_id": leader["id"],
            "manager_id": managers[team_index // 3]["id"], "version": 1, "created_at": now, "updated_at": now,
        }
        plan.teams.append(team)
        plan.changes.append(ChangeRecord("team", team["id"], 1, team_id=team["id"]))
        plan.changes.append(ChangeRecord("user", leader["id"], 1, team_id=team["id"]))
        for seat in range(agents_per_team):
            agent_number += 1
            agent = person(
                f"agent{agent_number}@{DEMO_DOMAIN}", Role.AGENT, next(names),
                team_id=team["id"], employee_code=f"EMP{agent_number:05d}",
            )
            plan.changes.append(
                ChangeRecord("user", agent["id"], 1, team_id=team["id"], agent_id=agent["id"])
            )
            _agent_metrics(plan, rng, kpis, agent["id"], team["id"], periods, now)
            _agent_sessions(plan, rng, agent["id"], leader["id"], team["id"], seat, today, now)
    agents = [u for u in plan.users if u["role"] == Role.AGENT.value]
    if agents:
        login(agents[0])
    for manager in managers:
        plan.changes.append(ChangeRecord("user", manager["id"], 1))
    plan.changes.insert(0, ChangeRecord("user", plan.users[0]["id"], 1))
    return plan


def _names(rng: random.Random) -> Iterator[str]:
    """Distinct full names in a seeded order (numbered once every pairing is taken)."""
    pairs = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(pairs)
    yield from pairs
    for round_number in itertools.count(2):
        yield from (f"{name} {round_number}" for name in pairs)


def _team_name(index: int) -> str:
    base = TEAM_NAMES[index % len(TEAM_NAMES)]
    return base if index < len(TEAM_NAMES) else f"{base} {index // len(TEAM_NAMES) + 1}"


def _agent_metrics(
    plan: _Plan,
    rng: random.Random,
    kpis: list[Kpi],
    agent_id: str,
    team_id: str,
    periods: list[str],
    now: datetime,
) -> None:
    # A level (strong or weak agent), a monthly drift (improving or slipping) and noise per KPI.
    level = rng.gauss(0.0, 0.08)
    drift = rng.gauss(0.0, 0.006)
    months = len(periods)
    for index, period in enumerate(periods):
        if index < months - 1 and rng.random() < MISSING_MONTH_RATE:
            continue
        form = level + drift * (index - months / 2) + rng.gauss(0.0, 0.03)
        for kpi in kpis:
            quality = form + rng.gauss(0.0, 0.04)
            if kpi.higher_is_better:
                value = round(min(100.0, max(0.0, kpi.target * (1.0 + quality))), 1)
            else:
                value = float(round(max(60.0, kpi.target * (1.0 - quality))))
            plan.metrics.append(
                {"agent_id": agent_id, "period": period, "kpi_code": kpi.code, "value": value,
                 "version": 1, "updated_at": now}
            )
            plan.changes.append(
                ChangeRecord("metric", metric_entity_id(agent_id, period, kpi.code), 1,
                             team_id=team_id, agent_id=agent_id)
            )


def _agent_sessions(
    plan: _Plan,
    rng: random.Random,
    agent_id: str,
    coach_id: str,
    team_id: str,
    seat: int,
    today: date,
    now: datetime,
) -> None:
    """A completed session some weeks back and, for most agents, one booked ahead.

    Each agent of a team gets its own slot (day and hour from its seat), so no two sessions of the
    same coach or agent overlap.
    """
    day_offset, hour = seat // 4, 9 + 2 * (seat % 4)
    slots: list[tuple[date, str]] = [(_workday(today, -(7 + day_offset)), "completed")]
    if seat % 5 != 4:
        slots.append((_workday(today, 1 + day_offset), "scheduled"))
    for day, status in slots:
        starts = datetime.combine(day, time(hour, 0), tzinfo=UTC)
        session_id = plan.new_id()
        plan.sessions.append(
            {
                "id": session_id, "agent_id": agent_id, "coach_id": coach_id, "starts_at": starts,
                "ends_at": starts + timedelta(minutes=rng.choice((30, 45, 60))), "status": status,
                "topic": rng.choice(TOPICS),
                "notes": "Went through last month's scorecard." if status == "completed" else "",
                "created_by": coach_id, "version": 1, "created_at": now, "updated_at": now,
            }
        )
        plan.changes.append(ChangeRecord("session", session_id, 1, team_id=team_id, agent_id=agent_id))


def _workday(start: date, offset: int) -> date:
    """The date ``offset`` working days (Mon-Fri) from ``start``."""
    step = 1 if offset >= 0 else -1
    day, remaining = start, abs(offset)
    while remaining:
        day += timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day
