"""Dashboard and scorecard latency: the set-based service against the audit's per-agent queries.

Runs against its OWN SQLite database in a temporary directory (never a production server), seeded
with the demo generator at 30 teams x 15 agents x 24 months. Both implementations run in this
process on the same data; the baseline fans out one query per agent with ``asyncio.gather`` (the
audit's ``Promise.all``). Prints median/p95 latency, statements per request and the ratio, and
writes ``bench/results/analytics_dashboard.json``.

    python -m bench.analytics_dashboard [--runs 30] [--baseline-runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import Kpi, Metric, Team, User
from server.services.analytics import AnalyticsService
from server.services.demo_data import seed_demo
from server.services.passwords import Passwords
from server.services.principal import Principal
from server.settings import Settings
from shared import scoring
from shared.auth import Role
from shared.scoring import KpiRule
from shared.types import period_add, periods_ending

TEAMS, AGENTS_PER_TEAM, MONTHS = 30, 15, 24
TODAY = date(2026, 3, 16)
PERIOD = "2026-03"
RESULTS = Path(__file__).with_name("results") / "analytics_dashboard.json"


# --- the audit's pattern: one query per agent, fanned out -----------------------------------------


async def _rules(db: Database) -> list[KpiRule]:
    async with db.read() as session:
        kpis = await session.scalars(select(Kpi))
        return [KpiRule(k.code, k.target, k.weight, k.higher_is_better) for k in kpis]


async def _agent_values(db: Database, agent_id: str, period: str) -> dict[str, float | None]:
    async with db.read() as session:  # every agent its own read, as Promise.all did
        rows = await session.execute(
            select(Metric.kpi_code, Metric.value).where(Metric.agent_id == agent_id, Metric.period == period)
        )
        return {code: value for code, value in rows}


async def _team_agents(db: Database, team_id: str) -> list[str]:
    async with db.read() as session:
        ids = await session.scalars(select(User.id).where(User.team_id == team_id, User.role == "agent"))
        return list(ids)


async def naive_team_dashboard(db: Database, team_id: str, period: str) -> list[float | None]:
    rules = await _rules(db)
    agents = await _team_agents(db, team_id)

    async def one(agent_id: str) -> float | None:
        current = await _agent_values(db, agent_id, period)
        previous = await _agent_values(db, agent_id, period_add(period, -1))
        score = scoring.score(current, rules)
        scoring.trend(score, scoring.score(previous, rules))
        return score

    return list(await asyncio.gather(*(one(a) for a in agents)))


async def naive_manager_dashboard(db: Database, period: str) -> list[float | None]:
    rules = await _rules(db)
    async with db.read() as session:
        team_ids = list(await session.scalars(select(Team.id).order_by(Team.name)))

    async def team(team_id: str) -> float | None:
        agents = await _team_agents(db, team_id)
        values = await asyncio.gather(*(_agent_values(db, a, period) for a in agents))
        return scoring.mean(scoring.score(v, rules) for v in values)

    return list(await asyncio.gather(*(team(t) for t in team_ids)))


async def naive_scorecard(db: Database, agent_id: str, period: str) -> list[float | None]:
    rules = await _rules(db)
    periods = periods_ending(period, 12)
    history = await asyncio.gather(*(_agent_values(db, agent_id, p) for p in periods))
    scores = [scoring.score(values, rules) for values in history]
    for rule in rules:  # the yearly average per KPI, one more query each
        async with db.read() as session:
            await session.execute(
                select(Metric.value).where(
                    Metric.agent_id == agent_id, Metric.kpi_code == rule.code, Metric.period.in_(periods)
                )
            )
    return scores


def _ordered(scores: Iterable[float | None]) -> list[float]:
    return sorted(-1.0 if s is None else s for s in scores)


# --- measuring -------------------------------------------------------------------------------------


class StatementCounter:
    """SQL statements sent, not counting SQLite's ``BEGIN`` (PostgreSQL's never reaches the cursor)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._on_statement)

    def _on_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.count += 1


async def measure(
    name: str, call: Callable[[], Awaitable[object]], runs: int, counter: StatementCounter
) -> dict[str, Any]:
    await call()  # warm-up
    counter.count = 0
    await call()
    statements = counter.count
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    result = {"median_ms": round(statistics.median(timings), 2), "p95_ms": round(p95, 2), "runs": runs,
              "statements": statements}
    print(f"  {name:<34} median {result['median_ms']:8.2f} ms   p95 {result['p95_ms']:8.2f} ms   "
          f"{statements:4d} statements")
    return result


async def run(runs: int, baseline_runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="coachhub-bench-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.sqlite3'}"
        await upgrade(url)
        db = Database(Settings(database_url=url, pool_size=20, pool_timeout=60.0))
        try:
            started = time.perf_counter()
            await seed_demo(db, Passwords(1024), teams=TEAMS, agents_per_team=AGENTS_PER_TEAM,
                            months=MONTHS, today=TODAY)
            seed_seconds = time.perf_counter() - started
            size = f"{TEAMS} teams x {AGENTS_PER_TEAM} agents x {MONTHS} months"
            print(f"seeded {size} in {seed_seconds:.1f} s")
            return await _compare(db, runs, baseline_runs, seed_seconds)
        finally:
            await db.dispose()


async def _compare(db: Database, runs: int, baseline_runs: int, seed_seconds: float) -> dict[str, Any]:
    async with db.read() as session:
        admin = await session.scalar(select(User).where(User.role == "admin"))
        team = await session.scalar(select(Team).order_by(Team.name).limit(1))
        agent = await session.scalar(select(User).where(User.email.like("agent1@%")))
    assert admin is not None and team is not None and agent is not None
    who = Principal(admin.id, Role.ADMIN, None)
    service = AnalyticsService(db)

    set_team = await service.team_dashboard(who, PERIOD, team.id)
    naive_team = await naive_team_dashboard(db, team.id, PERIOD)
    if _ordered(row.score for row in set_team.body.agents) != _ordered(naive_team):
        raise SystemExit("the set-based and per-agent dashboards disagree; not measuring")

    counter = StatementCounter(db)
    cases: dict[str, tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]] = {
        f"team dashboard ({AGENTS_PER_TEAM} agents)": (
            lambda: service.team_dashboard(who, PERIOD, team.id),
            lambda: naive_team_dashboard(db, team.id, PERIOD),
        ),
        f"manager dashboard ({TEAMS} teams)": (
            lambda: service.manager_dashboard(who, PERIOD),
            lambda: naive_manager_dashboard(db, PERIOD),
        ),
        "scorecard (12 months)": (
            lambda: service.scorecard(who, agent.id, PERIOD),
            lambda: naive_scorecard(db, agent.id, PERIOD),
        ),
    }
    results: dict[str, Any] = {}
    for name, (set_based, naive) in cases.items():
        print(name)
        fast = await measure("set-based, one snapshot", set_based, runs, counter)
        slow = await measure("per-agent queries (audit pattern)", naive, baseline_runs, counter)
        ratio = round(slow["median_ms"] / fast["median_ms"], 1)
        print(f"  -> the set-based read is {ratio}x faster (median)")
        results[name] = {"set_based": fast, "per_agent_baseline": slow, "speedup_median": ratio}
    return {
        "database": "sqlite (temporary file)",
        "data": {"teams": TEAMS, "agents_per_team": AGENTS_PER_TEAM, "months": MONTHS, "period": PERIOD},
        "seed_seconds": round(seed_seconds, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline-runs", type=int, default=10)
    args = parser.parse_args()
    report = asyncio.run(run(args.runs, args.baseline_runs))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
