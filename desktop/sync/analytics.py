"""Dashboards and scorecards computed from the local cache, for when the server is out of reach.

They return the same ``shared.analytics`` models as the server, scored with ``shared.scoring`` over
the same rows (active agents by name, KPIs in the server's order), so an offline score equals the
server's. ``as_of`` is the last sync time: the data is exactly as fresh as that.
Blocking (SQLite reads in one snapshot): call through an executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desktop.storage import CacheReader, LocalCache
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
from shared.directory import Agent, Kpi, Team
from shared.scoring import KpiRule, kpi_sort_key
from shared.types import period_add, periods_ending

HISTORY_MONTHS = 12

Values = dict[str, float | None]


class NotInCache(LookupError):
    """The team or agent is not in the cached snapshot (not synced yet, or out of scope)."""


def _ordered_kpis(rows: Sequence[dict[str, Any]]) -> list[Kpi]:
    kpis = [Kpi.model_validate(row) for row in rows]
    return sorted(kpis, key=lambda kpi: kpi_sort_key(kpi.code))


def _rules(kpis: Sequence[Kpi]) -> list[KpiRule]:
    return [KpiRule(k.code, k.target, k.weight, k.higher_is_better) for k in kpis]


def teams_in_scope(reader: CacheReader, me_id: str, role: Role) -> list[dict[str, Any]]:
    """Teams the user may see, ordered by name then id (the cache holds only the synced scope)."""
    teams = sorted(reader.teams(), key=lambda team: (team["name"], team["id"]))
    if role is Role.TEAM_LEADER:
        return [team for team in teams if team.get("leader_id") == me_id]
    if role is Role.MANAGER:
        return [team for team in teams if team.get("manager_id") == me_id]
    if role is Role.ADMIN:
        return teams
    return []


def _active_agents(reader: CacheReader, team_ids: Sequence[str]) -> list[dict[str, Any]]:
    return [agent for agent in reader.agents(team_ids) if agent.get("active", True)]


class LocalAnalytics:
    """The analytics endpoints, answered from the cache for one signed-in user."""

    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache

    def _as_of(self) -> datetime:
        last = self.cache.last_sync()
        if last is None:
            raise NotInCache("Nothing has been synced yet.")
        return last

    def team_dashboard(
        self, me_id: str, role: Role, period: str, team_id: str | None = None
    ) -> TeamDashboard:
        as_of = self._as_of()
        previous = period_add(period, -1)
        with self.cache.read() as reader:
            teams = teams_in_scope(reader, me_id, role)
            team = next((t for t in teams if team_id is None or t["id"] == team_id), None)
            if team is None:
                raise NotInCache("No such team in the cache.")
            agents = _active_agents(reader, [team["id"]])
            kpis = _ordered_kpis(reader.kpis())
            values = reader.metric_values([period, previous], [a["id"] for a in agents])
        rules = _rules(kpis)
        empty: Values = {k.code: None for k in kpis}
        rows: list[AgentRow] = []
        for agent in agents:
            current: Values = {**empty, **values.get((agent["id"], period), {})}
            score = scoring.score(current, rules)
            previous_score = scoring.score(values.get((agent["id"], previous), {}), rules)
            rows.append(
                AgentRow(
                    agent=Agent.model_validate(agent),
                    metrics=current,
                    score=score,
                    previous_score=previous_score,
                    trend=scoring.trend(score, previous_score),
                )
            )
        scores = [row.score for row in rows]
        return TeamDashboard(
            team=Team.model_validate(team),
            period=period,
            as_of=as_of,
            kpis=kpis,
            agents=rows,
            summary=TeamSummary(
                avg_score=scoring.mean(scores), below_target_count=sum(below_target(s) for s in scores)
            ),
        )

    def manager_dashboard(self, me_id: str, role: Role, period: str) -> ManagerDashboard:
        as_of = self._as_of()
        with self.cache.read() as reader:
            teams = teams_in_scope(reader, me_id, role)
            agents = _active_agents(reader, [t["id"] for t in teams])
            leaders = reader.users([t["leader_id"] for t in teams if t.get("leader_id")])
            rules = _rules(_ordered_kpis(reader.kpis()))
            values = reader.metric_values([period], [a["id"] for a in agents])
        members: dict[str, list[str]] = {team["id"]: [] for team in teams}
        for agent in agents:
            members[agent["team_id"]].append(agent["id"])
        overviews: list[TeamOverview] = []
        for team in teams:
            scores = [
                scoring.score(values.get((agent_id, period), {}), rules) for agent_id in members[team["id"]]
            ]
            present = [s for s in scores if s is not None]
            leader = leaders.get(team.get("leader_id") or "")
            overviews.append(
                TeamOverview(
                    team=Team.model_validate(team),
                    leader=UserRef(id=leader["id"], name=leader["name"]) if leader else None,
                    agent_count=len(scores),
                    avg_score=scoring.mean(scores),
                    min_score=min(present) if present else None,
                    max_score=max(present) if present else None,
                    below_target_count=sum(below_target(s) for s in scores),
                )
            )
        return ManagerDashboard(period=period, as_of=as_of, teams=overviews)

    def scorecard(self, agent_id: str, period: str) -> Scorecard:
        as_of = self._as_of()
        periods = periods_ending(period, HISTORY_MONTHS)
        with self.cache.read() as reader:
            agent = reader.user(agent_id)
            if agent is None or agent.get("role") != Role.AGENT.value:
                raise NotInCache("No such agent in the cache.")
            kpis = _ordered_kpis(reader.kpis())
            values = reader.metric_values(periods, [agent_id])
        rules = _rules(kpis)
        by_period: dict[str, dict[str, float]] = {p: values.get((agent_id, p), {}) for p in periods}
        history = [HistoryPoint(period=p, score=scoring.score(by_period[p], rules)) for p in periods]
        score, previous_score = history[-1].score, history[-2].score
        current, before = by_period[period], by_period[periods[-2]]
        return Scorecard(
            agent=Agent.model_validate(agent),
            period=period,
            as_of=as_of,
            score=score,
            previous_score=previous_score,
            trend=scoring.trend(score, previous_score),
            year_avg_score=scoring.mean(point.score for point in history),
            kpis=[
                ScorecardKpi(
                    code=kpi.code,
                    name=kpi.name,
                    unit=kpi.unit,
                    value=current.get(kpi.code),
                    target=kpi.target,
                    previous=before.get(kpi.code),
                    delta=scoring.delta(current.get(kpi.code), before.get(kpi.code)),
                    attainment=(
                        None
                        if current.get(kpi.code) is None
                        else scoring.attainment(current[kpi.code], rule.target, rule.higher_is_better)
                    ),
                    year_avg=scoring.mean(by_period[p].get(kpi.code) for p in periods),
                )
                for kpi, rule in zip(kpis, rules, strict=True)
            ],
            history=history,
        )
