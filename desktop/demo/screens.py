"""``coachhub demo --screenshot DIR``: every main screen of the real app, rendered to PNG.

Runs the embedded demo server, signs in as a demo team leader (and a manager for the overview),
drives the real widgets and services, and grabs each screen. Works with ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import qasync
import shiboken6
from PySide6.QtCore import QMessageLogContext, QSettings, QtMsgType, SignalInstance, qInstallMessageHandler
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QWidget

from desktop.app import build_services, create_application
from desktop.credentials import KeyringStore, MemoryStore
from desktop.demo.scenario import edit_on_both_sides, push_offline_clash, upcoming_scheduled
from desktop.demo.server import EmbeddedServer
from desktop.net import ApiClient
from desktop.services import ServiceError, Services
from desktop.settings import DesktopSettings
from desktop.ui.main_window import CONFLICTS, DASHBOARD, SESSIONS, MainWindow
from desktop.ui.sessions_view import LIST_TAB, WEEK_TAB
from desktop.ui.sign_in import SignInDialog
from shared.auth import Role
from shared.types import utcnow

WINDOW_SIZE = (1280, 800)
SIGNAL_TIMEOUT_S = 30.0
SETTLE_S = 0.15

SCREENS = (
    "01-sign-in",
    "02-dashboard",
    "03-scorecard",
    "04-sessions-week",
    "05-sessions-list",
    "06-book-session-clash",
    "07-conflicts-booking",
    "08-conflicts-merge",
    "09-manager-overview",
    "10-manager-team-drill-down",
    "11-narrow-window",
    "12-sign-in-without-keychain",
    "13-offline-start",
)
NARROW_SIZE = (1024, 540)  # a 1280x720 screen at 125 %, less the title bar and the taskbar


def expect(signal: SignalInstance) -> asyncio.Future[tuple[Any, ...]]:
    """A future resolved by the next emission of ``signal`` (connect before triggering it)."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def done(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(done)
    return future


async def until(signal: SignalInstance, action: Callable[[], Any]) -> tuple[Any, ...]:
    future = expect(signal)
    result = action()
    if isinstance(result, Awaitable):
        await result
    return await asyncio.wait_for(future, SIGNAL_TIMEOUT_S)


async def settle() -> None:
    """Let layouts, deferred deletes and pending paints run before a grab."""
    await asyncio.sleep(SETTLE_S)


def save(widget: QWidget, out_dir: Path, name: str, written: list[Path]) -> None:
    path = out_dir / f"{name}.png"
    widget.grab().save(str(path))
    written.append(path)


def save_with_dialog(window: QWidget, dialog: QWidget, out_dir: Path, name: str, written: list[Path]) -> None:
    """The window dimmed, with the dialog on top in the middle, as a user sees it."""
    canvas = window.grab()
    painter = QPainter(canvas)
    painter.fillRect(canvas.rect(), QColor(15, 23, 42, 110))
    shot: QPixmap = dialog.grab()
    left = (canvas.width() - shot.width()) // 2
    top = max((canvas.height() - shot.height()) // 2, 0)
    painter.drawPixmap(left, top, shot)
    painter.end()
    path = out_dir / f"{name}.png"
    canvas.save(str(path))
    written.append(path)


async def signed_in_window(services: Services, server: EmbeddedServer, role: Role) -> MainWindow:
    login = server.login(role)
    me = await services.auth.sign_in(server.url, login.email, login.password, False)
    await services.sync.sync_now()
    window = MainWindow(services, me)
    window.resize(*WINDOW_SIZE)
    window.show()
    dashboard_loaded = expect(window.dashboard.sig_loaded)
    window.start()
    await asyncio.wait_for(dashboard_loaded, SIGNAL_TIMEOUT_S)
    return window


async def render_all(server: EmbeddedServer, work_dir: Path, out_dir: Path) -> list[Path]:
    written: list[Path] = []
    settings = QSettings(str(work_dir / "settings.ini"), QSettings.Format.IniFormat)
    leader_login = server.login(Role.TEAM_LEADER)
    remembered = DesktopSettings(settings)
    remembered.set_server_url(server.url)
    remembered.set_email(leader_login.email)
    leader = build_services(server.url, work_dir / "leader-cache", MemoryStore())
    manager = build_services(server.url, work_dir / "manager-cache", MemoryStore())
    other = ApiClient(server.url)
    windows: list[QWidget] = []
    try:
        dialog = SignInDialog(leader.auth, settings)
        windows.append(dialog)
        dialog.password.setText("demo-password")
        dialog.show()
        await settle()
        save(dialog, out_dir, SCREENS[0], written)
        dialog.close()

        window = await signed_in_window(leader, server, Role.TEAM_LEADER)
        windows.append(window)
        await _prepare_conflicts(leader, other, server)
        window.show_screen(DASHBOARD)
        await until(window.dashboard.sig_loaded, window.dashboard.refresh)
        await settle()
        save(window, out_dir, SCREENS[1], written)

        rows = window.dashboard.team_model
        chosen = rows.agent_row(min(2, rows.rowCount() - 1)).agent
        await until(
            window.scorecard.sig_loaded, lambda: window.open_scorecard(chosen.id, window.dashboard.period())
        )
        await settle()
        save(window, out_dir, SCREENS[2], written)

        window.show_screen(SESSIONS)
        now = utcnow()
        upcoming = upcoming_scheduled(await leader.sessions.list_range(now, now + timedelta(days=60)), now)
        week = upcoming[0].starts_at.astimezone().date() if upcoming else now.date()
        await until(window.sessions.sig_loaded, lambda: window.sessions.show_week(week))
        window.sessions.tabs.setCurrentIndex(WEEK_TAB)
        await settle()
        save(window, out_dir, SCREENS[3], written)
        window.sessions.tabs.setCurrentIndex(LIST_TAB)
        await settle()
        save(window, out_dir, SCREENS[4], written)
        window.sessions.tabs.setCurrentIndex(WEEK_TAB)

        await _book_onto_taken_slot(window, out_dir, written)
        await _narrow_window(window, out_dir, written)

        window.show_screen(CONFLICTS)
        await until(window.conflicts.sig_loaded, window.conflicts.refresh)
        items = window.conflicts.model.items()
        booking = next((i for i in items if i.kind == "booking"), None)
        merge = next((i for i in items if i.kind == "merge"), None)
        if booking is not None:
            window.conflicts.table.select_id(booking.id)
            window.conflicts.show_item(booking)
        await settle()
        save(window, out_dir, SCREENS[6], written)
        if merge is not None:
            window.conflicts.table.select_id(merge.id)
            window.conflicts.show_item(merge)
            for name in window.conflicts.field_panels:
                window.conflicts.merge_choice(name, "edit")  # the editor, filled with "mine"
        await settle()
        save(window, out_dir, SCREENS[7], written)

        boss = await signed_in_window(manager, server, Role.MANAGER)
        windows.append(boss)
        await settle()
        save(boss, out_dir, SCREENS[8], written)
        first_team = boss.dashboard.overview_model.team_overview(0).team.id
        await until(boss.dashboard.sig_loaded, lambda: boss.dashboard.open_team(first_team))
        await settle()
        save(boss, out_dir, SCREENS[9], written)

        await _sign_in_without_keychain(server, work_dir, settings, out_dir, written)
        await _offline_start(server, work_dir, out_dir, written)
    finally:
        for open_window in windows:
            open_window.close()
        await other.aclose()
        await leader.aclose()
        await manager.aclose()
        # Deleted here, on the GUI thread, while the app lives: not by a garbage collection that
        # may run on the server's thread as the process ends.
        for open_window in windows:
            shiboken6.delete(open_window)
        leader.delete_qobjects()
        manager.delete_qobjects()
    return written


async def _prepare_conflicts(services: Services, other: ApiClient, server: EmbeddedServer) -> None:
    """One parked booking clash and one edit conflict, made through the real client paths."""
    login = server.login(Role.TEAM_LEADER)
    await other.login(login.email, login.password)
    now = utcnow()
    sessions = await services.sessions.list_range(now, now + timedelta(days=60))
    upcoming = upcoming_scheduled(sessions, now)
    if len(upcoming) < 2:
        return
    await push_offline_clash(other, upcoming[0])
    await edit_on_both_sides(services, other, upcoming[-1])
    await services.sync.sync_now()


async def _book_onto_taken_slot(window: MainWindow, out_dir: Path, written: list[Path]) -> None:
    view = window.sessions
    now = utcnow()
    taken = upcoming_scheduled(view.model.sessions(), now)
    if not taken:
        return
    target = taken[0]
    dialog = view.open_book_dialog(starts_at=target.starts_at, agent_id=target.agent_id)
    dialog.topic.setText("CSAT follow-up")
    await until(dialog.sig_clash_shown, dialog.submit)
    await settle()
    save_with_dialog(window, dialog, out_dir, SCREENS[5], written)
    dialog.close()


async def _narrow_window(window: MainWindow, out_dir: Path, written: list[Path]) -> None:
    """The dashboard on a small laptop screen: the window keeps that size, the screen scrolls."""
    window.resize(*NARROW_SIZE)
    window.show_screen(DASHBOARD)
    await settle()
    save(window, out_dir, SCREENS[10], written)
    window.resize(*WINDOW_SIZE)


@contextmanager
def without_keychain() -> Iterator[None]:
    """As on a machine with no system keychain: keyring's fail backend."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


async def _sign_in_without_keychain(
    server: EmbeddedServer, work_dir: Path, settings: QSettings, out_dir: Path, written: list[Path]
) -> None:
    services = build_services(server.url, work_dir / "no-keychain-cache", KeyringStore())
    dialog: SignInDialog | None = None
    try:
        with without_keychain():
            dialog = SignInDialog(services.auth, settings)
            dialog.password.setText("demo-password")
            dialog.plain_file.setChecked(True)
            dialog.show()
            await settle()
            save(dialog, out_dir, SCREENS[11], written)
            dialog.close()
    finally:
        await services.aclose()
        if dialog is not None:
            shiboken6.delete(dialog)  # on the GUI thread, as render_all does with its windows
        services.delete_qobjects()


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("the server is out of reach", request=request)


async def _offline_start(server: EmbeddedServer, work_dir: Path, out_dir: Path, written: list[Path]) -> None:
    """A start with a remembered sign-in and no server: the team leader's cache, as last synced."""
    login = server.login(Role.TEAM_LEADER)
    remembered = MemoryStore()
    remembered.save(server.url, login.email, "a-remembered-refresh-token")
    offline = build_services(
        server.url, work_dir / "leader-cache", remembered, transport=httpx.MockTransport(_unreachable)
    )
    window: MainWindow | None = None
    try:
        me = await offline.auth.restore_session(server.url)
        if me is None:
            raise RuntimeError("the remembered sign-in did not open the cache")
        window = MainWindow(offline, me)
        window.resize(*WINDOW_SIZE)
        window.show()
        with suppress(ServiceError):
            await offline.sync.sync_now()  # fails: the status bar says offline
        await until(window.dashboard.sig_loaded, window.start)
        await settle()
        save(window, out_dir, SCREENS[12], written)
        window.close()
    finally:
        await offline.aclose()
        if window is not None:
            shiboken6.delete(window)
        offline.delete_qobjects()


# The offscreen platform cannot size real windows and says so for every top-level widget shown.
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"


def _quiet_offscreen_noise(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if message != OFFSCREEN_NOISE:
        print(message, file=sys.stderr)


def render_screenshots(out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """Start the demo server, render every screen to ``out_dir``, stop; returns the PNG paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coachhub-shots-") as scratch:
        work_dir = Path(scratch)
        server = EmbeddedServer(data_dir or work_dir / "server").start()
        try:
            app = create_application()
            previous_handler = qInstallMessageHandler(_quiet_offscreen_noise)
            app.setQuitOnLastWindowClosed(False)  # windows open and close while rendering
            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                written: list[Path] = loop.run_until_complete(render_all(server, work_dir, out_dir))
            asyncio.set_event_loop(None)
            qInstallMessageHandler(previous_handler)
        finally:
            server.stop()
    return written
