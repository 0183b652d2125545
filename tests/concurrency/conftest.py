"""A real server: uvicorn with several worker processes over one SQLite file or one PostgreSQL
database, for tests that race requests across processes.

``live_server`` is session-scoped and parametrised over both backends; tests seed their own users
(through ``live_db``) and use their own days, so they can share one server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.db.engine import Database
from server.settings import Settings
from tests import databases
from tests.factories import TEST_HASH_MEMORY_KIB

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str
    backend: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    database_url: str, log_path: Path, workers: int = WORKERS, **env: str
) -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn with ``workers`` processes; returns the process and its base URL once ready."""
    port = free_port()
    environment = {
        **os.environ,
        "COACHHUB_DATABASE_URL": database_url,
        "COACHHUB_SECRET_KEY": "concurrency-test-secret",
        # Bursts of 50 requests queue for a connection; give them time instead of shedding load.
        "COACHHUB_POOL_TIMEOUT": "20",
        **env,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "server.app:create_app",
        "--factory",
        "--workers",
        str(workers),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"the server was not ready within {START_TIMEOUT}s:\n{log_path.read_text()}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


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
        reason = asyncio.run(databases.postgres_reachable())
        if reason is not None:
            if os.environ.get("CI"):
                pytest.fail(f"CI needs PostgreSQL: {reason}")
            pytest.skip(reason)
        database_url = asyncio.run(databases.create_postgres_database())
    log_path = directory / "server.log"
    try:
        process, base_url = start_server(database_url, log_path)
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
