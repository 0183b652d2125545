"""Dashboards and scorecards stay consistent while imports stream in (audit races 1, 2, 4, 7, 9).

A background task keeps importing "generations" of metrics: generation g sets every KPI of every
agent, for all twelve months, to the same attainment. So any response read from one snapshot shows
one generation everywhere (equal scores across agents, teams and months, zero deltas); a response
stitched together from reads at different moments shows two. On top, every response must pass the
recomputation checks, and one ETag must always stand for one body.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Kpi, Metric, User
from server.services.metrics_import import import_metrics_csv
from shared import scoring
from shared.reports import kpi_rules
from shared.types import periods_ending
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_analytics import PERIOD
from tests.server.test_analytics_checks import (
    Body,
    add_agents,
    manager_dashboard_problems,
    scorecard_problems,
    team_dashboard_problems,
)

GENERATIONS = 12
MONTHS = periods_ending(PERIOD, 12)


def factor(generation: int) -> float:
    return 0.80 + 0.02 * (generation % 14)  # percentages stay under 100


def generation_csv(codes: list[str], generation: int) -> str:
    """Every KPI of every agent for all twelve months at ``factor(generation)`` x target."""
    f = factor(generation)
    lines = ["employee_code,period,kpi,value"]
    for code in codes:
        for period in MONTHS:
            lines += [
                f"{code},{period},aht,{360 / f!r}",
                f"{code},{period},csat,{85 * f!r}",
                f"{code},{period},fcr,{75 * f!r}",
                f"{code},{period},qa,{90 * f!r}",
                f"{code},{period},adherence,{92 * f!r}",
            ]
    return "\n".join(lines) + "\n"


def team_generations(body: Body) -> set[Any]:
    # Every month of a generation is equal, so in one snapshot the previous score is the score too.
    previous = {row["previous_score"] for row in body["agents"]} - {None}
    return {row["score"] for row in body["agents"]} | previous


def manager_generations(body: Body) -> set[Any]:
    return {(row["min_score"], row["max_score"]) for row in body["teams"]} | {
        (row["avg_score"], row["avg_score"]) for row in body["teams"]
    }


def scorecard_generations(body: Body) -> set[Any]:
    deltas = {k["delta"] for k in body["kpis"]} - {None, 0.0}
    return {point["score"] for point in body["history"]} | {("delta", d) for d in deltas}


def canonical(body: Body) -> str:
    return json.dumps({k: v for k, v in body.items() if k != "as_of"}, sort_keys=True)


async def _live_world(world: World) -> tuple[list[str], str, str]:
    """The manager's teams (a, b, and 'live' with six agents): employee codes, live team id, an agent."""
    await world.user("leader_live", "team_leader")
    team = await world.team("live", leader="leader_live", manager="manager")
    agent_ids = await add_agents(world.db, team, 6, "live")
    codes = [world.users[k].employee_code or "" for k in ("agent_a1", "agent_a2", "agent_b1")]
    codes += [f"live-{i:03d}" for i in range(6)]
    await import_metrics_csv(world.db, generation_csv(codes, 0), None)
    return codes, team.id, agent_ids[0]


async def test_responses_are_consistent_while_imports_run(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    codes, team_id, agent_id = await _live_world(world)
    leader, manager = await sign_in("leader_live"), await sign_in("manager")
    urls = {
        "team": (f"/api/v1/dashboards/team?period={PERIOD}&team_id={team_id}", leader, team_generations),
        "manager": (f"/api/v1/dashboards/manager?period={PERIOD}", manager, manager_generations),
        "scorecard": (f"/api/v1/agents/{agent_id}/scorecard?period={PERIOD}", leader, scorecard_generations),
    }
    checks = {
        "team": team_dashboard_problems,
        "manager": manager_dashboard_problems,
        "scorecard": scorecard_problems,
    }
    done = asyncio.Event()

    async def keep_importing() -> None:
        try:
            for generation in range(1, GENERATIONS + 1):
                await import_metrics_csv(world.db, generation_csv(codes, generation), None)
                await asyncio.sleep(0)
        finally:
            done.set()

    problems: list[str] = []
    bodies_by_etag: dict[str, str] = {}
    seen_scores: set[float | None] = set()
    reads = 0

    async def keep_reading() -> None:
        nonlocal reads
        while not done.is_set():
            for kind, (url, headers, generations) in urls.items():
                response = await client.get(url, headers=headers)
                assert response.status_code == 200, response.text
                body = response.json()
                reads += 1
                problems.extend(f"{kind}: {p}" for p in checks[kind](body))
                if len(generations(body)) != 1:
                    problems.append(f"{kind}: mixes generations {generations(body)}")
                if kind == "team":
                    seen_scores.add(body["agents"][0]["score"])
                tag = response.headers["etag"]
                if bodies_by_etag.setdefault(f"{kind}{tag}", canonical(body)) != canonical(body):
                    problems.append(f"{kind}: ETag {tag} stands for two different bodies")

    await asyncio.gather(keep_importing(), keep_reading(), keep_reading())
    assert problems == []
    # The reads really overlapped the imports: several generations were seen, each one whole.
    assert len(seen_scores) >= 3, (reads, seen_scores)
    print(f"{reads} reads saw {len(seen_scores)} generations")


async def test_the_generation_check_catches_per_agent_reads_across_an_import(
    db: Database, world: World
) -> None:
    """The audit's pattern: one read per agent, an import committing between two of them."""
    codes, team_id, _ = await _live_world(world)
    async with db.read() as session:
        rules = kpi_rules(list(await session.scalars(select(Kpi))))
        agents = list(await session.scalars(select(User).where(User.team_id == team_id).order_by(User.name)))
    rows = []
    for index, agent in enumerate(agents):
        if index == 3:
            await import_metrics_csv(db, generation_csv(codes, 5), None)
        async with db.read() as session:  # a separate read per agent, as in the audit
            metrics = await session.scalars(
                select(Metric).where(Metric.agent_id == agent.id, Metric.period == PERIOD)
            )
            values = {m.kpi_code: m.value for m in metrics}
        rows.append({"score": scoring.score(values, rules), "previous_score": None})
    assert len(team_generations({"agents": rows})) == 2
