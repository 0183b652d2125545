"""A server database seeded at scale, and a real server process to sync from.

Used by ``bench/desktop_sync.py`` and by the desktop stall test: the server runs in its own
process (uvicorn on a socket bound here first, so no waiting for it to start), so what the
desktop's event loop measures is the desktop's own work only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from server.db.engine import Database
from server.db.migrate import upgrade
from server.services.demo_data import DemoLogin, seed_demo
from server.services.passwords import Passwords
from server.settings import Settings
from shared.auth import Role

TEAMS, AGENTS_PER_TEAM, MONTHS = 30, 15, 24
HASH_MEMORY_KIB = 1024


async def _seed(path: Path, teams: int, agents_per_team: int, months: int) -> list[DemoLogin]:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    db = Database(Settings(database_url=url))
    try:
        # Bulk inserts of every row and its change-log entry, in one transaction.
        return await seed_demo(
            db, Passwords(HASH_MEMORY_KIB), teams=teams, agents_per_team=agents_per_team, months=months
        )
    finally:
        await db.dispose()


def seed_database(
    path: Path, *, teams: int = TEAMS, agents_per_team: int = AGENTS_PER_TEAM, months: int = MONTHS
) -> list[DemoLogin]:
    """A migrated SQLite server database at ``path`` with the demo organisation at that scale."""
    path.unlink(missing_ok=True)
    loop = asyncio.new_event_loop()  # not the caller's loop (it may be a Qt one)
    try:
        return loop.run_until_complete(_seed(path, teams, agents_per_team, months))
    finally:
        loop.close()


def copy_database(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def admin_login(logins: list[DemoLogin]) -> DemoLogin:
    return next(login for login in logins if login.role is Role.ADMIN)


@contextmanager
def server_process(database: Path, on_start: Callable[[int], None] | None = None) -> Iterator[str]:
    """``coachhub`` server on ``database`` in a child process; yields its base URL.

    ``on_start`` is given the child's process id (to watch its memory, say)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)  # connections queue here until the child accepts them
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "COACHHUB_DATABASE_URL": f"sqlite:///{database}",
    }
    # Niced: the server stands in for a remote machine and should not crowd the desktop's CPU.
    command = [
        "nice",
        "-n",
        "5",
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "server.app:create_app",
        "--fd",
        str(listener.fileno()),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    child = subprocess.Popen(command, env=env, pass_fds=(listener.fileno(),))
    listener.close()
    if on_start is not None:
        on_start(child.pid)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
