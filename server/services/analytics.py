"""Dashboards and scorecards.

Each answer is read in ONE snapshot (``Database.read()``) with three statements whatever the team
size (see ``analytics_queries``), and scored in Python with ``shared.scoring`` so server and desktop
agree. The ETag is a digest of the data versions of every row the answer was computed from, taken
in the same snapshot: a metric, KPI, team or membership change always changes it.
"""

from __future__ import annotations

from collections import defaultdict
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
from shared import scoring
from shared.analytics import (
    AgentRow,
    HistoryPoint,
    ManagerDashboard,
    Scorecard,
    ScorecardKpi,
    TeamDashboard,
    TeamOverview,
    TeamSummary,
    UserRef,
    below_target,
)
from shared.auth import Role
from shared.errors import ErrorCode
from shared.scoring import KpiRule
from shared.types import period_add, periods_ending, utcnow

HISTORY_MONTHS = 12
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
        teams: dict[str, TeamMembers] = {}
        for team, leader_id, leader_name, leader_version, agent_id, agent_version in rows:
            members = teams.setdefault(team.id, TeamMembers(team, leader_id, leader_name, leader_version))
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
        periods = periods_ending(period, HISTORY_MONTHS)
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
class TeamMembers:
    """A team of the manager dashboard with its leader and active agents (id, version)."""

    team: Team
    leader_id: str | None
    leader_name: str | None
    leader_version: int | None
    agents: list[tuple[str, int]] = field(default_factory=list)

    def version_key(self) -> tuple[object, ...]:
        return (self.team.id, self.team.version, self.leader_id, self.leader_version, sorted(self.agents))


def _kpi_versions(kpis: Sequence[Kpi]) -> list[tuple[str, int]]:
    return [(k.code, k.version) for k in kpis]


def _by_agent_period(groups: Sequence[q.MetricGroup]) -> dict[tuple[str, str], dict[str, float | None]]:
    return {(g.agent_id, g.period): g.values for g in groups}


def build_team_dashboard(
    team: Team,
    agents: Sequence[User],
    kpis: Sequence[Kpi],
    groups: Sequence[q.MetricGroup],
    period: str,
    as_of: datetime,
) -> TeamDashboard:
    """Score every agent of the team for ``period`` and the month before, from fetched rows."""
    rules = q.kpi_rules(kpis)
    values = _by_agent_period(groups)
    previous = period_add(period, -1)
    empty: dict[str, float | None] = {k.code: None for k in kpis}
    rows: list[AgentRow] = []
    for agent in agents:
        current = values.get((agent.id, period), empty)
        score = scoring.score(current, rules)
        previous_score = scoring.score(values.get((agent.id, previous), empty), rules)
        rows.append(
            AgentRow(
                agent=to_agent(agent),
                metrics=dict(current),
                score=score,
                previous_score=previous_score,
                trend=scoring.trend(score, previous_score),
            )
        )
    scores = [row.score for row in rows]
    return TeamDashboard(
        team=to_team(team),
        period=period,
        as_of=as_of,
        kpis=[to_kpi(k) for k in kpis],
        agents=rows,
        summary=TeamSummary(
            avg_score=scoring.mean(scores), below_target_count=sum(below_target(s) for s in scores)
        ),
    )


def build_manager_dashboard(
    teams: Sequence[TeamMembers],
    kpis: Sequence[Kpi],
    groups: Sequence[q.MetricGroup],
    period: str,
    as_of: datetime,
) -> ManagerDashboard:
    """One overview row per team, each agent scored from the fetched rows."""
    rules = q.kpi_rules(kpis)
    values = _by_agent_period(groups)
    overviews: list[TeamOverview] = []
    for members in teams:
        scores = [scoring.score(values.get((agent_id, period), {}), rules) for agent_id, _ in members.agents]
        present = [s for s in scores if s is not None]
        leader = (
            UserRef(id=members.leader_id, name=members.leader_name or "")
            if members.leader_id is not None
            else None
        )
        overviews.append(
            TeamOverview(
                team=to_team(members.team),
                leader=leader,
                agent_count=len(members.agents),
                avg_score=scoring.mean(scores),
                min_score=min(present) if present else None,
                max_score=max(present) if present else None,
                below_target_count=sum(below_target(s) for s in scores),
            )
        )
    return ManagerDashboard(period=period, as_of=as_of, teams=overviews)


def build_scorecard(
    agent: User, kpis: Sequence[Kpi], groups: Sequence[q.MetricGroup], period: str, as_of: datetime
) -> Scorecard:
    """Current, previous and the 12-month history of one agent, from fetched rows."""
    rules = q.kpi_rules(kpis)
    periods = periods_ending(period, HISTORY_MONTHS)
    by_period: dict[str, dict[str, float | None]] = defaultdict(dict)
    for group in groups:
        by_period[group.period] = group.values
    history = [HistoryPoint(period=p, score=scoring.score(by_period.get(p, {}), rules)) for p in periods]
    score, previous_score = history[-1].score, history[-2].score
    current, before = by_period.get(period, {}), by_period.get(periods[-2], {})
    return Scorecard(
        agent=to_agent(agent),
        period=period,
        as_of=as_of,
        score=score,
        previous_score=previous_score,
        trend=scoring.trend(score, previous_score),
        year_avg_score=scoring.mean(point.score for point in history),
        kpis=[
            _scorecard_kpi(kpi, rule, current.get(kpi.code), before.get(kpi.code), by_period, periods)
            for kpi, rule in zip(kpis, rules, strict=True)
        ],
        history=history,
    )


def _scorecard_kpi(
    kpi: Kpi,
    rule: KpiRule,
    value: float | None,
    previous: float | None,
    by_period: dict[str, dict[str, float | None]],
    periods: Sequence[str],
) -> ScorecardKpi:
    return ScorecardKpi(
        code=kpi.code,
        name=kpi.name,
        unit=kpi.unit,
        value=value,
        target=kpi.target,
        previous=previous,
        delta=scoring.delta(value, previous),
        attainment=None if value is None else scoring.attainment(value, rule.target, rule.higher_is_better),
        year_avg=scoring.mean(by_period.get(p, {}).get(kpi.code) for p in periods),
    )
