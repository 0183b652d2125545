"""Dashboards and scorecards, all computed from one read snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from shared.directory import Agent, Kpi, Team

Trend = Literal["up", "down", "flat"]


class AgentRow(BaseModel):
    agent: Agent
    metrics: dict[str, float | None]
    score: float | None
    previous_score: float | None
    trend: Trend | None


class TeamSummary(BaseModel):
    avg_score: float | None
    below_target_count: int


class TeamDashboard(BaseModel):
    team: Team
    period: str
    as_of: datetime
    kpis: list[Kpi]
    agents: list[AgentRow]
    summary: TeamSummary


class UserRef(BaseModel):
    id: str
    name: str


class TeamOverview(BaseModel):
    team: Team
    leader: UserRef | None
    agent_count: int
    avg_score: float | None
    min_score: float | None
    max_score: float | None
    below_target_count: int


class ManagerDashboard(BaseModel):
    period: str
    as_of: datetime
    teams: list[TeamOverview]


class ScorecardKpi(BaseModel):
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
    period: str
    score: float | None


class Scorecard(BaseModel):
    agent: Agent
    period: str
    as_of: datetime
    score: float | None
    previous_score: float | None
    trend: Trend | None
    year_avg_score: float | None
    kpis: list[ScorecardKpi]
    history: list[HistoryPoint]
