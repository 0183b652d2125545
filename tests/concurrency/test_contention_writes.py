"""More contention over a real server with two worker processes: override resolutions racing
edits of the session they displace (and bookings of the slot it moves to), and imports of the same
metric rows in different orders. No 500, and the database ends exactly as the answers say."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import Change, CoachingSession, Metric
from tests.concurrency.contention_support import (
    LogWindow,
    coached_agent,
    hour_booking,
    iso,
    post_booking,
    push_create,
)
from tests.concurrency.test_booking_races import _overlapping_pairs
from tests.factories import World, login
from tests.live_server import LiveServer

ROUNDS = 8
FIRST_DAY = datetime(2035, 1, 2, tzinfo=UTC)
_days = itertools.count()


async def _parked(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await push_create(client, headers, body)
    (result,) = response.json()["results"]
    assert result["status"] == "conflict", result
    return dict(result["session"])


def _override(session_id: str, starts: datetime) -> dict[str, Any]:
    """Resolve by moving the session at version 1 ``session_id`` to the hour from ``starts``."""
    moved = hour_booking("", starts)
    span = {"starts_at": moved["starts_at"], "ends_at": moved["ends_at"]}
    return {"action": "override", "displaced": {"id": session_id, "version": 1, **span}}


async def test_overrides_racing_edits_of_the_displaced_session_leave_exactly_the_winner(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database, cpu: str
) -> None:
    world = World(live_db)
    name = f"override_race_{cpu}"
    agent = await coached_agent(world, name)
    leader = await login(live_client, world.users[f"{name}_leader"].email)
    manager = await login(live_client, world.users[f"{name}_manager"].email)
    log = LogWindow(live_server)

    for _ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=next(_days))
        taken = await post_booking(live_client, leader, hour_booking(agent, day + timedelta(hours=10)))
        assert taken.status_code == 201, taken.text
        displaced = taken.json()["id"]
        first = await _parked(live_client, manager, hour_booking(agent, day + timedelta(hours=10)))
        second = await _parked(live_client, manager, hour_booking(agent, day + timedelta(minutes=630)))
        moved_away = hour_booking(agent, day + timedelta(hours=15))
        one_version = {"If-Match": '"1"'}
        # Four writers of the displaced session, all from version 1, and two bookings of the
        # slot the first override moves it to.
        answers = await asyncio.gather(
            live_client.post(
                f"/api/v1/conflicts/{first['id']}/resolve",
                json=_override(displaced, day + timedelta(hours=13)),
                headers={**manager, **one_version},
            ),
            live_client.post(
                f"/api/v1/conflicts/{second['id']}/resolve",
                json=_override(displaced, day + timedelta(hours=14)),
                headers={**manager, **one_version},
            ),
            live_client.patch(
                f"/api/v1/sessions/{displaced}",
                json={"starts_at": moved_away["starts_at"], "ends_at": moved_away["ends_at"]},
                headers={**leader, **one_version},
            ),
            live_client.patch(
                f"/api/v1/sessions/{displaced}", json={"notes": "edited"}, headers={**leader, **one_version}
            ),
            post_booking(live_client, leader, hour_booking(agent, day + timedelta(hours=13))),
            push_create(live_client, manager, hour_booking(agent, day + timedelta(minutes=810))),
        )
        writers, booked, pushed = answers[:4], answers[4], answers[5]
        statuses = [answer.status_code for answer in answers]
        assert set(statuses[:4]) <= {200, 409, 412} and booked.status_code in {201, 409}, (
            [a.text[:200] for a in answers],
            log.text()[-3000:],
        )
        assert pushed.status_code == 200 and pushed.json()["results"][0]["status"] in {"applied", "conflict"}
        assert statuses[:4].count(200) == 1, [a.text[:200] for a in writers]

        winner = statuses.index(200)
        async with live_db.read() as session:
            rows = {row.id: row for row in await session.scalars(select(CoachingSession))}
        final = rows[displaced]
        won = writers[winner].json()
        expected = won["displaced"] if winner < 2 else won
        assert (final.version, iso(final.starts_at), iso(final.ends_at), final.notes) == (
            2,
            expected["starts_at"],
            expected["ends_at"],
            expected["notes"],
        )
        for index, parked in enumerate((first, second)):
            status, version = rows[parked["id"]].status, rows[parked["id"]].version
            assert (status, version) == (("scheduled", 2) if winner == index else ("conflict", 1))
    assert await _overlapping_pairs(live_db) == 0
    log.assert_clean()


IMPORTS = 6
KPIS = ("aht", "csat", "fcr", "qa")
MONTHS = ("2034-01", "2034-02", "2034-03", "2034-04", "2034-05")


async def test_concurrent_imports_of_the_same_rows_in_different_orders_apply_one_after_another(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database
) -> None:
    world = World(live_db)
    admin = await world.user("import_race_admin", "admin")
    await world.team("import_race")
    codes = [
        (await world.user(f"import_race_agent_{i}", "agent", team="import_race")).employee_code or ""
        for i in range(10)
    ]
    keys = [(code, month, kpi) for code in codes for month in MONTHS for kpi in KPIS]
    headers = {**await login(live_client, admin.email), "Content-Type": "text/csv"}
    shuffler = random.Random(9)
    texts = []
    for value in range(IMPORTS):
        order = shuffler.sample(keys, len(keys))  # every import locks the rows in another order
        rows = "".join(f"{code},{month},{kpi},{50 + value}\n" for code, month, kpi in order)
        texts.append("employee_code,period,kpi,value\n" + rows)
    log = LogWindow(live_server)

    answers = await asyncio.gather(
        *(live_client.post("/api/v1/admin/metrics/import", content=text, headers=headers) for text in texts)
    )

    assert [answer.status_code for answer in answers] == [200] * IMPORTS, [a.text[:300] for a in answers]
    counts = Counter((a.json()["inserted"], a.json()["updated"], a.json()["unchanged"]) for a in answers)
    assert counts == Counter({(len(keys), 0, 0): 1, (0, len(keys), 0): IMPORTS - 1}), counts
    agent_ids = [world.users[f"import_race_agent_{i}"].id for i in range(10)]
    async with live_db.read() as session:
        metrics = list(await session.scalars(select(Metric).where(Metric.agent_id.in_(agent_ids))))
        logged_changes = await session.scalar(
            select(func.count())
            .select_from(Change)
            .where(Change.entity == "metric", Change.agent_id.in_(agent_ids))
        )
    assert len(metrics) == len(keys)
    assert {metric.version for metric in metrics} == {IMPORTS}, "every import wrote every row once"
    assert len({metric.value for metric in metrics}) == 1, "the last import's values, whole"
    assert logged_changes == IMPORTS * len(keys)
    log.assert_clean()
