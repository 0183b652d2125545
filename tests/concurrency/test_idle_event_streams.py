"""500 idle event streams on one worker process over PostgreSQL: no database connection each.

The worker's connections are counted in ``pg_stat_activity`` before and after the streams open
(the pool's plus the one listening connection), and its resident memory is reported.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from server.db.engine import Database
from server.settings import Settings
from tests import databases
from tests.factories import TEST_HASH_MEMORY_KIB, World, login
from tests.live_server import start_server, stop_server
from tests.sse import EventReader, event_stream

pytestmark = pytest.mark.slow

STREAMS = 500


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


async def connections(db: Database, database_name: str) -> int:
    async with db.read() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
            {"name": database_name},
        )
    return int(count or 0)


async def test_500_idle_streams_open_no_database_connection(tmp_path: Path) -> None:
    await asyncio.to_thread(databases.require_postgres)
    url = await databases.create_postgres_database()
    name = url.rsplit("/", 1)[1]
    db = Database(Settings(database_url=url, password_hash_memory_kib=TEST_HASH_MEMORY_KIB))
    process = None
    try:
        world = await World(db).standard()
        process, base_url = await asyncio.to_thread(
            start_server, url, tmp_path / "server.log", workers=1, COACHHUB_POOL_SIZE="5"
        )
        limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=STREAMS + 10)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as http:
            leader = await login(http, world.users["leader_a"].email)
            async with event_stream(http, leader) as first:  # starts the listener, fills the pool
                await first.next_poke()
                before = await connections(db, name)
                rss_before = resident_kib(process.pid)
                async with AsyncExitStack() as stack:
                    readers: list[EventReader] = []
                    for _ in range(STREAMS):
                        readers.append(await stack.enter_async_context(event_stream(http, leader)))
                    await asyncio.gather(*(reader.next_poke() for reader in readers))
                    during = await connections(db, name)
                    rss_during = resident_kib(process.pid)
                    print(
                        f"{STREAMS} idle streams: database connections {before} -> {during}; "
                        f"worker RSS {rss_before} -> {rss_during} KiB "
                        f"({(rss_during - rss_before) / STREAMS:.1f} KiB a stream)"
                    )
                    assert during <= before
                    # Still at work: a ping through the full pool of a worker that holds 501 streams.
                    assert (await http.get("/api/v1/me", headers=leader)).status_code == 200
    finally:
        if process is not None:
            await asyncio.to_thread(stop_server, process)
        await db.dispose()
        await databases.drop_postgres_database(url)
