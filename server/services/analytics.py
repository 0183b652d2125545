"""Dashboards and scorecards.

Each answer is read in ONE snapshot (``Database.read()``) with three statements whatever the team
size (see ``analytics_queries``), and assembled by ``shared.reports`` so server and desktop
agree. The ETag is a digest of the data versions of every row the answer was computed from, taken
in the same snapshot: a metric, KPI, team or membership change always changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from server.db.engine import Database
from server.db.models import Kpi, Team, User
from server.problems import ProblemError
from server.services import analytics_queries as q
from server.services.principal import Principal
from server.services.shapes import to_agent, to_kpi, to_team
from shared import directory, reports
from shared.analytics import ManagerDashboard, Scorecard, TeamDashboard, UserRef
from shared.auth import Role
from shared.errors import ErrorCode
from shared.types import period_add, periods_ending, utcnow

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Versioned(Generic[T]):
    """An answer and the data version (ETag token) it was computed from."""

    body: T
    version: str


def _not_found(what: str) -> ProblemError:
    return ProblemError(ErrorCode.NOT_FOUND, f"No such {what} in your scope.")


def _require_staff(principal: Principal) -> None:
    principal.require_role(Role.TEAM_LEADER, Role.MANAGER, Role.ADMIN)


@dataclass
class AnalyticsService:
    """Team dashboard, manager dashboard and agent scorecard for one period."""

    db: Database

    async def team_dashboard(
        self, principal: Principal, period: str, team_id: str | None = None
    ) -> Versioned[TeamDashboard]:
        _require_staff(principal)
        previous = period_add(period, -1)
        async with self.db.read() as session:
            rows = (await session.execute(q.team_with_agents(principal, team_id))).all()
            as_of = utcnow()
            if not rows:
                raise _not_found("team")
            team: Team = rows[0][0]
            agents: list[User] = [row[1] for row in rows if row[1] is not None]
            kpis = await q.load_kpis(session)
            codes = [k.code for k in kpis]
            covered = q.metrics_of_team(team.id, [period, previous])
            groups = await q.load_metric_groups(session, codes, *covered)
        version = q.data_version(
            "team",
            period,
            (team.id, team.version),
            sorted((a.id, a.version) for a in agents),
            _kpi_versions(kpis),
            q.metric_version(groups),
        )
        return Versioned(build_team_dashboard(team, agents, kpis, groups, period, as_of), version)

    async def manager_dashboard(self, principal: Principal, period: str) -> Versioned[ManagerDashboard]:
        _require_staff(principal)
        async with self.db.read() as session:
            rows = (await session.execute(q.teams_with_agents(principal))).all()
            as_of = utcnow()
            kpis = await q.load_kpis(session)
            codes = [k.code for k in kpis]
            covered = q.metrics_of_teams_in_scope(principal, period)
            groups = await q.load_metric_groups(session, codes, *covered)
        teams: dict[str, TeamRows] = {}
        for team, leader_id, leader_name, leader_version, agent_id, agent_version in rows:
            members = teams.setdefault(team.id, TeamRows(team, leader_id, leader_name, leader_version))
            if agent_id is not None:
                members.agents.append((agent_id, agent_version))
        version = q.data_version(
            "manager",
            period,
            sorted(m.version_key() for m in teams.values()),
            _kpi_versions(kpis),
            q.metric_version(groups),
        )
        return Versioned(build_manager_dashboard(list(teams.values()), kpis, groups, period, as_of), version)

    async def scorecard(self, principal: Principal, agent_id: str, period: str) -> Versioned[Scorecard]:
        periods = periods_ending(period, reports.HISTORY_MONTHS)
        async with self.db.read() as session:
            row = (await session.execute(q.agent_with_team(principal, agent_id))).first()
            as_of = utcnow()
            if row is None:
                raise _not_found("agent")
            agent, team_version = row
            kpis = await q.load_kpis(session)
            groups = await q.load_metric_groups(
                session, [k.code for k in kpis], *q.metrics_of_agent(agent.id, periods)
            )
        version = q.data_version(
            "scorecard",
            period,
            (agent.id, agent.version, agent.team_id, team_version),
            _kpi_versions(kpis),
            q.metric_version(groups),
        )
        return Versioned(build_scorecard(agent, kpis, groups, period, as_of), version)


@dataclass
class TeamRows:
    """A team of the manager dashboard with its leader and active agents (id, version), as read."""

    team: Team
    leader_id: str | None
    leader_name: str | None
    leader_version: int | None
    agents: list[tuple[str, int]] = field(default_factory=list)

    def version_key(self) -> tuple[object, ...]:
        return (self.team.id, self.team.version, self.leader_id, self.leader_version, sorted(self.agents))

    def members(self) -> reports.TeamMembers:
        leader = None if self.leader_id is None else UserRef(id=self.leader_id, name=self.leader_name or "")
        return reports.TeamMembers(to_team(self.team), leader, [agent_id for agent_id, _ in self.agents])


def _kpi_versions(kpis: Sequence[Kpi]) -> list[tuple[str, int]]:
    return [(k.code, k.version) for k in kpis]


def build_team_dashboard(
    team: Team,
    agents: Sequence[User],
    kpis: Sequence[Kpi],
    groups: Sequence[q.MetricGroup],
    period: str,
    as_of: datetime,
) -> TeamDashboard:
    """Score every agent of the team for ``period`` and the month before, from fetched rows."""
    contract_agents = [to_agent(a) for a in agents]
    values = q.metric_values(groups)
    return reports.team_dashboard(to_team(team), contract_agents, _contract_kpis(kpis), values, period, as_of)


def build_manager_dashboard(
    teams: Sequence[TeamRows],
    kpis: Sequence[Kpi],
    groups: Sequence[q.MetricGroup],
    period: str,
    as_of: datetime,
) -> ManagerDashboard:
    """One overview row per team, each agent scored from the fetched rows."""
    members = [team.members() for team in teams]
    return reports.manager_dashboard(members, _contract_kpis(kpis), q.metric_values(groups), period, as_of)


def build_scorecard(
    agent: User, kpis: Sequence[Kpi], groups: Sequence[q.MetricGroup], period: str, as_of: datetime
) -> Scorecard:
    """Current, previous and the 12-month history of one agent, from fetched rows."""
    return reports.scorecard(to_agent(agent), _contract_kpis(kpis), q.metric_values(groups), period, as_of)


def _contract_kpis(kpis: Sequence[Kpi]) -> list[directory.Kpi]:
    return [to_kpi(k) for k in kpis]
