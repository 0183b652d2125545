"""Several ``coachhub-server migrate`` processes at once (hosts upgrading together) take turns on
PostgreSQL instead of racing each other's DDL: all of them succeed, on one schema."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.live_server import REPO_ROOT

RUNS = 3
TIMEOUT_S = 120


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_migrate_processes_take_turns(empty_postgres: str) -> None:
    env = {**os.environ, "COACHHUB_DATABASE_URL": empty_postgres}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "server.cli", "migrate"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(RUNS)
    ]
    outputs = [process.communicate(timeout=TIMEOUT_S)[0].decode(errors="replace") for process in processes]
    failed = [out[-2000:] for process, out in zip(processes, outputs, strict=True) if process.returncode]
    assert failed == []
    assert len(asyncio.run(schema_versions(empty_postgres))) == 1


async def schema_versions(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await engine.dispose()
