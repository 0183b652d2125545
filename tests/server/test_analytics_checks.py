"""Consistency checkers for dashboard and scorecard bodies, and proof that they catch torn reads.

A body is internally consistent when every derived figure equals its recomputation from the values
in the same body with ``shared.scoring``. The checkers return a list of problems (empty = fine) so
the concurrency tests can report every problem of a response at once.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from sqlalchemy import Connection, Engine, event, insert

from server.db.engine import Database
from server.db.models import Metric, Team, User
from server.db.types import new_id
from server.services.score_store import refresh_scores
from shared import scoring
from shared.analytics import below_target
from shared.scoring import KpiRule
from shared.types import periods_ending, utcnow
from tests.factories import World

Body = dict[str, Any]


def rules_of(body: Body) -> list[KpiRule]:
    return [KpiRule(k["code"], k["target"], k["weight"], k["higher_is_better"]) for k in body["kpis"]]


def team_dashboard_problems(body: Body) -> list[str]:
    rules = rules_of(body)
    codes = {rule.code for rule in rules}
    problems: list[str] = []
    scores = []
    for row in body["agents"]:
        name = row["agent"]["name"]
        if set(row["metrics"]) != codes:
            problems.append(f"{name}: metrics {sorted(row['metrics'])} are not the KPIs {sorted(codes)}")
        expected = scoring.score(row["metrics"], rules)
        if row["score"] != expected:
            problems.append(f"{name}: score {row['score']} != {expected} from its metrics")
        if row["trend"] != scoring.trend(row["score"], row["previous_score"]):
            problems.append(f"{name}: trend {row['trend']} != recomputed from score/previous_score")
        if row["agent"]["team_id"] != body["team"]["id"]:
            problems.append(f"{name}: not in team {body['team']['id']}")
        scores.append(row["score"])
    summary = body["summary"]
    if summary["avg_score"] != scoring.mean(scores):
        problems.append(f"avg_score {summary['avg_score']} != mean of agent scores {scoring.mean(scores)}")
    below = sum(below_target(s) for s in scores)
    if summary["below_target_count"] != below:
        problems.append(f"below_target_count {summary['below_target_count']} != {below}")
    return problems


def manager_dashboard_problems(body: Body) -> list[str]:
    problems: list[str] = []
    for row in body["teams"]:
        name = row["team"]["name"]
        figures = [row["min_score"], row["avg_score"], row["max_score"]]
        if any(f is None for f in figures) and any(f is not None for f in figures):
            problems.append(f"{name}: min/avg/max {figures} partly missing")
        elif figures[0] is not None and not _ordered(*figures):
            problems.append(f"{name}: min/avg/max {figures} out of order")
        if row["below_target_count"] > row["agent_count"]:
            problems.append(f"{name}: more agents below target than agents")
        if row["leader"] is not None and row["leader"]["id"] != row["team"]["leader_id"]:
            problems.append(f"{name}: leader {row['leader']['id']} is not the team's leader")
    return problems


def _ordered(low: float, middle: float, high: float) -> bool:
    # The mean is rounded to one decimal, so it may sit 0.05 outside [min, max].
    return low <= middle + 0.05 and middle <= high + 0.05


def scorecard_problems(body: Body, kpi_rules: list[KpiRule] | None = None) -> list[str]:
    """``kpi_rules``: weights and directions, which a scorecard does not carry (default: seeded)."""
    rules = {rule.code: rule for rule in (kpi_rules or SEEDED_RULES)}
    problems: list[str] = []
    periods = [point["period"] for point in body["history"]]
    if periods != periods_ending(body["period"], 12):
        problems.append(f"history periods {periods} are not the 12 ending at {body['period']}")
    values = {k["code"]: k["value"] for k in body["kpis"]}
    previous = {k["code"]: k["previous"] for k in body["kpis"]}
    if body["score"] != scoring.score(values, rules.values()):
        problems.append(f"score {body['score']} != recomputed from the KPI values")
    if body["previous_score"] != scoring.score(previous, rules.values()):
        problems.append(f"previous_score {body['previous_score']} != recomputed from the previous values")
    if body["history"][-1]["score"] != body["score"]:
        problems.append("the last history point is not the score")
    if body["history"][-2]["score"] != body["previous_score"]:
        problems.append("the second-last history point is not the previous score")
    if body["trend"] != scoring.trend(body["score"], body["previous_score"]):
        problems.append(f"trend {body['trend']} != recomputed")
    year_avg = scoring.mean(point["score"] for point in body["history"])
    if body["year_avg_score"] != year_avg:
        problems.append(f"year_avg_score {body['year_avg_score']} != mean of history {year_avg}")
    for kpi in body["kpis"]:
        rule = rules[kpi["code"]]
        if kpi["delta"] != scoring.delta(kpi["value"], kpi["previous"]):
            problems.append(f"{kpi['code']}: delta {kpi['delta']} != value - previous")
        expected = (
            None
            if kpi["value"] is None
            else scoring.attainment(kpi["value"], rule.target, rule.higher_is_better)
        )
        if kpi["attainment"] != expected:
            problems.append(f"{kpi['code']}: attainment {kpi['attainment']} != {expected}")
        if kpi["value"] is not None and kpi["year_avg"] is None:
            problems.append(f"{kpi['code']}: a value this month but no year average")
    return problems


SEEDED_RULES = [
    KpiRule("aht", 360.0, 1.0, False),
    KpiRule("csat", 85.0, 2.0, True),
    KpiRule("fcr", 75.0, 1.5, True),
    KpiRule("qa", 90.0, 2.0, True),
    KpiRule("adherence", 92.0, 1.0, True),
]


# --- the checkers catch a body assembled from two moments ------------------------------------------

RULES = [
    {"code": "aht", "target": 360.0, "weight": 1.0, "higher_is_better": False},
    {"code": "csat", "target": 85.0, "weight": 2.0, "higher_is_better": True},
]


def _agent(name: str, aht: float, csat: float, previous: float | None) -> Body:
    metrics = {"aht": aht, "csat": csat}
    rules = [KpiRule(r["code"], r["target"], r["weight"], r["higher_is_better"]) for r in RULES]
    value = scoring.score(metrics, rules)
    return {
        "agent": {"name": name, "team_id": "t1"},
        "metrics": metrics,
        "score": value,
        "previous_score": previous,
        "trend": scoring.trend(value, previous),
    }


def _dashboard(csat: float) -> Body:
    agents = [_agent("Ann", 360.0, csat, 90.0), _agent("Bob", 400.0, csat - 5, 95.0)]
    scores = [a["score"] for a in agents]
    return {
        "team": {"id": "t1"},
        "kpis": RULES,
        "agents": agents,
        "summary": {
            "avg_score": scoring.mean(scores),
            "below_target_count": sum(below_target(s) for s in scores),
        },
    }


def test_a_consistent_team_dashboard_passes() -> None:
    assert team_dashboard_problems(_dashboard(80.0)) == []
    assert team_dashboard_problems(_dashboard(90.0)) == []


def test_team_dashboard_checker_catches_summary_from_another_moment() -> None:
    before, after = _dashboard(80.0), _dashboard(90.0)
    torn = copy.deepcopy(after)
    torn["summary"] = before["summary"]  # per-agent rows read after the summary query
    assert any("avg_score" in p for p in team_dashboard_problems(torn))


def test_team_dashboard_checker_catches_score_from_another_moment() -> None:
    before, after = _dashboard(80.0), _dashboard(90.0)
    torn = copy.deepcopy(after)
    torn["agents"][0]["score"] = before["agents"][0]["score"]  # metrics re-read after scoring
    assert any("Ann: score" in p for p in team_dashboard_problems(torn))


def test_team_dashboard_checker_catches_trend_from_another_moment() -> None:
    torn = _dashboard(80.0)
    torn["agents"][0]["previous_score"] = 120.0  # previous period read later, trend computed earlier
    assert any("Ann: trend" in p for p in team_dashboard_problems(torn))


def _scorecard(csat: float) -> Body:
    kpis = []
    for rule in RULES:
        value = csat if rule["code"] == "csat" else 360.0
        kpis.append(
            {
                "code": rule["code"], "value": value, "previous": value, "target": rule["target"],
                "delta": 0.0, "year_avg": value,
                "attainment": scoring.attainment(value, rule["target"], rule["higher_is_better"]),
            }
        )
    value = scoring.score({k["code"]: k["value"] for k in kpis}, SEEDED_RULES)
    periods = periods_ending("2026-03", 12)
    return {
        "period": "2026-03", "score": value, "previous_score": value, "trend": scoring.trend(value, value),
        "year_avg_score": value, "kpis": kpis, "history": [{"period": p, "score": value} for p in periods],
    }


def test_a_consistent_scorecard_passes() -> None:
    assert scorecard_problems(_scorecard(80.0)) == []


def test_scorecard_checker_catches_previous_read_at_another_moment() -> None:
    torn = _scorecard(90.0)
    torn["kpis"][1]["previous"] = 80.0  # previous month read after an import; delta kept from before
    problems = scorecard_problems(torn)
    assert any("csat: delta" in p for p in problems)
    assert any("previous_score" in p for p in problems)


def test_scorecard_checker_catches_history_from_another_moment() -> None:
    before, after = _scorecard(80.0), _scorecard(90.0)
    torn = copy.deepcopy(after)
    torn["history"][:6] = before["history"][:6]  # yearly average computed without isolation
    assert any("year_avg_score" in p for p in scorecard_problems(torn))


# --- shared support for the analytics tests ------------------------------------------------------


class StatementLog:
    """Every SQL statement the engine sends, grouped by the transaction it ran in.

    ``BEGIN`` itself (SQLite sends it as a statement) is not counted; PostgreSQL's comes from the
    driver and never reaches the cursor.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.transactions: list[list[str]] = []
        self.outside: list[str] = []
        self._open: dict[int, list[str]] = {}

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "commit", self._end)
        event.listen(self.engine, "rollback", self._end)
        event.listen(self.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)
        event.remove(self.engine, "before_cursor_execute", self._statement)

    def clear(self) -> None:
        self.transactions, self.outside = [], []

    def _begin(self, conn: Connection) -> None:
        self._open[id(conn)] = []

    def _end(self, conn: Connection) -> None:
        statements = self._open.pop(id(conn), None)
        if statements is not None:
            self.transactions.append(statements)

    def _statement(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("BEGIN"):
            return
        self._open.get(id(conn), self.outside).append(statement)

    @property
    def counts(self) -> tuple[int, list[int]]:
        """(all statements, statements per transaction)."""
        per_transaction = [len(t) for t in self.transactions]
        return sum(per_transaction) + len(self.outside), per_transaction


async def add_agents(db: Database, team: Team, count: int, prefix: str) -> list[str]:
    """``count`` agents in ``team`` in one bulk insert; returns their ids."""
    now = utcnow()
    rows = [
        {
            "id": new_id(), "email": f"{prefix}-{i}@example.com", "name": f"{prefix} {i:03d}",
            "role": "agent",
            "password_hash": "-", "active": True, "team_id": team.id, "employee_code": f"{prefix}-{i:03d}",
            "version": 1, "created_at": now, "updated_at": now,
        }
        for i in range(count)
    ]
    async with db.write() as session:
        await session.execute(insert(User), rows)
    return [row["id"] for row in rows]


async def add_metrics(db: Database, agent_ids: list[str], periods: list[str], seed: int = 1) -> None:
    """Plausible values of every seeded KPI for each agent and period (some left out)."""
    rng = random.Random(seed)
    now = utcnow()
    rows = []
    for agent_id in agent_ids:
        for period in periods:
            for rule in SEEDED_RULES:
                if rng.random() < 0.05:
                    continue
                factor = rng.uniform(0.7, 1.3)
                value = rule.target * factor if rule.higher_is_better else rule.target / factor
                rows.append(
                    {"agent_id": agent_id, "period": period, "kpi_code": rule.code, "value": round(value, 1),
                     "version": 1, "updated_at": now}
                )
    async with db.write() as session:
        await session.execute(insert(Metric), rows)
        await refresh_scores(session, {(row["agent_id"], row["period"]) for row in rows})


async def add_team(
    world: World, key: str, agents: int, periods: list[str], manager: str = "manager"
) -> tuple[Team, list[str]]:
    """A team with its own leader and ``agents`` agents carrying metrics for ``periods``."""
    await world.user(f"leader_{key}", "team_leader")
    team = await world.team(key, leader=f"leader_{key}", manager=manager)
    ids = await add_agents(world.db, team, agents, key)
    await add_metrics(world.db, ids, periods, seed=len(world.teams))
    return team, ids
