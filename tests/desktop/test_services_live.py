"""The live-update service against the real server served over a socket (SQLite, one process):
a change made by one client reaches another's cache by a poke, and the status bar says Live."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from desktop.ui.status_bar import SyncStatusBar
from shared.auth import Role
from tests.desktop.conftest import InProcessServer, Run, SeededTemplate, in_process_server, settled
from tests.desktop.test_live_updates import arrival, close, signed_in, until_live
from tests.sse import served

STARTS = datetime(2032, 2, 3, 10, tzinfo=UTC)


def server_and_status_bar(
    template: SeededTemplate, tmp_path: Path, qtbot: QtBot
) -> tuple[InProcessServer, SyncStatusBar]:
    """The real app over a copy of the demo database, and a status bar to show a client's state."""
    path = tmp_path / "server.sqlite3"
    shutil.copyfile(template.path, path)
    bar = SyncStatusBar()
    qtbot.addWidget(bar)
    return in_process_server(path, template.logins), bar


def test_a_booking_reaches_the_other_client_by_a_poke_and_the_status_bar_says_live(
    demo_template: SeededTemplate, tmp_path: Path, run: Run[Any], qtbot: QtBot
) -> None:
    server, bar = server_and_status_bar(demo_template, tmp_path, qtbot)

    async def scenario() -> None:
        async with served(server.app) as base_url:
            booker = await signed_in(base_url, server.login(Role.TEAM_LEADER), tmp_path / "booker")
            watcher = await signed_in(base_url, server.login(Role.MANAGER), tmp_path / "watcher")
            watcher.sync.sig_status.connect(bar.show_status)
            watcher.live.start()
            await until_live(watcher)
            agent_id = (await booker.directory.agents())[0].id
            session = await booker.sessions.book(agent_id, STARTS, STARTS + timedelta(minutes=30), "Live")
            await arrival(watcher, session.id, within_s=5.0)
            await watcher.sync.sync_now()
            assert bar.connection.text() == "● Live"
            await close(booker, watcher)
        await server.db.dispose()

    run(scenario())
    run(settled())


def test_without_live_updates_on_the_server_the_client_stays_on_timed_syncs(
    demo_template: SeededTemplate, tmp_path: Path, run: Run[Any], qtbot: QtBot
) -> None:
    server, bar = server_and_status_bar(demo_template, tmp_path, qtbot)
    server.app.state.settings = server.settings.with_(events_enabled=False)

    async def scenario() -> None:
        async with served(server.app) as base_url:
            watcher = await signed_in(base_url, server.login(Role.MANAGER), tmp_path / "watcher")
            watcher.sync.sig_status.connect(bar.show_status)
            watcher.live.start()
            await watcher.sync.sync_now()
            assert watcher.live.running  # asks again later; the timed sync carries on meanwhile
            assert watcher.sync.status.live is False
            await close(watcher)
        await server.db.dispose()

    run(scenario())
    run(settled())
    assert bar.connection.text() == "● Online"

