"""The metrics CSV import: all or nothing, upsert semantics, change log, rights and row errors."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import Change, Metric
from server.problems import ProblemError
from server.services.changes import metric_entity_id
from server.services.metrics_import import import_metrics_csv, parse_metrics_csv
from shared.types import period_add
from tests.factories import World
from tests.server.conftest import Login

URL = "/api/v1/admin/metrics/import"
HEADER = "employee_code,period,kpi,value\n"
KPIS = ("aht", "csat", "fcr", "qa", "adherence")
AGENTS = ("agent_a1", "agent_a2", "agent_b1", "agent_c1")


def thousand_rows(world: World) -> list[list[str]]:
    """4 agents x 5 KPIs x 50 months = 1,000 rows."""
    rows = []
    for agent in AGENTS:
        code = world.users[agent].employee_code or ""
        for month in range(50):
            for index, kpi in enumerate(KPIS):
                value = 300 + month if kpi == "aht" else 70 + (month + index) % 25
                rows.append([code, period_add("2022-01", month), kpi, str(value)])
    return rows


def to_csv(rows: list[list[str]]) -> str:
    return HEADER + "".join(",".join(row) + "\n" for row in rows)


async def post_csv(client: httpx.AsyncClient, headers: dict[str, str], text: str) -> httpx.Response:
    return await client.post(URL, content=text.encode(), headers={**headers, "Content-Type": "text/csv"})


async def snapshot(db: Database) -> tuple[list[tuple[object, ...]], int]:
    async with db.read() as session:
        metrics = [
            tuple(row)
            for row in await session.execute(
                select(
                    Metric.agent_id, Metric.period, Metric.kpi_code, Metric.value, Metric.version,
                    Metric.updated_at,
                ).order_by(Metric.agent_id, Metric.period, Metric.kpi_code)
            )
        ]
        changes = await session.scalar(select(func.count()).select_from(Change))
    return metrics, int(changes or 0)


async def test_one_bad_row_in_a_thousand_writes_nothing(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("admin")
    rows = thousand_rows(world)
    assert (await post_csv(client, headers, to_csv(rows[:10]))).status_code == 200
    before = await snapshot(world.db)
    bad = [list(row) for row in rows]
    bad[736][3] = "n/a"  # line 738 of the file: header, then rows from line 2
    response = await post_csv(client, headers, to_csv(bad))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == [{"row": 738, "message": "value 'n/a' is not a number"}]
    assert await snapshot(world.db) == before


async def test_import_then_reimport_is_all_unchanged(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("admin")
    rows = thousand_rows(world)
    first = await post_csv(client, headers, to_csv(rows))
    assert first.status_code == 200, first.text
    assert first.json() == {"inserted": 1000, "updated": 0, "unchanged": 0}
    metrics, changes = await snapshot(world.db)
    assert len(metrics) == 1000 and changes == 1000

    again = await post_csv(client, headers, to_csv(rows))
    assert again.json() == {"inserted": 0, "updated": 0, "unchanged": 1000}
    assert await snapshot(world.db) == (metrics, changes)

    edited = [list(row) for row in rows]
    for row in edited[:10]:
        row[3] = str(float(row[3]) + 1)
    third = await post_csv(client, headers, to_csv([*edited, [rows[0][0], "2030-01", "qa", "88"]]))
    assert third.json() == {"inserted": 1, "updated": 10, "unchanged": 990}
    after, after_changes = await snapshot(world.db)
    assert after_changes == 1011
    bumped = [m for m in after if m[4] == 2]
    assert len(bumped) == 10
    old = {m[:3]: m for m in metrics}
    for metric in bumped:
        assert metric[5] > old[metric[:3]][5]  # updated_at moves with the version
    untouched = [m for m in after if m[4] == 1 and m[:3] in old]
    assert all(m == old[m[:3]] for m in untouched)


async def test_changes_name_the_metric_its_agent_and_team(db: Database, world: World) -> None:
    agent = world.users["agent_b1"]
    await import_metrics_csv(db, f"{HEADER}{agent.employee_code},2026-01,csat,80\n", None)
    await import_metrics_csv(db, f"{HEADER}{agent.employee_code},2026-01,csat,81\n", None)
    async with db.read() as session:
        changes = list(await session.scalars(select(Change).order_by(Change.seq)))
    entity_id, team_id = metric_entity_id(agent.id, "2026-01", "csat"), world.teams["team_b"].id
    assert [(c.entity, c.entity_id, c.version, c.team_id, c.agent_id, c.op) for c in changes] == [
        ("metric", entity_id, version, team_id, agent.id, "upsert") for version in (1, 2)
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("NOBODY,2026-01,csat,80", "no agent with employee code 'NOBODY'"),
        ("{code},2026-13,csat,80", "period '2026-13' is not a month like 2026-01"),
        ("{code},26-01,csat,80", "period '26-01' is not a month like 2026-01"),
        ("{code},2026-01,nps,80", "unknown KPI 'nps' (known: adherence, aht, csat, fcr, qa)"),
        ("{code},2026-01,csat,eighty", "value 'eighty' is not a number"),
        ("{code},2026-01,csat,nan", "value 'nan' is not a number"),
        ("{code},2026-01,csat,-1", "value -1 is negative"),
        ("{code},2026-02,csat,101", "value 101 is over 100 for a percentage KPI"),
        ("{code},2026-01,csat", "expected 4 fields, found 3"),
        ("{code},2026-01,csat,80", "duplicate of row 2"),
    ],
)
async def test_each_kind_of_bad_row_is_named(
    client: httpx.AsyncClient, world: World, sign_in: Login, line: str, message: str
) -> None:
    code = world.users["agent_a1"].employee_code
    text = f"{HEADER}{code},2026-01,csat,80\n{line.format(code=code)}\n"
    response = await post_csv(client, await sign_in("admin"), text)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"row": 3, "message": message}]
    assert (await snapshot(world.db))[0] == []


async def test_a_wrong_header_or_media_type_is_refused(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("admin")
    response = await post_csv(client, headers, "code,month,kpi,value\n")
    assert response.status_code == 422
    message = "the header must be employee_code,period,kpi,value"
    assert response.json()["errors"] == [{"row": 1, "message": message}]
    as_json = await client.post(URL, json={"rows": []}, headers=headers)
    assert as_json.status_code == 422


async def test_an_empty_file_with_a_header_imports_nothing(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    response = await post_csv(client, await sign_in("admin"), "\ufeff" + HEADER + "\n")
    assert response.json() == {"inserted": 0, "updated": 0, "unchanged": 0}


async def test_managers_import_for_their_teams_only(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("manager")
    own = world.users["agent_b1"].employee_code
    other = world.users["agent_c1"].employee_code
    response = await post_csv(client, headers, f"{HEADER}{own},2026-01,qa,90\n{other},2026-01,qa,90\n")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 3, "message": f"no agent with employee code '{other}' in your teams"}
    ]
    assert (await snapshot(world.db))[0] == []
    ok = await post_csv(client, headers, f"{HEADER}{own},2026-01,qa,90\n")
    assert ok.json() == {"inserted": 1, "updated": 0, "unchanged": 0}


@pytest.mark.parametrize("who", ["leader_a", "agent_a1"])
async def test_leaders_and_agents_may_not_import(
    client: httpx.AsyncClient, world: World, sign_in: Login, who: str
) -> None:
    code = world.users["agent_a1"].employee_code
    response = await post_csv(client, await sign_in(who), f"{HEADER}{code},2026-01,qa,90\n")
    assert response.status_code == 403
    assert (await snapshot(world.db))[0] == []


async def test_concurrent_imports_of_the_same_new_rows_both_succeed(db: Database, world: World) -> None:
    code = world.users["agent_a1"].employee_code
    texts = [f"{HEADER}{code},2026-01,qa,{value}\n{code},2026-01,csat,{value}\n" for value in (80, 81)]
    results = await asyncio.gather(*(import_metrics_csv(db, text, None) for text in texts))
    assert sorted((r.inserted, r.updated) for r in results) == [(0, 2), (2, 0)]
    metrics, changes = await snapshot(db)
    assert sorted(m[4] for m in metrics) == [2, 2]
    assert changes == 4


def test_parser_reports_every_bad_line() -> None:
    rows, errors = parse_metrics_csv(f"{HEADER}E1,2026-01,qa,1\n\nE1,2026-01,qa,2\nE2,bad,qa,1\n")
    assert [r.line for r in rows] == [2]
    assert [(e.row, e.message) for e in errors] == [
        (4, "duplicate of row 2"),
        (5, "period 'bad' is not a month like 2026-01"),
    ]


async def test_the_cli_entry_point_has_full_rights(db: Database, world: World) -> None:
    code = world.users["agent_c1"].employee_code
    result = await import_metrics_csv(db, f"{HEADER}{code},2026-01,aht,300\n", None)
    assert result.inserted == 1
    with pytest.raises(ProblemError) as raised:
        await import_metrics_csv(db, f"{HEADER}{code},2026-01,aht,x\n", None)
    assert raised.value.extra["errors"] == [{"row": 2, "message": "value 'x' is not a number"}]
