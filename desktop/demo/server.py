"""The embedded demo server: the real server app (SQLite, demo data) on a free local port.

With the rest of ``desktop.demo`` the only part of the desktop that imports ``server``: the demo
starts a real server in a background thread and talks to it over HTTP like any client.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from server.app import create_app
from server.db.engine import Database
from server.db.migrate import upgrade
from server.services.demo_data import DemoLogin, seed_demo
from server.services.passwords import Passwords
from server.settings import Settings
from shared.auth import Role

STARTUP_TIMEOUT_S = 20.0
DEMO_HASH_MEMORY_KIB = 8192
"""Demo passwords are public; a lighter hash keeps demo sign-ins instant."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def prepare_database(settings: Settings, teams: int = 3, agents_per_team: int = 8) -> list[DemoLogin]:
    """Migrate to the latest schema and seed the demo organisation (idempotent)."""
    await upgrade(settings.database_url)
    db = Database(settings)
    try:
        return await seed_demo(
            db, Passwords(settings.password_hash_memory_kib), teams=teams, agents_per_team=agents_per_team
        )
    finally:
        await db.dispose()


@dataclass
class EmbeddedServer:
    """The real server app under uvicorn, in a daemon thread, on 127.0.0.1 and a free port."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    logins: list[DemoLogin] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def settings(self) -> Settings:
        return Settings(
            database_url=f"sqlite+aiosqlite:///{self.data_dir / 'demo.sqlite3'}",
            mail_dir=self.mail_dir,
            password_hash_memory_kib=DEMO_HASH_MEMORY_KIB,
        )

    def start(self) -> EmbeddedServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings = self.settings()
        self.logins = asyncio.run(prepare_database(settings))
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="coachhub-demo-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the embedded demo server did not start")
            time.sleep(0.02)  # waiting on another thread's startup, before any Qt loop exists
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def login(self, role: Role, number: int = 1) -> DemoLogin:
        """The ``number``-th demo login of a role (``leader1@…`` is the first team leader)."""
        matching = [login for login in self.logins if login.role == role]
        return sorted(matching, key=lambda login: login.email)[number - 1]
