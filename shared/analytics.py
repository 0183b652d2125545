"""Dashboards and scorecards, all computed from one read snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.directory import Agent, Kpi, Team
from shared.types import EntityId, Period

Trend = Literal["up", "down", "flat"]

TARGET_SCORE = 100.0
"""A score of 100 means the KPIs reach their targets on (weighted) average."""


def below_target(score: float | None) -> bool:
    """Whether an agent's score counts towards ``below_target_count`` (no score: not counted)."""
    return score is not None and score < TARGET_SCORE


class TeamDashboardQuery(BaseModel):
    """``?period=YYYY-MM[&team_id=]``; without ``team_id`` the caller's own (or first) team."""

    period: Period
    team_id: EntityId | None = None


class PeriodQuery(BaseModel):
    """``?period=YYYY-MM`` of the manager dashboard and the scorecard."""

    period: Period = Field(description="The KPI month, YYYY-MM")


class AgentRow(BaseModel):
    """One agent on the team dashboard: the period's KPI values and score against the previous."""

    agent: Agent
    metrics: dict[str, float | None]
    score: float | None
    previous_score: float | None
    trend: Trend | None


class TeamSummary(BaseModel):
    """``avg_score``: mean of the agents' scores; ``below_target_count``: agents scoring under 100."""

    avg_score: float | None
    below_target_count: int


class TeamDashboard(BaseModel):
    """A team for one period, computed from one read snapshot taken at ``as_of``."""

    team: Team
    period: str
    as_of: datetime
    kpis: list[Kpi]
    agents: list[AgentRow]
    summary: TeamSummary


class UserRef(BaseModel):
    """A person named on a dashboard (a team's leader)."""

    id: str
    name: str


class TeamOverview(BaseModel):
    """One team on the manager dashboard; scores are over its active agents with a score."""

    team: Team
    leader: UserRef | None
    agent_count: int
    avg_score: float | None
    min_score: float | None
    max_score: float | None
    below_target_count: int


class ManagerDashboard(BaseModel):
    """Every team in the caller's scope side by side, from one read snapshot."""

    period: str
    as_of: datetime
    teams: list[TeamOverview]


class ScorecardKpi(BaseModel):
    """A KPI on the scorecard: ``delta`` = value - previous month, ``year_avg`` over 12 months."""

    code: str
    name: str
    unit: str
    value: float | None
    target: float
    previous: float | None
    delta: float | None
    attainment: float | None
    year_avg: float | None


class HistoryPoint(BaseModel):
    """One month of a scorecard's 12-month history; ``score`` is null for a month without values."""

    period: str
    score: float | None


class Scorecard(BaseModel):
    """One agent for one period with the 12-month history ending there, from one read snapshot."""

    agent: Agent
    period: str
    as_of: datetime
    score: float | None
    previous_score: float | None
    trend: Trend | None
    year_avg_score: float | None
    kpis: list[ScorecardKpi]
    history: list[HistoryPoint]
