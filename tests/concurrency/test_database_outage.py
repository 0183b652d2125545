"""A database outage is a 503, never a 500 or a hang, and the server recovers by itself.

Each test runs real server processes over a PostgreSQL cluster of its own (``tests/pg_cluster.py``),
so it can stop that cluster under load or freeze it with SIGSTOP; the shared server is not touched.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests import databases
from tests.factories import World, login, seed_standard_world
from tests.live_server import start_server, stop_server
from tests.pg_cluster import PostgresCluster, postgres_bin_dir

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CONNECT_TIMEOUT = 1.0
STATEMENT_TIMEOUT = 1.0
POOL_TIMEOUT = 2.0
# What the settings promise for a hung database (see server/settings.py), plus room for a busy machine.
BUDGET = POOL_TIMEOUT + CONNECT_TIMEOUT + 2 * (STATEMENT_TIMEOUT + 1.0) + 2.0
RECOVERY_TIMEOUT = 30.0
FIRST_DAY = datetime(2033, 1, 3, tzinfo=UTC)


@dataclass
class Outage:
    cluster: PostgresCluster
    base_url: str
    world: World
    log_path: Path


@dataclass
class Tally:
    """Every answer seen under load, and the bookings the server acknowledged."""

    statuses: list[int] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)

    def record(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)
        if response.status_code == 201:
            self.acknowledged.append(response.json()["id"])
        elif response.status_code >= 300:
            self.refusals.append(_refusal(response))


def _refusal(response: httpx.Response) -> str:
    """What a non-2xx answer was, as ``status code`` — or what was wrong with it."""
    if response.headers.get("content-type") != "application/problem+json":
        return f"{response.status_code} {response.headers.get('content-type')} {response.text[:200]}"
    code = response.json().get("code")
    if response.status_code == 503 and "retry-after" not in response.headers:
        return f"503 {code} without Retry-After"
    return f"{response.status_code} {code}"


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[Outage]:
    databases.require_postgres()
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.fail("the fault tests need PostgreSQL's initdb and pg_ctl")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.init()
        cluster.start()
        url = databases.sqlalchemy_url(cluster.url)
        world = asyncio.run(seed_standard_world(url))
        log_path = tmp_path / "server.log"
        process, base_url = start_server(
            url,
            log_path,
            workers=2,
            COACHHUB_POOL_SIZE="4",
            COACHHUB_POOL_TIMEOUT=str(POOL_TIMEOUT),
            COACHHUB_DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
            COACHHUB_DB_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT),
        )
        try:
            yield Outage(cluster, base_url, world, log_path)
        finally:
            stop_server(process)
            print("server log:\n" + "\n".join(log_path.read_text(errors="replace").splitlines()[-60:]))
    finally:
        cluster.destroy()


def _booking(world: World, number: int) -> dict[str, str]:
    agent = world.users["agent_a1" if number % 2 else "agent_a2"].id
    starts = FIRST_DAY + timedelta(hours=number)
    return {
        "agent_id": agent,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "topic": f"outage {number}",
    }


async def _until_answered(http: httpx.AsyncClient, path: str, status: int, headers: dict[str, str]) -> float:
    """Seconds until ``path`` answers ``status``."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_TIMEOUT:
        if (await http.get(path, headers=headers)).status_code == status:
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} did not answer {status} within {RECOVERY_TIMEOUT}s")


async def test_a_stopped_database_is_503_and_the_server_recovers_without_a_restart(outage: Outage) -> None:
    tally = Tally()
    numbers = iter(range(10_000))
    async with httpx.AsyncClient(base_url=outage.base_url, timeout=BUDGET + 10) as http:
        leader = await login(http, outage.world.users["leader_a"].email)
        stop = asyncio.Event()

        async def book_until_stopped() -> None:
            while not stop.is_set():
                response = await http.post(
                    "/api/v1/sessions",
                    json=_booking(outage.world, next(numbers)),
                    headers={**leader, "Idempotency-Key": str(uuid.uuid4())},
                )
                tally.record(response)

        async def read_until_stopped() -> None:
            while not stop.is_set():
                tally.record(await http.get("/api/v1/sessions?limit=5", headers=leader))

        load = [asyncio.ensure_future(book_until_stopped()) for _ in range(4)]
        load += [asyncio.ensure_future(read_until_stopped()) for _ in range(2)]
        await asyncio.sleep(1.0)  # load before the outage
        await asyncio.to_thread(outage.cluster.stop)
        down = len(tally.statuses)
        await asyncio.sleep(2.0)  # load during the outage
        assert (await http.get("/readyz")).status_code == 503
        await asyncio.to_thread(outage.cluster.start)
        recovered_in = await _until_answered(http, "/api/v1/sessions?limit=1", 200, leader)
        await _until_answered(http, "/readyz", 200, {})
        await asyncio.sleep(1.0)  # load after the recovery
        stop.set()
        await asyncio.gather(*load)

        refusals = set(tally.refusals)
        assert refusals <= {"503 overloaded"}, refusals
        assert len(tally.refusals) > 0, "the outage was seen"
        assert len(tally.statuses) > down + len(tally.refusals), "requests succeeded again after it"
        assert tally.statuses[-1] < 300
        print(f"outage: {len(tally.statuses)} answers, {len(tally.refusals)} x 503, "
              f"{len(tally.acknowledged)} bookings acknowledged, recovered in {recovered_in:.1f}s")
        for session_id in tally.acknowledged:
            found = await http.get(f"/api/v1/sessions/{session_id}", headers=leader)
            assert found.status_code == 200, f"acknowledged booking {session_id} lost: {found.text}"


async def test_a_frozen_database_answers_every_request_within_the_budget(outage: Outage) -> None:
    async with httpx.AsyncClient(base_url=outage.base_url, timeout=BUDGET + 10) as http:
        leader = await login(http, outage.world.users["leader_a"].email)
        paths = ["/readyz", "/api/v1/sessions?limit=5", "/api/v1/me", "/api/v1/teams"] * 3

        async def timed(index: int, path: str) -> tuple[str, int, float, str]:
            started = time.monotonic()
            if index % 4 == 1:
                response = await http.post(
                    "/api/v1/sessions",
                    json=_booking(outage.world, index),
                    headers={**leader, "Idempotency-Key": str(uuid.uuid4())},
                )
            else:
                response = await http.get(path, headers=leader)
            kind = "readyz" if path == "/readyz" else _refusal(response)
            return path, response.status_code, time.monotonic() - started, kind

        await asyncio.to_thread(outage.cluster.freeze)
        try:
            results = await asyncio.gather(*(timed(i, path) for i, path in enumerate(paths)))
        finally:
            await asyncio.to_thread(outage.cluster.thaw)
        slowest = max(seconds for _, _, seconds, _ in results)
        print(f"frozen database: {len(results)} requests, slowest in {slowest:.1f}s (budget {BUDGET}s)")
        for path, status, seconds, kind in results:
            assert status == 503, (path, status, kind)
            assert kind in ("readyz", "503 overloaded"), (path, kind)
            assert seconds <= BUDGET, (path, seconds)
        await _until_answered(http, "/api/v1/sessions?limit=1", 200, leader)
        await _until_answered(http, "/readyz", 200, {})
