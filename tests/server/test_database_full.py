"""A PostgreSQL that takes no more connections (its limit is shared with every other client): the
server sheds the request with 503 ``overloaded`` and Retry-After, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from server.app import create_app
from server.settings import Settings
from tests import databases


@pytest.fixture
async def full_database_url(postgres_url: str) -> AsyncIterator[str]:
    """The test database, reached as a role that may open no connection: PostgreSQL refuses it
    exactly as it refuses anyone past ``max_connections`` ("too many clients", SQLSTATE 53300)."""
    role = f"coachhub_full_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(databases.asyncpg_dsn(databases.postgres_admin_url()))
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
        yield make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


async def test_a_full_database_sheds_instead_of_failing(full_database_url: str) -> None:
    settings = Settings(database_url=full_database_url)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://coachhub.test") as http:
        response = await http.get(
            "/api/v1/dashboards/manager?period=2026-03", headers={"Authorization": "Bearer cha_anything"}
        )
    await app.state.db.dispose()
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "overloaded"
    assert int(response.headers["retry-after"]) >= 1
