"""A flood of bad sign-ins against real worker processes leaves a signed-in reader its answers
and its speed: hashing runs in its own small lane, at the lowest CPU priority, and sheds."""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from server.db.engine import Database
from server.db.models import Metric
from server.settings import Settings
from shared.types import utcnow
from tests.concurrency.conftest import serving
from tests.concurrency.sign_in_flood import IDLE_POLL, TIMEOUT, flood_sign_ins
from tests.factories import TEST_HASH_MEMORY_KIB, World, login
from tests.live_server import LiveServer

FLOODERS = 30
# Quiet and flooded reads alternate in short phases, so both see the same machine.
ROUNDS, READS_PER_PHASE = 8, 15
PERIOD = "2026-10"
KPIS = ("aht", "csat", "fcr", "qa", "adherence")


# PostgreSQL, the backend of a server with several workers: on SQLite the flooded p95 stays within
# 3 times (9 → 24 ms seen) but not within twice on two busy cores; that bound is still open there.
@pytest.fixture(scope="module", params=["postgres"])
def flood_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    """Behind a trusted proxy (the test), so every bad sign-in can come from an address of its
    own: the per-address ceiling stays out of it and the hashing lane alone must hold."""
    backend: str = request.param
    directory = tmp_path_factory.mktemp(f"flood-{backend}")
    with serving(
        backend,
        directory,
        sqlite_template,
        COACHHUB_TRUSTED_PROXIES="127.0.0.1",
        # The production lane, not the wide one other live tests use.
        COACHHUB_PASSWORD_HASH_CONCURRENCY=str(Settings.password_hash_concurrency),
    ) as server:
        yield server


async def _seed_team(database_url: str) -> str:
    """A team leader with eight agents and a month of KPIs; returns the leader's email."""
    db = Database(Settings(database_url=database_url, password_hash_memory_kib=TEST_HASH_MEMORY_KIB))
    try:
        world = World(db)
        await world.user("flood_leader", "team_leader")
        await world.team("flood_team", leader="flood_leader")
        agents = [await world.user(f"flood_agent_{n}", "agent", team="flood_team") for n in range(8)]
        async with db.write() as session:
            now = utcnow()
            session.add_all(
                Metric(agent_id=agent.id, period=PERIOD, kpi_code=kpi, value=80.0 + n, updated_at=now)
                for n, agent in enumerate(agents)
                for kpi in KPIS
            )
        return world.users["flood_leader"].email
    finally:
        await db.dispose()


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


async def test_a_sign_in_flood_leaves_a_signed_in_reader_its_answers_and_speed(
    flood_server: LiveServer,
) -> None:
    email = await _seed_team(flood_server.database_url)
    spawn = multiprocessing.get_context("spawn")
    flooding, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
    in_flight = spawn.Value("i", 0)
    flood = spawn.Process(
        target=flood_sign_ins,
        args=(flood_server.base_url, FLOODERS, flooding, stop, in_flight, results),
        daemon=True,
    )
    flood.start()

    async def until(condition: Callable[[], bool]) -> None:
        for _ in range(int(TIMEOUT / IDLE_POLL)):
            if condition():
                return
            await asyncio.sleep(IDLE_POLL)
        raise AssertionError("the flood never turned")

    quiet: list[tuple[int, float]] = []
    flooded: list[tuple[int, float]] = []
    try:
        async with httpx.AsyncClient(base_url=flood_server.base_url, timeout=TIMEOUT) as reader:
            headers = await login(reader, email)

            async def read() -> tuple[int, float]:
                started = time.perf_counter()
                response = await reader.get(f"/api/v1/dashboards/team?period={PERIOD}", headers=headers)
                return response.status_code, time.perf_counter() - started

            for _ in range(ROUNDS):
                quiet += [await read() for _ in range(READS_PER_PHASE)]
                flooding.set()
                await until(lambda: in_flight.value >= FLOODERS)
                flooded += [await read() for _ in range(READS_PER_PHASE)]
                flooding.clear()
                await until(lambda: in_flight.value == 0)
    finally:
        stop.set()
        flood_answers: Counter[int] = Counter(await asyncio.to_thread(results.get, timeout=2 * TIMEOUT))
        await asyncio.to_thread(flood.join)

    quiet_p95 = _p95([took for _, took in quiet])
    flooded_p95 = _p95([took for _, took in flooded])
    ok = sum(status == 200 for status, _ in flooded) / len(flooded)
    print(
        f"\n{flood_server.backend}: reader p95 quiet {quiet_p95 * 1000:.1f} ms, under the flood "
        f"{flooded_p95 * 1000:.1f} ms, {ok:.1%} answered; flood answers {dict(flood_answers)}"
    )
    assert all(status == 200 for status, _ in quiet)
    assert ok >= 0.99
    assert flooded_p95 <= 2 * quiet_p95
    assert set(flood_answers) <= {401, 503}, flood_answers
    assert flood_answers[401] >= 1 and flood_answers[503] >= FLOODERS  # it hashed some and shed the rest
