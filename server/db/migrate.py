"""Run Alembic migrations from code (the CLI, the tests and the demo all use this)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.private_files import create_private_sqlite_file

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_LOCK_KEY = 0x63686D67
"""The PostgreSQL advisory lock every ``migrate`` of a database takes (any fixed number will do)."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def _run(database_url: str, action: str, revision: str) -> None:
    create_private_sqlite_file(database_url)
    engine = create_async_engine(database_url)
    config = alembic_config(database_url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Hosts that upgrade together take turns, released at commit: the next one finds the
                # schema at head and does nothing, instead of failing on the same CREATE TABLE.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def upgrade(database_url: str, revision: str = "head") -> None:
    await _run(database_url, "upgrade", revision)


async def downgrade(database_url: str, revision: str = "base") -> None:
    await _run(database_url, "downgrade", revision)


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    asyncio.run(upgrade(database_url, revision))
