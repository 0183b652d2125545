"""Test databases: a migrated SQLite template copied per test, and one fresh PostgreSQL database
per test run (truncated between tests)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.migrate import upgrade

DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
KEEP_TABLES = {"alembic_version", "kpis", "sync_counters"}


def postgres_admin_url() -> str:
    return os.environ.get("COACHHUB_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


async def postgres_reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        conn = await asyncpg.connect(asyncpg_dsn(postgres_admin_url()), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {postgres_admin_url()} is not reachable: {exc}"
    await conn.close()
    return None


def require_postgres() -> None:
    """Skip (with the reason) when no PostgreSQL answers; under ``CI`` that is a failure instead."""
    reason = asyncio.run(postgres_reachable())
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs PostgreSQL: {reason}")
    pytest.skip(reason)


async def create_postgres_database(migrated: bool = True) -> str:
    """A new database of its own; ``migrated=False`` leaves it empty, for a ``migrate`` to fill."""
    name = f"coachhub_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(asyncpg_dsn(postgres_admin_url()))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = sqlalchemy_url(with_database(postgres_admin_url(), name))
    if migrated:
        await upgrade(url)
    return url


async def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(asyncpg_dsn(postgres_admin_url()))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def reset_postgres(url: str) -> None:
    """Empty every data table, keeping the migrated schema, default KPIs and a zero counter."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            names = (
                await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            ).scalars()
            data_tables = [n for n in names if n not in KEEP_TABLES]
            if data_tables:
                await conn.execute(text(f"TRUNCATE {', '.join(data_tables)} CASCADE"))
            await conn.execute(text("UPDATE sync_counters SET value = 0"))
            await conn.execute(
                text(
                    "UPDATE kpis SET version = 1, target = CASE code WHEN 'aht' THEN 360 WHEN 'csat' THEN 85 "
                    "WHEN 'fcr' THEN 75 WHEN 'qa' THEN 90 ELSE 92 END, weight = CASE code WHEN 'aht' THEN 1 "
                    "WHEN 'csat' THEN 2 WHEN 'fcr' THEN 1.5 WHEN 'qa' THEN 2 ELSE 1 END"
                )
            )
    finally:
        await engine.dispose()


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"
