"""Dashboards and scorecards through the real API: figures, scope, ETags and statement counts."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy import update

from server.db.engine import Database
from server.db.models import User
from server.services.admin import AdminService
from server.services.metrics_import import import_metrics_csv
from server.services.passwords import Passwords
from shared.admin import KpiUpdate
from shared.types import periods_ending, utcnow
from tests.factories import World
from tests.ids import uid
from tests.server.conftest import Login
from tests.server.test_analytics_checks import (
    StatementLog,
    add_team,
    manager_dashboard_problems,
    scorecard_problems,
    team_dashboard_problems,
)

PERIOD = "2026-03"
PREVIOUS = "2026-02"


def csv_of(rows: list[tuple[str, str, str, float]]) -> str:
    return "employee_code,period,kpi,value\n" + "".join(f"{c},{p},{k},{v}\n" for c, p, k, v in rows)


async def import_rows(db: Database, rows: list[tuple[str, str, str, float]]) -> None:
    await import_metrics_csv(db, csv_of(rows), None)


def on_target(code: str, period: str, factor: float = 1.0) -> list[tuple[str, str, str, float]]:
    """All five KPIs at ``factor`` times their target (attainment = factor)."""
    return [
        (code, period, "aht", round(360 / factor, 6)),
        (code, period, "csat", 85 * factor),
        (code, period, "fcr", 75 * factor),
        (code, period, "qa", 90 * factor),
        (code, period, "adherence", 92 * factor),
    ]


@pytest.fixture
async def scored(world: World) -> World:
    """agent_a1: 100 now, 90 before (up); agent_a2: csat only at half target now; nothing before."""
    a1, a2 = world.users["agent_a1"].employee_code or "", world.users["agent_a2"].employee_code or ""
    await import_rows(
        world.db, on_target(a1, PERIOD) + on_target(a1, PREVIOUS, 0.9) + [(a2, PERIOD, "csat", 42.5)]
    )
    return world


async def test_team_dashboard_scores_the_leaders_own_team(
    client: httpx.AsyncClient, scored: World, sign_in: Login
) -> None:
    response = await client.get(f"/api/v1/dashboards/team?period={PERIOD}", headers=await sign_in("leader_a"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["team"]["id"] == scored.teams["team_a"].id
    assert body["period"] == PERIOD
    assert [k["code"] for k in body["kpis"]] == ["aht", "csat", "fcr", "qa", "adherence"]
    rows = {row["agent"]["id"]: row for row in body["agents"]}
    a1, a2 = rows[scored.users["agent_a1"].id], rows[scored.users["agent_a2"].id]
    assert (a1["score"], a1["previous_score"], a1["trend"]) == (100.0, 90.0, "up")
    assert a1["metrics"]["csat"] == 85.0
    assert (a2["score"], a2["previous_score"], a2["trend"]) == (50.0, None, None)
    assert a2["metrics"] == {"aht": None, "csat": 42.5, "fcr": None, "qa": None, "adherence": None}
    assert body["summary"] == {"avg_score": 75.0, "below_target_count": 1}
    assert team_dashboard_problems(body) == []
    assert response.headers["etag"].startswith('"team-')
    assert abs(utcnow() - _parse_time(body["as_of"])) < timedelta(minutes=1)


async def test_team_dashboard_of_a_team_without_metrics(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    response = await client.get(f"/api/v1/dashboards/team?period={PERIOD}", headers=await sign_in("leader_b"))
    assert response.status_code == 200
    body = response.json()
    assert [row["score"] for row in body["agents"]] == [None]
    assert body["summary"] == {"avg_score": None, "below_target_count": 0}


async def test_manager_dashboard_lists_the_managers_teams(
    client: httpx.AsyncClient, scored: World, sign_in: Login
) -> None:
    url = f"/api/v1/dashboards/manager?period={PERIOD}"
    response = await client.get(url, headers=await sign_in("manager"))
    assert response.status_code == 200, response.text
    body = response.json()
    teams = {row["team"]["id"]: row for row in body["teams"]}
    assert set(teams) == {scored.teams["team_a"].id, scored.teams["team_b"].id}
    team_a = teams[scored.teams["team_a"].id]
    assert team_a["leader"] == {"id": scored.users["leader_a"].id, "name": "Leader A"}
    figures = [team_a[k] for k in ("agent_count", "avg_score", "min_score", "max_score")]
    assert figures == [2, 75.0, 50.0, 100.0]
    assert team_a["below_target_count"] == 1
    team_b = teams[scored.teams["team_b"].id]
    assert (team_b["agent_count"], team_b["avg_score"], team_b["min_score"]) == (1, None, None)
    assert manager_dashboard_problems(body) == []


async def test_scorecard_has_current_previous_and_a_year_of_history(
    client: httpx.AsyncClient, scored: World, sign_in: Login
) -> None:
    agent = scored.users["agent_a1"]
    response = await client.get(
        f"/api/v1/agents/{agent.id}/scorecard?period={PERIOD}", headers=await sign_in("leader_a")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agent"]["id"] == agent.id
    assert (body["score"], body["previous_score"], body["trend"]) == (100.0, 90.0, "up")
    assert body["year_avg_score"] == 95.0
    assert [p["period"] for p in body["history"]] == periods_ending(PERIOD, 12)
    assert [p["score"] for p in body["history"]][-3:] == [None, 90.0, 100.0]
    csat = next(k for k in body["kpis"] if k["code"] == "csat")
    assert csat == {
        "code": "csat", "name": "Customer Satisfaction", "unit": "%", "value": 85.0, "target": 85.0,
        "previous": 76.5, "delta": 8.5, "attainment": 1.0, "year_avg": 80.8,
    }
    assert scorecard_problems(body) == []


@pytest.mark.parametrize("path", ["/dashboards/team", "/dashboards/manager", f"/agents/{uid('x')}/scorecard"])
async def test_a_bad_period_is_a_validation_error(
    client: httpx.AsyncClient, world: World, sign_in: Login, path: str
) -> None:
    response = await client.get(f"/api/v1{path}?period=2026-13", headers=await sign_in("admin"))
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_dashboards_need_a_signed_in_user(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get(f"/api/v1/dashboards/team?period={PERIOD}")
    assert response.status_code == 401


# --- scope ----------------------------------------------------------------------------------------


async def test_team_leader_sees_no_other_team(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("leader_a")
    for team in ("team_b", "team_c"):
        response = await client.get(
            f"/api/v1/dashboards/team?period={PERIOD}&team_id={world.teams[team].id}", headers=headers
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    for team_id, status in ((uid("nope"), 404), ("nope", 422)):
        response = await client.get(
            "/api/v1/dashboards/team", params={"period": PERIOD, "team_id": team_id}, headers=headers
        )
        assert response.status_code == status


async def test_manager_sees_only_their_teams(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    headers = await sign_in("manager")
    url = f"/api/v1/dashboards/team?period={PERIOD}"
    default = await client.get(url, headers=headers)
    assert default.json()["team"]["id"] == world.teams["team_a"].id  # the first by name
    team_b = await client.get(f"{url}&team_id={world.teams['team_b'].id}", headers=headers)
    assert team_b.status_code == 200
    team_c = await client.get(f"{url}&team_id={world.teams['team_c'].id}", headers=headers)
    assert team_c.status_code == 404
    other = await client.get(
        f"/api/v1/dashboards/manager?period={PERIOD}", headers=await sign_in("other_manager")
    )
    assert [row["team"]["id"] for row in other.json()["teams"]] == [world.teams["team_c"].id]


async def test_admin_sees_every_team(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    headers = await sign_in("admin")
    overview = await client.get(f"/api/v1/dashboards/manager?period={PERIOD}", headers=headers)
    assert len(overview.json()["teams"]) == 3
    team_c = await client.get(
        f"/api/v1/dashboards/team?period={PERIOD}&team_id={world.teams['team_c'].id}", headers=headers
    )
    assert team_c.status_code == 200


async def test_agents_get_no_dashboards(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    headers = await sign_in("agent_a1")
    for path in ("team", "manager"):
        response = await client.get(f"/api/v1/dashboards/{path}?period={PERIOD}", headers=headers)
        assert response.status_code == 403


async def test_a_token_that_signs_no_one_in_gets_401(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("leader_a")
    await client.post("/api/v1/auth/logout", headers=headers)
    for path in ("dashboards/team", f"agents/{world.users['agent_a1'].id}/scorecard"):
        for token in (headers, {"Authorization": "Bearer cha_not-a-token"}):
            response = await client.get(f"/api/v1/{path}?period={PERIOD}", headers=token)
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("viewer", "agent", "status"),
    [
        ("agent_a1", "agent_a1", 200),
        ("agent_a1", "agent_a2", 404),
        ("agent_a1", "agent_c1", 404),
        ("leader_a", "agent_a2", 200),
        ("leader_a", "agent_b1", 404),
        ("leader_a", "agent_c1", 404),
        ("manager", "agent_b1", 200),
        ("manager", "agent_c1", 404),
        ("other_manager", "agent_c1", 200),
        ("admin", "agent_c1", 200),
        ("admin", "leader_a", 404),  # not an agent: no scorecard
    ],
)
async def test_scorecard_scope(
    client: httpx.AsyncClient, world: World, sign_in: Login, viewer: str, agent: str, status: int
) -> None:
    response = await client.get(
        f"/api/v1/agents/{world.users[agent].id}/scorecard?period={PERIOD}", headers=await sign_in(viewer)
    )
    assert response.status_code == status, response.text


# --- ETags ----------------------------------------------------------------------------------------


async def test_etag_holds_until_a_relevant_metric_changes(
    client: httpx.AsyncClient, scored: World, sign_in: Login
) -> None:
    headers = await sign_in("leader_a")
    url = f"/api/v1/dashboards/team?period={PERIOD}"
    first = await client.get(url, headers=headers)
    tag = first.headers["etag"]
    assert (await client.get(url, headers={**headers, "If-None-Match": tag})).status_code == 304

    a1, b1 = scored.users["agent_a1"].employee_code or "", scored.users["agent_b1"].employee_code or ""
    await import_rows(scored.db, [(a1, PERIOD, "csat", 85.0)])  # same value: nothing changes
    await import_rows(scored.db, [(b1, PERIOD, "csat", 70.0)])  # another team
    await import_rows(scored.db, [(a1, "2025-01", "csat", 70.0)])  # a month not shown
    not_modified = await client.get(url, headers={**headers, "If-None-Match": tag})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == tag

    await import_rows(scored.db, [(a1, PERIOD, "csat", 80.0)])
    changed = await client.get(url, headers={**headers, "If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    row = next(r for r in changed.json()["agents"] if r["agent"]["id"] == scored.users["agent_a1"].id)
    assert row["metrics"]["csat"] == 80.0

    await import_rows(scored.db, [(a1, PREVIOUS, "qa", 10.0)])  # the previous month feeds the trend
    after_previous = await client.get(url, headers={**headers, "If-None-Match": changed.headers["etag"]})
    assert after_previous.status_code == 200


@pytest.mark.parametrize("what", ["team", "manager", "scorecard"])
async def test_etag_changes_with_kpi_settings_and_membership(
    client: httpx.AsyncClient, scored: World, sign_in: Login, what: str
) -> None:
    agent = scored.users["agent_a2"]
    url, viewer = {
        "team": (f"/api/v1/dashboards/team?period={PERIOD}", "leader_a"),
        "manager": (f"/api/v1/dashboards/manager?period={PERIOD}", "manager"),
        "scorecard": (f"/api/v1/agents/{agent.id}/scorecard?period={PERIOD}", "manager"),
    }[what]
    headers = await sign_in(viewer)
    tag = (await client.get(url, headers=headers)).headers["etag"]
    admin = AdminService(scored.db, Passwords(1024))
    await admin.update_kpi("csat", 1, KpiUpdate(target=80.0))
    response = await client.get(url, headers={**headers, "If-None-Match": tag})
    assert response.status_code == 200
    tag = response.headers["etag"]
    async with scored.db.write() as session:
        await session.execute(
            update(User)
            .where(User.id == agent.id)
            .values(team_id=scored.teams["team_b"].id, version=User.version + 1)
        )
    moved = await client.get(url, headers={**headers, "If-None-Match": tag})
    assert moved.status_code == 200
    assert moved.headers["etag"] != tag


async def test_scorecard_etag_tracks_its_history_months(
    client: httpx.AsyncClient, scored: World, sign_in: Login
) -> None:
    agent = scored.users["agent_a1"]
    headers = await sign_in("agent_a1")
    url = f"/api/v1/agents/{agent.id}/scorecard?period={PERIOD}"
    tag = (await client.get(url, headers=headers)).headers["etag"]
    code = agent.employee_code or ""
    await import_rows(scored.db, [(code, "2025-03", "qa", 80.0)])  # 13 months back: not covered
    assert (await client.get(url, headers={**headers, "If-None-Match": tag})).status_code == 304
    await import_rows(scored.db, [(code, "2025-04", "qa", 80.0)])  # the oldest history month
    response = await client.get(url, headers={**headers, "If-None-Match": tag})
    assert response.status_code == 200
    assert response.json()["history"][0]["score"] == 88.9


# --- a fixed number of statements, whatever the size ----------------------------------------------


async def _count(
    client: httpx.AsyncClient, db: Database, url: str, headers: dict[str, str]
) -> tuple[int, list[int]]:
    with StatementLog(db.engine.sync_engine) as log:
        response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return log.counts


async def test_team_dashboard_statements_do_not_grow_with_the_team(
    client: httpx.AsyncClient, world: World, sign_in: Login, capsys: pytest.CaptureFixture[str]
) -> None:
    periods = periods_ending(PERIOD, 12)
    small, _ = await add_team(world, "small", 5, periods)
    large, _ = await add_team(world, "large", 50, periods)
    headers = await sign_in("manager")
    counts = {}
    for team, size in ((small, 5), (large, 50)):
        url = f"/api/v1/dashboards/team?period={PERIOD}&team_id={team.id}"
        counts[size] = await _count(client, world.db, url, headers)
        scorecard_agent = world.users["agent_a1"].id
        counts[f"scorecard-{size}"] = await _count(
            client, world.db, f"/api/v1/agents/{scorecard_agent}/scorecard?period={PERIOD}", headers
        )
    with capsys.disabled():
        print(f"\n[{world.db.engine.dialect.name}] team dashboard statements (total, per tx): {counts}")
    assert counts[5] == counts[50]
    assert counts["scorecard-5"] == counts["scorecard-50"]
    if world.db.is_sqlite:
        # One snapshot: sign-in, the team's agents (the agent's months) with their stored scores,
        # the KPI definitions.
        assert counts[50] == counts["scorecard-50"] == (3, [3])
    else:
        # One statement is its own snapshot: all three together, on an autocommit connection
        # (SQLAlchemy marks a begin; the driver sends no BEGIN: test_reads_open_no_transaction...).
        assert counts[50] == counts["scorecard-50"] == (1, [1])


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # asyncpg's transactions
@pytest.mark.parametrize(
    "path", ["/agents/{agent}/scorecard", "/dashboards/team", "/dashboards/team?team_id={team}"]
)
async def test_reads_open_no_transaction_on_postgres(
    client: httpx.AsyncClient, scored: World, sign_in: Login, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    started: list[object] = []
    start = asyncpg.transaction.Transaction.start

    async def counted_start(transaction: asyncpg.transaction.Transaction) -> None:
        started.append(transaction)
        await start(transaction)

    headers = await sign_in("leader_a")
    target = path.format(agent=scored.users["agent_a1"].id, team=scored.teams["team_a"].id)
    url = f"/api/v1{target}{'&' if '?' in target else '?'}period={PERIOD}"
    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted_start)
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert started == []


async def test_manager_dashboard_statements_do_not_grow_with_teams(
    client: httpx.AsyncClient, world: World, sign_in: Login, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = await sign_in("manager")
    url = f"/api/v1/dashboards/manager?period={PERIOD}"
    two_teams = await _count(client, world.db, url, headers)
    for index in range(28):
        await add_team(world, f"extra_{index:02d}", 6, [PERIOD])
    thirty = await client.get(url, headers=headers)
    assert len(thirty.json()["teams"]) == 30
    thirty_teams = await _count(client, world.db, url, headers)
    with capsys.disabled():
        print(
            f"\n[{world.db.engine.dialect.name}] manager dashboard statements (total, per transaction): "
            f"2 teams {two_teams}, 30 teams {thirty_teams}"
        )
    assert two_teams == thirty_teams
    # One snapshot: sign-in, then every team in scope with its agents' stored scores.
    assert thirty_teams == (2, [2])
    assert manager_dashboard_problems(thirty.json()) == []


def _parse_time(text: str) -> object:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))
