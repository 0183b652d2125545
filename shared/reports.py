"""Dashboards and scorecards assembled from KPI values, identical on server and desktop.

The server reads its values from one database snapshot, the desktop from its local cache; both hand
them here as ``{(agent_id, period): {kpi_code: value}}``, so an offline score equals the server's.
A missing key (no metric rows for that agent and month) is the same as every value being null.
The server also hands the scores it stored when the values were written (``StoredScores``, computed
by the same ``shared.scoring``); a score not given is computed here from the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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
from shared.directory import Agent, Kpi, Team
from shared.scoring import KpiRule, kpi_sort_key
from shared.types import period_add, periods_ending

HISTORY_MONTHS = 12
"""A scorecard's history: the 12 periods ending at the requested one."""

KpiValues = Mapping[str, float | None]
MetricValues = Mapping[tuple[str, str], KpiValues]
"""KPI values keyed by ``(agent_id, period)``, then by KPI code."""

StoredScores = Mapping[tuple[str, str], float | None]
"""Scores already computed from the same values, keyed by ``(agent_id, period)``."""

_NO_VALUES: KpiValues = {}
_NO_SCORES: StoredScores = {}


class KpiDefinition(Protocol):
    """What scoring reads of a KPI: a contract ``Kpi`` or a server row."""

    @property
    def code(self) -> str: ...
    @property
    def target(self) -> float: ...
    @property
    def weight(self) -> float: ...
    @property
    def higher_is_better(self) -> bool: ...


def ordered_kpis(kpis: Iterable[Kpi]) -> list[Kpi]:
    """KPIs in display order (see ``shared.scoring.KPI_DISPLAY_ORDER``)."""
    return sorted(kpis, key=lambda kpi: kpi_sort_key(kpi.code))


def kpi_rules(kpis: Iterable[KpiDefinition]) -> list[KpiRule]:
    """The scoring rules of KPI definitions, in the order given."""
    return [KpiRule(k.code, k.target, k.weight, k.higher_is_better) for k in kpis]


@dataclass(frozen=True, slots=True)
class Scorer:
    """Scores of agents and months: the stored one if given, else computed from the values."""

    values: MetricValues
    rules: Sequence[KpiRule]
    stored: StoredScores

    def __call__(self, agent_id: str, period: str) -> float | None:
        key = (agent_id, period)
        if key in self.stored:
            return self.stored[key]
        return scoring.score(self.values.get(key, _NO_VALUES), self.rules)


@dataclass(frozen=True, slots=True)
class TeamMembers:
    """A team of the manager dashboard: its leader (if any) and the ids of its active agents."""

    team: Team
    leader: UserRef | None
    agent_ids: Sequence[str]


def team_dashboard(
    team: Team,
    agents: Sequence[Agent],
    kpis: Iterable[Kpi],
    values: MetricValues,
    period: str,
    as_of: datetime,
    stored: StoredScores = _NO_SCORES,
) -> TeamDashboard:
    """Every agent of ``team`` (in the order given) scored for ``period`` against the month before."""
    kpis = ordered_kpis(kpis)
    score_of = Scorer(values, kpi_rules(kpis), stored)
    previous = period_add(period, -1)
    rows: list[AgentRow] = []
    for agent in agents:
        current = values.get((agent.id, period), _NO_VALUES)
        score = score_of(agent.id, period)
        previous_score = score_of(agent.id, previous)
        rows.append(
            AgentRow(
                agent=agent,
                metrics={kpi.code: current.get(kpi.code) for kpi in kpis},
                score=score,
                previous_score=previous_score,
                trend=scoring.trend(score, previous_score),
            )
        )
    scores = [row.score for row in rows]
    return TeamDashboard(
        team=team,
        period=period,
        as_of=as_of,
        kpis=kpis,
        agents=rows,
        summary=TeamSummary(avg_score=scoring.mean(scores), below_target_count=_below_target_count(scores)),
    )


def manager_dashboard(
    teams: Sequence[TeamMembers],
    kpis: Iterable[Kpi],
    values: MetricValues,
    period: str,
    as_of: datetime,
) -> ManagerDashboard:
    """One overview row per team (in the order given), each agent scored for ``period``."""
    rules = kpi_rules(ordered_kpis(kpis))
    overviews = []
    for members in teams:
        scores = [scoring.score(values.get((a, period), _NO_VALUES), rules) for a in members.agent_ids]
        overviews.append(team_overview(members.team, members.leader, scores))
    return ManagerDashboard(period=period, as_of=as_of, teams=overviews)


def team_overview(team: Team, leader: UserRef | None, scores: Sequence[float | None]) -> TeamOverview:
    """A team's row of the manager dashboard from the scores of its active agents (``None``: no score)."""
    present = [s for s in scores if s is not None]
    return TeamOverview(
        team=team,
        leader=leader,
        agent_count=len(scores),
        avg_score=scoring.mean(scores),
        min_score=min(present, default=None),
        max_score=max(present, default=None),
        below_target_count=_below_target_count(scores),
    )


def scorecard(
    agent: Agent,
    kpis: Iterable[Kpi],
    values: MetricValues,
    period: str,
    as_of: datetime,
    stored: StoredScores = _NO_SCORES,
) -> Scorecard:
    """One agent's ``period`` against the month before, with the 12-month history ending there."""
    kpis = ordered_kpis(kpis)
    rules = kpi_rules(kpis)
    score_of = Scorer(values, rules, stored)
    periods = periods_ending(period, HISTORY_MONTHS)
    months = [values.get((agent.id, p), _NO_VALUES) for p in periods]
    history = [HistoryPoint(period=p, score=score_of(agent.id, p)) for p in periods]
    score, previous_score = history[-1].score, history[-2].score
    return Scorecard(
        agent=agent,
        period=period,
        as_of=as_of,
        score=score,
        previous_score=previous_score,
        trend=scoring.trend(score, previous_score),
        year_avg_score=scoring.mean(point.score for point in history),
        kpis=[_scorecard_kpi(kpi, rule, months) for kpi, rule in zip(kpis, rules, strict=True)],
        history=history,
    )


def _scorecard_kpi(kpi: Kpi, rule: KpiRule, months: Sequence[KpiValues]) -> ScorecardKpi:
    """``months``: the KPI values of the history, oldest first (the last is the current period)."""
    value, previous = months[-1].get(kpi.code), months[-2].get(kpi.code)
    return ScorecardKpi(
        code=kpi.code,
        name=kpi.name,
        unit=kpi.unit,
        value=value,
        target=kpi.target,
        previous=previous,
        delta=scoring.delta(value, previous),
        attainment=None if value is None else scoring.attainment(value, rule.target, rule.higher_is_better),
        year_avg=scoring.mean(month.get(kpi.code) for month in months),
    )


def _below_target_count(scores: Iterable[float | None]) -> int:
    return sum(below_target(s) for s in scores)
