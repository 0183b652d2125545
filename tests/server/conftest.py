"""The real server app in-process (httpx.ASGITransport), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.db.engine import Database
from server.settings import Settings
from tests.factories import TEST_HASH_MEMORY_KIB, World, login

Login = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        mail_dir=tmp_path / "mail",
        password_hash_memory_kib=TEST_HASH_MEMORY_KIB,
        metrics_enabled=True,  # tests read the counters; off by default (test_response_headers.py)
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://coachhub.test") as http:
        yield http


@pytest.fixture
async def world(db: Database) -> World:
    return await World(db).standard()


@pytest.fixture
def sign_in(client: httpx.AsyncClient, world: World) -> Login:
    """``await sign_in("leader_a")`` → Authorization headers for that user of the world."""

    async def _sign_in(key: str) -> dict[str, str]:
        return await login(client, world.users[key].email)

    return _sign_in
