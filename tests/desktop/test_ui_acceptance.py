"""The real widgets against the real server in-process: sign in, dashboard, scorecard, booking with
a 409 and a picked suggestion; then offline from the same cache dir, with the server's scores."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from desktop.app import DesktopApp
from desktop.credentials import MemoryStore
from desktop.models.formatting import format_score
from desktop.net import ApiClient
from desktop.services import Services, is_offline
from desktop.settings import DesktopSettings
from desktop.storage import LocalCache
from desktop.ui.book_dialog import BookSessionDialog
from desktop.ui.main_window import SCORECARD, SESSIONS, MainWindow
from desktop.ui.sign_in import SignInDialog
from shared.auth import Me, Role
from shared.sessions import SessionStatus
from shared.types import utcnow
from tests.desktop.conftest import InProcessServer, Run, SwitchableTransport, settled

TIMEOUT_MS = 15_000


@contextmanager
def loop_turning(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Let qtbot's waits drive the qasync loop: async slots run while Qt processes events."""
    asyncio.events._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(None)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def sign_in_through_dialog(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    services: Services,
    settings: QSettings,
    server: InProcessServer,
    role: Role = Role.TEAM_LEADER,
    remember: bool = False,
) -> Me:
    login = server.login(role)
    dialog = SignInDialog(services.auth, settings)
    qtbot.addWidget(dialog)
    dialog.server_url.setText(server.base_url)
    dialog.email.setText(login.email)
    dialog.password.setText(login.password)
    dialog.remember.setChecked(remember)
    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_signed_in, timeout=TIMEOUT_MS) as signed_in:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    me: Me = signed_in.args[0]
    assert DesktopSettings(settings).server_url() == server.base_url
    return me


def shown_agent(window: MainWindow) -> str | None:
    card = window.scorecard.model.scorecard
    return card.agent.id if card is not None else None


def open_window(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, services: Services, me: Me) -> MainWindow:
    window = MainWindow(services, me)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with loop_turning(qloop):
        with qtbot.waitSignal(services.sync.sig_changed, timeout=TIMEOUT_MS):
            window.sync_now()
        with qtbot.waitSignal(window.dashboard.sig_loaded, timeout=TIMEOUT_MS):
            window.start()
        qtbot.waitUntil(lambda: window.scorecard.agent_picker.count() > 0, timeout=TIMEOUT_MS)
    return window


def test_sign_in_dashboard_scorecard_and_booking_with_a_clash(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    services: Services,
    server: InProcessServer,
    settings: QSettings,
) -> None:
    me = sign_in_through_dialog(qtbot, qloop, services, settings, server)
    assert me.role is Role.TEAM_LEADER
    window = open_window(qtbot, qloop, services, me)

    # Dashboard: the team's agents, coloured, sorted by score.
    team = window.dashboard.team_model
    assert team.rowCount() > 0
    assert window.dashboard.team_table.proxy.rowCount() == team.rowCount()
    assert "Online" in window.status.connection.text()

    # Scorecard: a double-click on an agent opens it.
    table = window.dashboard.team_table
    first = table.proxy.index(0, 0)
    agent_id = first.data(Qt.ItemDataRole.UserRole + 2)
    centre = table.visualRect(first).center()
    with loop_turning(qloop):
        with qtbot.waitSignal(window.dashboard.sig_open_scorecard, timeout=TIMEOUT_MS):
            qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
            qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.waitUntil(lambda: shown_agent(window) == agent_id, timeout=TIMEOUT_MS)
    assert window.screens.currentIndex() == SCORECARD
    card = window.scorecard.model.scorecard
    assert card is not None
    assert window.scorecard.score_card.value.text() == format_score(card.score)
    assert window.scorecard.model.rowCount() == len(card.kpis) > 0
    assert len(window.scorecard.chart.points) == len(card.history) == 12

    # Sessions: book onto a taken slot, see the clash, pick a suggested slot.
    now = utcnow()
    with loop_turning(qloop):
        qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
        assert window.screens.currentIndex() == SESSIONS
        taken = None
        for weeks in range(0, 5):
            with qtbot.waitSignal(window.sessions.sig_loaded, timeout=TIMEOUT_MS):
                window.sessions.show_week((now + timedelta(weeks=weeks)).date())
            upcoming = [
                s
                for s in window.sessions.model.sessions()
                if s.status == SessionStatus.SCHEDULED and s.starts_at > now
            ]
            if upcoming:
                taken = upcoming[0]
                break
        assert taken is not None, "the demo data has upcoming sessions"
        with qtbot.waitSignal(window.sessions.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        dialog: BookSessionDialog = opened.args[0]
        qtbot.addWidget(dialog)
        dialog.agent.setCurrentIndex(dialog.agent.findData(taken.agent_id))
        dialog.set_start(taken.starts_at)
        dialog.topic.setText("CSAT follow-up")
        with qtbot.waitSignal(dialog.sig_clash_shown, timeout=TIMEOUT_MS):
            qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        assert dialog.clash.isVisible()
        assert taken.topic in dialog.clash_text.text()
        assert dialog.suggestion_buttons, "a 409 offers free slots"
        with qtbot.waitSignal(dialog.sig_booked, timeout=TIMEOUT_MS) as booked:
            qtbot.mouseClick(dialog.suggestion_buttons[0], Qt.MouseButton.LeftButton)
        session = booked.args[0]
        assert session.topic == "CSAT follow-up"
        assert session.agent_id == taken.agent_id
        assert not (session.starts_at < taken.ends_at and taken.starts_at < session.ends_at)
        qtbot.waitUntil(lambda: window.sessions.model.row_of(session.id) >= 0, timeout=TIMEOUT_MS)
    assert not dialog.isVisible()
    run(settled())  # the other screens' reloads after the booking


def test_offline_restart_shows_cached_scores_equal_to_the_servers(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    services: Services,
    server: InProcessServer,
    network: SwitchableTransport,
    credentials: MemoryStore,
    cache_dir: Path,
    settings: QSettings,
) -> None:
    login = server.login(Role.TEAM_LEADER)
    run(services.auth.sign_in(server.base_url, login.email, login.password, remember=True))
    run(services.sync.sync_now())
    period = f"{utcnow():%Y-%m}"
    online_dashboard = run(services.dashboards.team_dashboard(period))
    agent_id = online_dashboard.agents[0].agent.id
    online_scorecard = run(services.dashboards.scorecard(agent_id, period))
    run(services.auth.wait_for_saves())

    # The server goes away; the app starts again from the same cache dir.
    network.online = False
    restarted = Services.build(
        ApiClient(server.base_url, transport=network), LocalCache.in_dir(cache_dir), credentials
    )
    app = DesktopApp(restarted, settings, sync_interval_s=3600, live_updates=False)
    try:
        run(app.start(server.base_url))
        window = app.window
        assert window is not None, "the remembered sign-in opens the app offline"
        qtbot.addWidget(window)
        with loop_turning(qloop):
            qtbot.waitUntil(lambda: window.dashboard.team_model.rowCount() > 0, timeout=TIMEOUT_MS)
            qtbot.waitUntil(lambda: "Offline" in window.status.connection.text(), timeout=TIMEOUT_MS)
        cached = window.dashboard.team_model.dashboard
        assert cached is not None and is_offline(cached)
        assert {row.agent.id: row.score for row in cached.agents} == {
            row.agent.id: row.score for row in online_dashboard.agents
        }
        assert cached.summary == online_dashboard.summary
        assert "offline" in window.dashboard.header.subtitle.text()
        # The pickers' agents come from the cached directory.
        online_names = sorted(row.agent.name for row in online_dashboard.agents)
        with loop_turning(qloop):
            qtbot.waitUntil(
                lambda: window.scorecard.agent_picker.count() == len(online_names), timeout=TIMEOUT_MS
            )
        picker = window.scorecard.agent_picker
        assert sorted(picker.itemText(i) for i in range(picker.count())) == online_names
        assert sorted(window.sessions.agent_names().values()) == online_names

        with loop_turning(qloop):
            window.open_scorecard(agent_id, period)
            qtbot.waitUntil(lambda: shown_agent(window) == agent_id, timeout=TIMEOUT_MS)
        card = window.scorecard.model.scorecard
        assert card is not None and is_offline(card)
        assert card.score == online_scorecard.score
        assert card.year_avg_score == online_scorecard.year_avg_score
        assert [p.score for p in card.history] == [p.score for p in online_scorecard.history]
        assert [(k.code, k.value, k.delta) for k in card.kpis] == [
            (k.code, k.value, k.delta) for k in online_scorecard.kpis
        ]
        assert "Saved data" in window.status.as_of.text()
    finally:
        if app.window is not None:
            app.window.close()
        run(restarted.aclose())


def test_an_expired_sign_in_asks_to_sign_in_again(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    services: Services,
    server: InProcessServer,
    network: SwitchableTransport,
    settings: QSettings,
) -> None:
    login = server.login(Role.TEAM_LEADER)
    DesktopSettings(settings).set_email(login.email)
    me = run(services.auth.sign_in(server.base_url, login.email, login.password, remember=False))
    app = DesktopApp(services, settings, sync_interval_s=3600, live_updates=False)
    window = app.open_main_window(me)  # closed and deleted by the app when the sign-in expires
    run(settled())
    # The login ends elsewhere (its refresh token is used by someone else: theft detection), and
    # the access token runs out.
    stale = ApiClient(server.base_url, transport=network)
    run(stale.refresh(services.api.refresh_token))
    run(stale.aclose())
    services.api.set_tokens("expired", services.api.refresh_token)

    with loop_turning(qloop):
        window.sync_now()
        qtbot.waitUntil(
            lambda: app.sign_in_dialog is not None and app.sign_in_dialog.isVisible(), timeout=TIMEOUT_MS
        )
    dialog = app.sign_in_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert "expired" in dialog.banner.text.text()
    assert dialog.email.text() == login.email
    run(settled())
    assert app.window is None
    assert not shiboken6.isValid(window) or not window.isVisible()


def test_a_sync_the_server_refuses_says_why_on_the_screen_in_view(
    qtbot: QtBot, run: Run[Any], leader_services: Services
) -> None:
    me = leader_services.auth.me
    assert me is not None
    window = MainWindow(leader_services, me)
    qtbot.addWidget(window)
    window.show_screen(SESSIONS)
    leader_services.sync.sig_sync_failed.emit("Too many requests: wait a minute.")
    assert window.sessions.banner.isVisibleTo(window)
    assert window.sessions.banner.text.text() == "Too many requests: wait a minute."
    run(settled())
