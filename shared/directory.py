"""Teams, agents and KPI definitions: who and what a caller may see."""

from __future__ import annotations

from pydantic import BaseModel


class Team(BaseModel):
    id: str
    name: str
    leader_id: str | None = None
    manager_id: str | None = None
    version: int


class Agent(BaseModel):
    """An agent as listed for a team."""

    id: str
    name: str
    email: str
    team_id: str | None
    employee_code: str | None
    active: bool
    version: int


class Kpi(BaseModel):
    code: str
    name: str
    unit: str
    higher_is_better: bool
    target: float
    weight: float
    version: int


class TeamList(BaseModel):
    items: list[Team]


class AgentList(BaseModel):
    items: list[Agent]


class KpiList(BaseModel):
    items: list[Kpi]
