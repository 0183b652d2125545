"""Stored scores equal a recomputation from the metrics after imports, KPI edits and team moves,
also when those writes run at the same time."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import AgentScore, Kpi, Metric
from server.services.admin import AdminService
from server.services.metrics_import import import_metrics_csv
from server.services.passwords import Passwords
from server.services.score_store import refresh_scores
from shared import scoring
from shared.admin import KpiUpdate, UserPatch
from shared.scoring import KpiRule, kpi_sort_key
from shared.types import periods_ending, utcnow
from tests.factories import TEST_HASH_MEMORY_KIB, World
from tests.server.conftest import Login

PERIOD = "2026-03"
PERIODS = periods_ending(PERIOD, 3)
KPI_FACTORS = {"aht": 360.0, "csat": 85.0, "fcr": 75.0, "qa": 90.0, "adherence": 92.0}

Scores = dict[tuple[str, str], tuple[dict[str, float], float | None]]


async def recomputed_scores(db: Database) -> Scores:
    """Every (agent, month) with metrics, scored from scratch with ``shared.scoring``."""
    async with db.read() as session:
        kpis = (await session.execute(select(Kpi.code, Kpi.target, Kpi.weight, Kpi.higher_is_better))).all()
        metrics = (
            await session.execute(select(Metric.agent_id, Metric.period, Metric.kpi_code, Metric.value))
        ).all()
    rules = [KpiRule(*k) for k in sorted(kpis, key=lambda k: kpi_sort_key(k[0]))]
    values: dict[tuple[str, str], dict[str, float]] = {}
    for agent_id, period, code, value in metrics:
        values.setdefault((agent_id, period), {})[code] = value
    return {key: (kpi_values, scoring.score(kpi_values, rules)) for key, kpi_values in values.items()}


async def stored_scores(db: Database) -> Scores:
    async with db.read() as session:
        rows = (
            await session.execute(
                select(AgentScore.agent_id, AgentScore.period, AgentScore.kpi_values, AgentScore.score)
            )
        ).all()
    return {(agent_id, period): (kpi_values, score) for agent_id, period, kpi_values, score in rows}


def metrics_csv(codes: list[str], periods: list[str], kpis: list[str], factor: float) -> str:
    lines = ["employee_code,period,kpi,value"]
    for code in codes:
        for period in periods:
            for kpi in kpis:
                target = KPI_FACTORS[kpi]
                value = target / factor if kpi == "aht" else min(100.0, round(target * factor, 2))
                lines.append(f"{code},{period},{kpi},{value}")
    return "\n".join(lines) + "\n"


def agent_codes(world: World) -> list[str]:
    return [u.employee_code for u in world.users.values() if u.employee_code]


async def test_stored_scores_follow_imports_kpi_edits_and_team_moves(
    world: World, client: httpx.AsyncClient, sign_in: Login
) -> None:
    db = world.db
    codes = agent_codes(world)
    await import_metrics_csv(db, metrics_csv(codes, PERIODS, list(KPI_FACTORS), 0.9), None)
    assert await stored_scores(db) == await recomputed_scores(db)
    assert len(await stored_scores(db)) == len(codes) * len(PERIODS)

    await import_metrics_csv(db, metrics_csv(codes[:2], [PERIOD], ["csat", "qa"], 1.2), None)
    assert await stored_scores(db) == await recomputed_scores(db)

    before = await stored_scores(db)
    admin = AdminService(db, Passwords(TEST_HASH_MEMORY_KIB))
    await admin.update_kpi("qa", 1, KpiUpdate(target=70.0, weight=3.0))
    after = await stored_scores(db)
    assert after == await recomputed_scores(db)
    assert after != before  # the edit changed scores, and they were all recomputed

    moved = world.users["agent_a2"]
    await admin.patch_user(moved.id, moved.version, UserPatch(team_id=world.teams["team_b"].id))
    assert await stored_scores(db) == await recomputed_scores(db)
    headers = await sign_in("manager")
    url = f"/api/v1/dashboards/team?period={PERIOD}&team_id={world.teams['team_b'].id}"
    rows = {row["agent"]["id"]: row for row in (await client.get(url, headers=headers)).json()["agents"]}
    expected = (await recomputed_scores(db))[(moved.id, PERIOD)]
    assert (rows[moved.id]["metrics"], rows[moved.id]["score"]) == expected


async def test_concurrent_imports_and_kpi_edits_leave_no_stale_score(world: World) -> None:
    """Each import writes other KPIs of the same agents and months; the KPI edits rescore everything."""
    db = world.db
    codes = agent_codes(world)
    await import_metrics_csv(db, metrics_csv(codes, PERIODS, ["aht"], 1.0), None)
    admin = AdminService(db, Passwords(TEST_HASH_MEMORY_KIB))
    imports = [
        import_metrics_csv(db, metrics_csv(codes, PERIODS, [kpi], factor), None)
        for factor in (0.8, 1.1, 0.95)
        for kpi in ("csat", "fcr", "qa", "adherence")
    ]
    edits = [
        admin.update_kpi("csat", 1, KpiUpdate(target=80.0)),
        admin.update_kpi("fcr", 1, KpiUpdate(weight=2.5)),
        admin.update_kpi("adherence", 1, KpiUpdate(target=95.0)),
    ]
    await asyncio.gather(*imports, *edits)
    assert await stored_scores(db) == await recomputed_scores(db)


async def test_two_writers_refreshing_one_score_keep_both_metrics(world: World) -> None:
    """Two writers each add a KPI of the same agent and month and refresh its score, with nothing
    else (no change log) ordering them: the stored score ends up computed from both metrics."""
    db = world.db
    agent = world.users["agent_a1"]
    await import_metrics_csv(
        db, f"employee_code,period,kpi,value\n{agent.employee_code},{PERIOD},aht,300\n", None
    )
    both_written = asyncio.Barrier(2)

    async def add(kpi: str, value: float) -> None:
        async def work(session: AsyncSession) -> None:
            row = {"agent_id": agent.id, "period": PERIOD, "kpi_code": kpi, "value": value, "version": 1}
            await session.execute(insert(Metric).values(updated_at=utcnow(), **row))
            if not db.is_sqlite:
                await both_written.wait()
            await refresh_scores(session, [(agent.id, PERIOD)])

        await db.write_once(work)

    await asyncio.gather(add("csat", 80.0), add("qa", 95.0))
    stored = await stored_scores(db)
    assert stored[(agent.id, PERIOD)][0] == {"aht": 300.0, "csat": 80.0, "qa": 95.0}
    assert stored == await recomputed_scores(db)
