"""Imports and KPI edits racing across worker processes leave every stored score equal to a
recomputation from the metrics."""

from __future__ import annotations

import asyncio

import httpx

from server.db.engine import Database
from tests.factories import World, login
from tests.server.test_score_store import PERIODS, metrics_csv, recomputed_scores, stored_scores

IMPORTS = [(kpi, factor) for factor in (0.85, 1.15) for kpi in ("csat", "fcr", "qa", "adherence")]


async def test_racing_imports_and_kpi_edits_keep_scores_exact(
    live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    await world.user("score_admin", "admin")
    await world.user("score_leader", "team_leader")
    await world.team("score_team", leader="score_leader")
    codes = []
    for index in range(6):
        codes.append(
            (await world.user(f"score_agent_{index}", "agent", team="score_team")).employee_code or ""
        )
    headers = await login(live_client, world.users["score_admin"].email)
    csv_headers = {**headers, "Content-Type": "text/csv"}
    kpis = {
        k["code"]: k["version"]
        for k in (await live_client.get("/api/v1/kpis", headers=headers)).json()["items"]
    }

    answers = await asyncio.gather(
        *(
            live_client.post(
                "/api/v1/admin/metrics/import",
                content=metrics_csv(codes, PERIODS, [kpi], factor),
                headers=csv_headers,
            )
            for kpi, factor in IMPORTS
        ),
        live_client.put(
            "/api/v1/admin/kpis/csat",
            json={"target": 82.0},
            headers={**headers, "If-Match": f'"{kpis["csat"]}"'},
        ),
        live_client.put(
            "/api/v1/admin/kpis/qa", json={"weight": 2.5}, headers={**headers, "If-Match": f'"{kpis["qa"]}"'}
        ),
    )

    assert [a.status_code for a in answers] == [200] * len(answers), [a.text for a in answers]
    stored = await stored_scores(live_db)
    assert stored == await recomputed_scores(live_db)
    ours = {user.id for user in world.users.values()}
    assert sum(agent_id in ours for agent_id, _ in stored) == len(codes) * len(PERIODS)
