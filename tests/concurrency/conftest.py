"""A real server: uvicorn with several worker processes over one SQLite file or one PostgreSQL
database, for tests that race requests across processes.

``live_server`` is session-scoped and parametrised over both backends; tests seed their own users
(through ``live_db``) and use their own days, so they can share one server.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from server.db.engine import Database
from server.settings import Settings
from tests import databases
from tests.concurrency.burner import busy_cpu
from tests.factories import TEST_HASH_MEMORY_KIB
from tests.live_server import WORKERS, LiveServer, start_server, stop_server


async def _warm_up(base_url: str, rounds: int = 3, width: int = 4 * WORKERS * 10) -> None:
    """Open every worker's pool connections before the first test. On a cold server the first
    burst is staggered by connection set-up and never races, so it would pass even without the
    no-overlap guard (seen with the PostgreSQL exclusion constraints removed)."""
    limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:
        for _ in range(rounds):
            await asyncio.gather(*(client.get("/readyz") for _ in range(width)))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    backend: str = request.param
    directory = tmp_path_factory.mktemp(f"live-{backend}")
    if backend == "sqlite":
        target = directory / "coachhub.sqlite3"
        shutil.copyfile(sqlite_template, target)
        database_url = f"sqlite+aiosqlite:///{target}"
    else:
        databases.require_postgres()
        database_url = asyncio.run(databases.create_postgres_database())
    log_path = directory / "server.log"
    try:
        process, base_url = start_server(database_url, log_path)
        asyncio.run(_warm_up(base_url))
        try:
            yield LiveServer(base_url, database_url, backend, log_path)
        finally:
            stop_server(process)
    finally:
        if backend == "postgres":
            asyncio.run(databases.drop_postgres_database(database_url))


@pytest.fixture
async def live_db(live_server: LiveServer) -> AsyncIterator[Database]:
    """The live server's database, for seeding and for checking what it holds."""
    database = Database(
        Settings(database_url=live_server.database_url, password_hash_memory_kib=TEST_HASH_MEMORY_KIB)
    )
    yield database
    await database.dispose()


@pytest.fixture
async def live_client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=live_server.base_url, limits=limits, timeout=30.0) as client:
        yield client


@pytest.fixture(params=["quiet", "busy"])
def cpu(request: pytest.FixtureRequest) -> Iterator[str]:
    """The machine as it is, or with every core kept busy by a burner process for the test."""
    if request.param == "quiet":
        yield "quiet"
        return
    with busy_cpu(seconds=120):
        yield "busy"
