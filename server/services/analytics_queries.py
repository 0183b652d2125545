"""The reads behind dashboards and scorecards: stored scores as plain rows, a fixed number per answer.

Scores are computed when metrics or KPI settings are written (``score_store``), so an answer reads,
in one snapshot: the caller (sign-in), the people in scope joined to their stored scores (one row
per agent and month), and the KPI definitions where the answer shows them. Scope is part of each
``WHERE``, so an out-of-scope id simply finds no row. Columns come back as tuples (Core), not ORM
objects: these are the server's hottest paths, and building objects was most of their cost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import AgentScore, Kpi, Team, User
from server.services.principal import Principal
from shared import directory
from shared.auth import Role
from shared.scoring import kpi_sort_key

M = TypeVar("M", bound=BaseModel)

Agents = aliased(User, name="agents")
Leaders = aliased(User, name="leaders")
Current = aliased(AgentScore, name="current_scores")
Previous = aliased(AgentScore, name="previous_scores")

TEAM_COLUMNS = (Team.id, Team.name, Team.leader_id, Team.manager_id, Team.version)
KPI_COLUMNS = (Kpi.code, Kpi.name, Kpi.unit, Kpi.higher_is_better, Kpi.target, Kpi.weight, Kpi.version)


def agent_columns(people: Any) -> tuple[Any, ...]:
    """The columns of ``directory.Agent``, from ``User`` or one of its aliases."""
    return (
        people.id,
        people.name,
        people.email,
        people.team_id,
        people.employee_code,
        people.active,
        people.version,
    )


AGENT_COLUMNS = agent_columns(Agents)


def contract(model: type[M], columns: Sequence[Any], values: Sequence[Any]) -> M:
    """A contract model from the values of ``columns`` (named like its fields), read from the database."""
    return model.model_construct(**{column.key: value for column, value in zip(columns, values, strict=True)})


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


def score_of(scores: Any, period: str) -> ColumnElement[bool]:
    return and_(scores.agent_id == Agents.id, scores.period == period)


def team_with_scores(principal: Principal, team_id: str | None, period: str, previous: str) -> Select[Any]:
    """The chosen team in scope, one row per active agent (one row if none) with its stored values and
    score for ``period`` and its score for ``previous``."""
    scope = team_scope(principal)
    chosen: Any = team_id
    if team_id is None:
        chosen = select(Team.id).where(scope).order_by(Team.name, Team.id).limit(1).scalar_subquery()
    return (
        select(
            *TEAM_COLUMNS,
            *AGENT_COLUMNS,
            Current.kpi_values,
            Current.score,
            Current.version,
            Previous.score,
            Previous.version,
        )
        .select_from(Team)
        .outerjoin(Agents, active_agent_of(Team.id))
        .outerjoin(Current, score_of(Current, period))
        .outerjoin(Previous, score_of(Previous, previous))
        .where(Team.id == chosen, scope)
        .order_by(Agents.name, Agents.id)
    )


def teams_with_scores(principal: Principal, period: str) -> Select[Any]:
    """Every team in scope with its leader, one row per active agent with its stored score."""
    return (
        select(
            *TEAM_COLUMNS,
            Leaders.id,
            Leaders.name,
            Leaders.version,
            Agents.id,
            Agents.version,
            Current.score,
            Current.version,
        )
        .select_from(Team)
        .outerjoin(Leaders, Leaders.id == Team.leader_id)
        .outerjoin(Agents, active_agent_of(Team.id))
        .outerjoin(Current, score_of(Current, period))
        .where(team_scope(principal))
        .order_by(Team.name, Team.id, Agents.name, Agents.id)
    )


def agent_with_scores(principal: Principal, agent_id: str, periods: Sequence[str]) -> Select[Any]:
    """The agent (if in scope) and its team's version, one row per month of ``periods`` with a score."""
    return (
        select(
            *agent_columns(User),
            Team.version,
            AgentScore.period,
            AgentScore.kpi_values,
            AgentScore.score,
            AgentScore.version,
        )
        .select_from(User)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(AgentScore, and_(AgentScore.agent_id == User.id, AgentScore.period.in_(periods)))
        .where(User.id == agent_id, User.role == Role.AGENT.value, agent_scope(principal))
    )


async def load_kpis(session: AsyncSession) -> list[directory.Kpi]:
    rows = (await session.execute(select(*KPI_COLUMNS))).all()
    kpis = [contract(directory.Kpi, KPI_COLUMNS, row) for row in rows]
    return sorted(kpis, key=lambda kpi: kpi_sort_key(kpi.code))


def kpi_versions(kpis: Sequence[directory.Kpi]) -> list[tuple[str, int]]:
    return [(k.code, k.version) for k in kpis]


def data_version(kind: str, *parts: object) -> str:
    """A short digest of everything a response was computed from (ids and versions)."""
    digest = hashlib.sha256(repr((kind, *parts)).encode()).hexdigest()[:32]
    return f"{kind}-{digest}"
