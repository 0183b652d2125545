"""The Alembic history runs up, down and up again, and matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.migrate import downgrade, upgrade
from server.db.models import Base


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def _diff(url: str) -> list[object]:
    engine = create_async_engine(url)

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    expected = set(Base.metadata.tables) | {"alembic_version"}
    assert await _tables(database_url) == expected
    await downgrade(database_url, "base")
    assert await _tables(database_url) <= {"alembic_version"}
    await upgrade(database_url)
    assert await _tables(database_url) == expected


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await _diff(database_url) == []
