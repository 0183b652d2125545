"""``coachhub demo`` with a display: the app on the embedded demo server, signed in as a team leader."""

from __future__ import annotations

import asyncio
from pathlib import Path

import qasync
from platformdirs import user_data_dir
from PySide6.QtCore import QSettings

from desktop.app import DesktopApp, build_services, create_application, run_until_quit
from desktop.credentials import MemoryStore
from desktop.demo.server import EmbeddedServer
from desktop.settings import DesktopSettings
from shared.auth import Role


def default_demo_dir() -> Path:
    return Path(user_data_dir("coachhub", appauthor=False)) / "demo"


def run_demo_app(data_dir: Path | None = None) -> int:
    root = data_dir or default_demo_dir()
    server = EmbeddedServer(root / "server").start()
    print(f"Demo server on {server.url} (data in {root}). Demo logins, password 'demo-password':")
    for login in server.logins:
        print(f"  {login.role.value:<12} {login.email}")
    print(f"Password-reset mails are written to {server.mail_dir}")
    try:
        app = create_application()
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        # The demo keeps its sign-in in memory: nothing goes to the keychain.
        services = build_services(server.url, root / "cache", MemoryStore())
        settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
        remembered = DesktopSettings(settings)
        remembered.set_server_url(server.url)
        desktop = DesktopApp(services, settings)

        async def sign_in_as_leader() -> None:
            login = server.login(Role.TEAM_LEADER)
            remembered.set_email(login.email)
            me = await services.auth.sign_in(server.url, login.email, login.password, False)
            desktop.open_main_window(me)

        return run_until_quit(app, loop, sign_in_as_leader(), services)
    finally:
        server.stop()
