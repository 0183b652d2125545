"""Dashboard and scorecard assembly from KPI values, with empty teams and missing months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from shared.analytics import UserRef
from shared.directory import Agent, Kpi, Team
from shared.reports import (
    HISTORY_MONTHS,
    MetricValues,
    TeamMembers,
    kpi_rules,
    manager_dashboard,
    ordered_kpis,
    scorecard,
    team_dashboard,
)
from shared.scoring import KpiRule
from shared.types import periods_ending

AS_OF = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
PERIOD = "2026-03"
PREVIOUS = "2026-02"

AHT = Kpi(code="aht", name="Handle time", unit="s", higher_is_better=False, target=360, weight=1, version=1)
CSAT = Kpi(code="csat", name="CSAT", unit="%", higher_is_better=True, target=85, weight=2, version=1)
KPIS = [CSAT, AHT]  # not in display order on purpose
TEAM = Team(id="t1", name="Billing", leader_id="l1", version=3)


def agent(agent_id: str) -> Agent:
    return Agent(
        id=agent_id,
        name=agent_id.upper(),
        email=f"{agent_id}@example.com",
        team_id=TEAM.id,
        employee_code=None,
        active=True,
        version=1,
    )


# aht 360 -> 1.0, csat 102 -> 1.2: (1.0 + 2 * 1.2) / 3 = 113.3
ON_TOP = {"aht": 360.0, "csat": 102.0}
# aht 400 -> 0.9, csat 68 -> 0.8: (0.9 + 2 * 0.8) / 3 = 83.3
BEHIND = {"aht": 400.0, "csat": 68.0}
# every KPI on target: 100.0
ON_TARGET = {"aht": 360.0, "csat": 85.0}


def test_kpis_come_in_display_order_whatever_the_input_order() -> None:
    assert [k.code for k in ordered_kpis(KPIS)] == ["aht", "csat"]
    board = team_dashboard(TEAM, [agent("a1")], KPIS, {("a1", PERIOD): ON_TOP}, PERIOD, AS_OF)
    assert [k.code for k in board.kpis] == ["aht", "csat"]
    assert list(board.agents[0].metrics) == ["aht", "csat"]


def test_kpi_rules_read_any_kpi_definition() -> None:
    @dataclass
    class Row:  # what a database row looks like to scoring
        code: str
        target: float
        weight: float
        higher_is_better: bool

    assert kpi_rules([Row("aht", 360, 1, False)]) == [KpiRule("aht", 360, 1, False)]
    assert kpi_rules([AHT]) == [KpiRule("aht", 360, 1, False)]


def test_team_dashboard_scores_each_agent_against_the_month_before() -> None:
    values: MetricValues = {
        ("a1", PERIOD): ON_TOP,
        ("a1", PREVIOUS): ON_TARGET,
        ("a2", PERIOD): BEHIND,
        ("a2", PREVIOUS): BEHIND,
        ("a3", PREVIOUS): ON_TARGET,  # nothing this month
        ("a4", PERIOD): {"csat": 68.0},  # this month only, one KPI
        ("a1", "2026-01"): {"csat": 0.0},  # neither month shown: ignored
    }
    agents = [agent("a1"), agent("a2"), agent("a3"), agent("a4")]

    board = team_dashboard(TEAM, agents, KPIS, values, PERIOD, AS_OF)

    assert (board.team, board.period, board.as_of) == (TEAM, PERIOD, AS_OF)
    rows = {row.agent.id: row for row in board.agents}
    assert [row.agent.id for row in board.agents] == ["a1", "a2", "a3", "a4"]
    assert (rows["a1"].score, rows["a1"].previous_score, rows["a1"].trend) == (113.3, 100.0, "up")
    assert (rows["a2"].score, rows["a2"].previous_score, rows["a2"].trend) == (83.3, 83.3, "flat")
    assert (rows["a3"].score, rows["a3"].previous_score, rows["a3"].trend) == (None, 100.0, None)
    assert rows["a3"].metrics == {"aht": None, "csat": None}
    assert (rows["a4"].score, rows["a4"].previous_score, rows["a4"].trend) == (80.0, None, None)
    assert rows["a4"].metrics == {"aht": None, "csat": 68.0}
    # The mean and the count are over the scored agents only: a3 counts for neither.
    assert board.summary.avg_score == round((113.3 + 83.3 + 80.0) / 3, 1)
    assert board.summary.below_target_count == 2


def test_a_team_dashboard_shows_only_the_defined_kpis() -> None:
    values: MetricValues = {("a1", PERIOD): {**ON_TARGET, "retired": 1.0}}
    board = team_dashboard(TEAM, [agent("a1")], KPIS, values, PERIOD, AS_OF)
    assert board.agents[0].metrics == {"aht": 360.0, "csat": 85.0}
    assert board.agents[0].score == 100.0


def test_a_team_without_agents_or_values() -> None:
    empty = team_dashboard(TEAM, [], KPIS, {}, PERIOD, AS_OF)
    assert empty.agents == []
    assert (empty.summary.avg_score, empty.summary.below_target_count) == (None, 0)

    silent = team_dashboard(TEAM, [agent("a1")], KPIS, {}, PERIOD, AS_OF)
    assert silent.agents[0].metrics == {"aht": None, "csat": None}
    assert (silent.summary.avg_score, silent.summary.below_target_count) == (None, 0)

    no_kpis = team_dashboard(TEAM, [agent("a1")], [], {("a1", PERIOD): ON_TOP}, PERIOD, AS_OF)
    assert (no_kpis.kpis, no_kpis.agents[0].metrics, no_kpis.agents[0].score) == ([], {}, None)


def test_manager_dashboard_summarises_each_team() -> None:
    leader = UserRef(id="l1", name="Lea")
    other = Team(id="t2", name="Sales", version=1)
    empty = Team(id="t3", name="Support", version=1)
    teams = [
        TeamMembers(TEAM, leader, ["a1", "a2", "a3"]),
        TeamMembers(other, None, ["b1"]),
        TeamMembers(empty, None, []),
    ]
    values: MetricValues = {
        ("a1", PERIOD): ON_TOP,
        ("a2", PERIOD): BEHIND,
        ("a3", PREVIOUS): ON_TOP,  # last month only: no score this month
        ("b1", PERIOD): ON_TARGET,
    }

    board = manager_dashboard(teams, KPIS, values, PERIOD, AS_OF)

    assert (board.period, board.as_of) == (PERIOD, AS_OF)
    billing, sales, support = board.teams
    assert (billing.team, billing.leader, billing.agent_count) == (TEAM, leader, 3)
    assert (billing.avg_score, billing.min_score, billing.max_score) == (98.3, 83.3, 113.3)
    assert billing.below_target_count == 1
    assert (sales.leader, sales.agent_count, sales.avg_score, sales.below_target_count) == (None, 1, 100.0, 0)
    assert support.agent_count == support.below_target_count == 0
    assert support.avg_score is support.min_score is support.max_score is None


def test_manager_dashboard_without_teams() -> None:
    assert manager_dashboard([], KPIS, {}, PERIOD, AS_OF).teams == []


def test_scorecard_skips_missing_months() -> None:
    values: MetricValues = {
        ("a1", PERIOD): ON_TOP,
        ("a1", "2026-01"): BEHIND,  # the month before PERIOD is missing
        ("a1", "2025-04"): {"csat": 85.0},  # the oldest month of the history
        ("a1", "2025-03"): {"aht": 900.0, "csat": 0.0},  # one month too old: ignored
        ("a2", PERIOD): {"aht": 900.0, "csat": 0.0},  # another agent: ignored
    }

    card = scorecard(agent("a1"), KPIS, values, PERIOD, AS_OF)

    assert [point.period for point in card.history] == periods_ending(PERIOD, HISTORY_MONTHS)
    assert card.history[0].period == "2025-04" and card.history[-1].period == PERIOD
    scored = {point.period: point.score for point in card.history if point.score is not None}
    assert scored == {"2025-04": 100.0, "2026-01": 83.3, PERIOD: 113.3}
    assert (card.score, card.previous_score, card.trend) == (113.3, None, None)
    assert card.year_avg_score == round((100.0 + 83.3 + 113.3) / 3, 1)

    aht, csat = card.kpis
    assert (aht.code, aht.name, aht.unit, aht.target) == ("aht", "Handle time", "s", 360.0)
    assert (aht.value, aht.previous, aht.delta, aht.attainment) == (360.0, None, None, 1.0)
    assert aht.year_avg == 380.0  # 360 and 400; 2025-04 has no handle time
    assert csat.value == 102.0 and csat.attainment == pytest.approx(1.2)
    assert csat.year_avg == 85.0  # (102 + 68 + 85) / 3


def test_scorecard_compares_with_the_month_before_across_a_year_end() -> None:
    values: MetricValues = {("a1", "2026-01"): {"csat": 68.0}, ("a1", "2025-12"): ON_TARGET}

    card = scorecard(agent("a1"), KPIS, values, "2026-01", AS_OF)

    assert (card.score, card.previous_score, card.trend) == (80.0, 100.0, "down")
    aht, csat = card.kpis
    # No handle time this month: no attainment and no delta, but last month's value is shown.
    assert (aht.value, aht.previous, aht.delta, aht.attainment) == (None, 360.0, None, None)
    assert (csat.value, csat.previous, csat.delta) == (68.0, 85.0, -17.0)
    assert csat.attainment == pytest.approx(0.8)


def test_scorecard_without_any_values() -> None:
    card = scorecard(agent("a1"), KPIS, {}, PERIOD, AS_OF)

    assert len(card.history) == HISTORY_MONTHS
    assert all(point.score is None for point in card.history)
    assert (card.score, card.previous_score, card.trend, card.year_avg_score) == (None, None, None, None)
    assert [k.code for k in card.kpis] == ["aht", "csat"]
    assert all(
        (k.value, k.previous, k.delta, k.attainment, k.year_avg) == (None, None, None, None, None)
        for k in card.kpis
    )
