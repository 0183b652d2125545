"""Contention over a real server with two worker processes: one agent booked by two coaches at
once, with partial overlaps, through ``POST /sessions`` and ``POST /sync/push``, also with the CPU
deliberately busy. On PostgreSQL such inserts meet in two exclusion constraints and can deadlock;
every answer must still be a 201/409 (push: applied/conflict), never a 500."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.db.engine import Database
from tests.concurrency.burner import busy_cpu
from tests.concurrency.test_booking_races import _overlapping_pairs
from tests.factories import World, login
from tests.live_server import LiveServer

ROUNDS = 10
PER_ROUND = 12  # half through POST /sessions, half through /sync/push; half per coach
FIRST_DAY = datetime(2034, 1, 2, tzinfo=UTC)
_days = itertools.count()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _booking(agent_id: str, starts: datetime) -> dict[str, Any]:
    """An hour from ``starts``: requests five minutes apart all overlap, each only in part."""
    return {
        "agent_id": agent_id,
        "starts_at": _iso(starts),
        "ends_at": _iso(starts + timedelta(hours=1)),
        "topic": "contention",
    }


async def _book(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = await client.post(
        "/api/v1/sessions", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
    )
    if response.status_code == 201:
        return "won"
    if response.status_code == 409 and response.json().get("code") == "slot_conflict":
        return "lost"
    return f"POST {response.status_code} {response.text[:120]}"


async def _push(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    mutation = {
        "mutation_id": str(uuid.uuid4()),
        "type": "create_session",
        "session_id": str(uuid.uuid4()),
        "data": body,
    }
    response = await client.post(
        "/api/v1/sync/push", json={"client_id": "contention", "mutations": [mutation]}, headers=headers
    )
    if response.status_code != 200:
        return f"push {response.status_code} {response.text[:120]}"
    (result,) = response.json()["results"]
    if result["status"] == "applied":
        return "won"
    if (result["status"], result["code"]) == ("conflict", "slot_conflict"):
        return "lost"
    return f"push result {result}"


class LogWindow:
    """What the server logged from now on (the live server is shared with other tests)."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.start = server.log_path.stat().st_size

    def text(self) -> str:
        with self.server.log_path.open("rb") as log:
            log.seek(self.start)
            return log.read().decode(errors="replace")


@pytest.fixture(params=["quiet", "busy"])
def cpu(request: pytest.FixtureRequest) -> Iterator[str]:
    """The machine as it is, or with every core kept busy by a burner process for the test."""
    if request.param == "quiet":
        yield "quiet"
        return
    with busy_cpu(seconds=120):
        yield "busy"


async def test_two_coaches_booking_one_agent_at_once_never_get_a_500(
    live_server: LiveServer, live_client: httpx.AsyncClient, live_db: Database, cpu: str
) -> None:
    world = World(live_db)
    name = f"contention_{cpu}"
    await world.user(f"{name}_leader", "team_leader")
    await world.user(f"{name}_manager", "manager")
    await world.team(name, leader=f"{name}_leader", manager=f"{name}_manager")
    agent = (await world.user(f"{name}_agent", "agent", team=name)).id
    coaches = [await login(live_client, world.users[f"{name}_{who}"].email) for who in ("leader", "manager")]
    log = LogWindow(live_server)

    outcomes: list[Counter[str]] = []
    for _ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=next(_days), hours=10)
        bodies = [_booking(agent, day + timedelta(minutes=5 * i)) for i in range(PER_ROUND)]
        calls = [
            (_book if i % 4 < 2 else _push)(live_client, coaches[i % 2], body)
            for i, body in enumerate(bodies)
        ]
        outcomes.append(Counter(await asyncio.gather(*calls)))

    print(f"\n[{live_server.backend}, {cpu} CPU] rounds of {PER_ROUND}: {[dict(o) for o in outcomes]}")
    logged = log.text()
    assert all(set(round_) <= {"won", "lost"} for round_ in outcomes), (outcomes, logged[-3000:])
    assert [round_["won"] for round_ in outcomes] == [1] * ROUNDS, outcomes
    assert await _overlapping_pairs(live_db) == 0
    assert "Traceback" not in logged and "Exception in ASGI" not in logged, logged[-3000:]
