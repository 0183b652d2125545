"""The set-based reads behind dashboards and scorecards.

Each response needs the same three statements whatever the team size: the people in scope (one
join), the KPI definitions, and the metrics pivoted per agent and period with conditional
aggregates. Scope is part of each ``WHERE``, so an out-of-scope id simply finds no row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import Kpi, Metric, Team, User
from server.services.principal import Principal
from shared.auth import Role
from shared.reports import MetricValues
from shared.scoring import kpi_sort_key

Agents = aliased(User, name="agents")
Leaders = aliased(User, name="leaders")


@dataclass(frozen=True, slots=True)
class MetricGroup:
    """One agent's KPI values for one period, with the rows' data version."""

    agent_id: str
    period: str
    values: dict[str, float | None]
    row_count: int
    version_sum: int
    last_update: str


def team_scope(principal: Principal) -> ColumnElement[bool]:
    """Teams the caller may see: led (team leader), managed (manager), all (admin), none (agent)."""
    if principal.role is Role.ADMIN:
        return true()
    if principal.role is Role.TEAM_LEADER:
        return Team.leader_id == principal.user_id
    if principal.role is Role.MANAGER:
        return Team.manager_id == principal.user_id
    return false()


def agent_scope(principal: Principal) -> ColumnElement[bool]:
    """Agents the caller may see; agents see only themselves."""
    if principal.role is Role.AGENT:
        return User.id == principal.user_id
    return team_scope(principal)


def active_agent_of(team_id: Any) -> ColumnElement[bool]:
    return and_(Agents.team_id == team_id, Agents.role == Role.AGENT.value, Agents.active.is_(True))


def team_with_agents(principal: Principal, team_id: str | None) -> Select[Any]:
    """The chosen team in scope with its active agents (one row per agent; one row if none)."""
    scope = team_scope(principal)
    chosen: Any = team_id
    if team_id is None:
        chosen = select(Team.id).where(scope).order_by(Team.name, Team.id).limit(1).scalar_subquery()
    return (
        select(Team, Agents)
        .outerjoin(Agents, active_agent_of(Team.id))
        .where(Team.id == chosen, scope)
        .order_by(Agents.name, Agents.id)
    )


def teams_with_agents(principal: Principal) -> Select[Any]:
    """Every team in scope with its leader and its active agents (one row per team and agent)."""
    return (
        select(Team, Leaders.id, Leaders.name, Leaders.version, Agents.id, Agents.version)
        .outerjoin(Leaders, Leaders.id == Team.leader_id)
        .outerjoin(Agents, active_agent_of(Team.id))
        .where(team_scope(principal))
        .order_by(Team.name, Team.id)
    )


def agent_with_team(principal: Principal, agent_id: str) -> Select[Any]:
    """The agent (if in scope) and the version of its team."""
    return (
        select(User, Team.version)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.id == agent_id, User.role == Role.AGENT.value, agent_scope(principal))
    )


async def load_kpis(session: AsyncSession) -> list[Kpi]:
    rows = list(await session.scalars(select(Kpi)))
    return sorted(rows, key=lambda kpi: kpi_sort_key(kpi.code))


def metric_pivot(codes: Sequence[str], *where: ColumnElement[bool]) -> Select[Any]:
    """Metrics grouped per (agent, period), one conditional-aggregate column per KPI code."""
    values = [
        func.max(case((Metric.kpi_code == code, Metric.value))).label(f"v{index}")
        for index, code in enumerate(codes)
    ]
    return (
        select(
            Metric.agent_id,
            Metric.period,
            func.count().label("row_count"),
            func.sum(Metric.version).label("version_sum"),
            func.max(Metric.updated_at).label("last_update"),
            *values,
        )
        .where(*where)
        .group_by(Metric.agent_id, Metric.period)
    )


async def load_metric_groups(
    session: AsyncSession, codes: Sequence[str], *where: ColumnElement[bool]
) -> list[MetricGroup]:
    rows = await session.execute(metric_pivot(codes, *where))
    return [
        MetricGroup(
            agent_id=row.agent_id,
            period=row.period,
            values={code: _float(row[5 + index]) for index, code in enumerate(codes)},
            row_count=int(row.row_count),
            version_sum=int(row.version_sum or 0),
            last_update=_stamp(row.last_update),
        )
        for row in rows
    ]


def metric_values(groups: Sequence[MetricGroup]) -> MetricValues:
    """The fetched groups as ``shared.reports`` takes them: ``{(agent_id, period): {code: value}}``."""
    return {(g.agent_id, g.period): g.values for g in groups}


def metrics_of_team(team_id: str, periods: Sequence[str]) -> list[ColumnElement[bool]]:
    members = select(Agents.id).where(active_agent_of(team_id))
    return [Metric.period.in_(periods), Metric.agent_id.in_(members)]


def metrics_of_teams_in_scope(principal: Principal, period: str) -> list[ColumnElement[bool]]:
    members = select(Agents.id).join(Team, active_agent_of(Team.id)).where(team_scope(principal))
    return [Metric.period == period, Metric.agent_id.in_(members)]


def metrics_of_agent(agent_id: str, periods: Sequence[str]) -> list[ColumnElement[bool]]:
    return [Metric.agent_id == agent_id, Metric.period.in_(periods)]


def data_version(kind: str, *parts: object) -> str:
    """A short digest of everything a response was computed from (ids, versions, aggregates)."""
    digest = hashlib.sha256(repr((kind, *parts)).encode()).hexdigest()[:32]
    return f"{kind}-{digest}"


def metric_version(groups: Sequence[MetricGroup]) -> list[tuple[str, str, int, int, str]]:
    return sorted((g.agent_id, g.period, g.row_count, g.version_sum, g.last_update) for g in groups)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _stamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)
