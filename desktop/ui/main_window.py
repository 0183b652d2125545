"""The main window: navigation, the four screens, the status bar and the keyboard shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services import AppServices, Changes, Entity, ServiceError
from desktop.ui.about_dialog import AboutDialog
from desktop.ui.async_slot import async_slot
from desktop.ui.conflicts_view import ConflictsView
from desktop.ui.dashboard_view import DashboardView
from desktop.ui.fitting import scrolled
from desktop.ui.scorecard_view import ScorecardView
from desktop.ui.sessions_view import SessionsView
from desktop.ui.status_bar import SyncStatusBar
from desktop.ui.view_base import ScreenView
from desktop.ui.widgets import error_text, named
from shared.auth import Me
from shared.directory import Agent

DASHBOARD, SCORECARD, SESSIONS, CONFLICTS = range(4)
SCREEN_NAMES = ("Dashboard", "Scorecard", "Sessions", "Conflicts")
ROLE_NAMES = {"team_leader": "Team leader", "manager": "Manager", "admin": "Administrator", "agent": "Agent"}


class MainWindow(QMainWindow):
    """Built from the app's services and the signed-in user; no globals.

    Passes each change notice to every screen (each decides whether it concerns it) and reloads
    the pickers' directory when it changed.
    """

    sig_sign_out_requested = Signal()
    sig_directory_loaded = Signal()  # the pickers hold the agents in scope

    def __init__(self, services: AppServices, me: Me, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.me = me
        self._directory_generation = 0
        self.setWindowTitle("Coaching Hub")
        self.resize(1280, 800)

        self.dashboard = DashboardView(services.dashboards, me)
        self.scorecard = ScorecardView(services.dashboards)
        self.sessions = SessionsView(services.sessions)
        self.conflicts = ConflictsView(services.conflicts)
        self.screens = QStackedWidget()
        for view in self.screen_views():
            self.screens.addWidget(scrolled(view))

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._sidebar())
        layout.addWidget(self.screens, 1)
        self.setCentralWidget(central)
        self.status = SyncStatusBar()
        self.setStatusBar(self.status)

        self.about_dialog: AboutDialog | None = None
        self.about_action = self.menuBar().addMenu("&Help").addAction("&About Coaching Hub")
        self.about_action.triggered.connect(self.show_about)

        self._connect()
        self._shortcuts()
        self.status.show_status(services.sync.status)
        self.set_conflict_count(services.conflicts.count)
        self.show_screen(DASHBOARD)

    # -- layout --------------------------------------------------------------------------------
    def _sidebar(self) -> QFrame:
        sidebar = named(QFrame(), "sidebar")
        sidebar.setFixedWidth(210)
        self.nav = named(QListWidget(), "nav")
        for index, name in enumerate(SCREEN_NAMES):
            self.nav.addItem(name)
            self.nav.item(index).setToolTip(f"Ctrl+{index + 1}")
        self.nav.currentRowChanged.connect(self._nav_changed)
        role = ROLE_NAMES.get(self.me.role.value, self.me.role.value)
        user = named(QLabel(f"{self.me.name}\n{role}"), "userLabel")
        user.setWordWrap(True)
        self.sync_button = QPushButton("Sync now (F5)")
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.clicked.connect(self.sig_sign_out_requested.emit)
        layout = QVBoxLayout(sidebar)
        layout.setContentsMargins(12, 16, 12, 14)
        layout.addWidget(named(QLabel("Coaching Hub"), "brand"))
        layout.addWidget(self.nav, 1)
        layout.addWidget(user)
        layout.addWidget(self.sync_button)
        layout.addWidget(self.sign_out_button)
        return sidebar

    def _connect(self) -> None:
        services = self.services
        self.sync_button.clicked.connect(lambda: self.sync_now())
        services.sync.sig_status.connect(self.status.show_status)
        services.sync.sig_changed.connect(self.on_changes)
        services.sync.sig_sync_failed.connect(self.show_sync_failure)
        services.conflicts.sig_count.connect(self.set_conflict_count)
        self.dashboard.sig_open_scorecard.connect(self.open_scorecard)
        self.dashboard.sig_loaded.connect(self._dashboard_loaded)
        self.scorecard.sig_loaded.connect(lambda: self.status.show_answer(self.scorecard.model.scorecard))

    def _shortcuts(self) -> None:
        bindings = {
            **{f"Ctrl+{index + 1}": (lambda i=index: self.show_screen(i)) for index in range(4)},
            "F5": lambda: self.sync_now(),
            "Ctrl+R": lambda: self.sync_now(),
            "Ctrl+N": self.book_session,
            "Ctrl+P": lambda: (
                self.scorecard.export_pdf() if self.screens.currentIndex() == SCORECARD else None
            ),
            "Ctrl+E": lambda: (
                self.scorecard.export_csv() if self.screens.currentIndex() == SCORECARD else None
            ),
            "Ctrl+Q": self.close,
        }
        self._shortcut_objects = []
        for keys, action in bindings.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
            shortcut.activated.connect(action)
            self._shortcut_objects.append(shortcut)

    # -- navigation ----------------------------------------------------------------------------
    def show_screen(self, index: int) -> None:
        if self.nav.currentRow() != index:
            self.nav.setCurrentRow(index)
        else:
            self._nav_changed(index)

    def _nav_changed(self, index: int) -> None:
        if index < 0:
            return
        self.screens.setCurrentIndex(index)

    def open_scorecard(self, agent_id: str, period: str) -> None:
        self.show_screen(SCORECARD)
        self.scorecard.open_agent(agent_id, period)

    def book_session(self) -> None:
        self.show_screen(SESSIONS)
        self.sessions.open_book_dialog()

    def show_about(self) -> AboutDialog:
        auth = self.services.auth
        self.about_dialog = AboutDialog(auth.server_url, auth.server_version, self)
        self.about_dialog.open()
        return self.about_dialog

    def set_conflict_count(self, count: int) -> None:
        item = self.nav.item(CONFLICTS)
        item.setText(f"Conflicts  ({count})" if count else "Conflicts")
        item.setForeground(Qt.GlobalColor.yellow if count else Qt.GlobalColor.white)

    # -- data ----------------------------------------------------------------------------------
    def screen_views(self) -> tuple[ScreenView, ...]:
        return (self.dashboard, self.scorecard, self.sessions, self.conflicts)

    def start(self) -> None:
        """First load of every screen, of the directory that the pickers need, and of the badge."""
        for view in self.screen_views():
            view.refresh()
        self.load_directory()
        self.count_conflicts()

    def on_changes(self, changes: Changes) -> None:
        """The one reaction to the app-wide change notice: each screen decides for itself."""
        for view in self.screen_views():
            view.on_changes(changes)
        if changes.concerns((Entity.DIRECTORY,)):
            self.load_directory()

    @async_slot()
    async def count_conflicts(self) -> None:
        """The badge as the conflict service counts it (it answers on ``sig_count``)."""
        try:
            await self.services.conflicts.refresh_count()
        except ServiceError as error:
            self.dashboard.banner.show_message(error.detail, "error")

    @async_slot()
    async def load_directory(self) -> None:
        """Agents and KPI definitions for the pickers: one request each, however many teams."""
        self._directory_generation += 1
        generation = self._directory_generation
        directory = self.services.directory
        try:
            agents = await directory.agents()
            kpis = await directory.kpis()
        except ServiceError as error:
            if generation == self._directory_generation:
                self.dashboard.banner.show_message(error.detail, "error")
            return
        if generation != self._directory_generation:
            return  # a newer load is on its way
        self.scorecard.set_kpi_definitions(kpis)
        self.set_agents(agents)
        self.sig_directory_loaded.emit()

    def set_agents(self, agents: list[Agent]) -> None:
        """Active agents go to the scorecard picker; sessions and conflicts need every name."""
        active = [agent for agent in agents if agent.active]
        had_agent = self.scorecard.agent_id() is not None
        self.scorecard.set_agents(active)
        self.sessions.set_agents(agents)
        self.conflicts.set_agent_names({agent.id: agent.name for agent in agents})
        if not had_agent and active:
            self.scorecard.refresh()

    def _dashboard_loaded(self) -> None:
        if self.dashboard.showing_overview():
            self.status.show_answer(self.dashboard.overview_model.dashboard)
        else:
            self.status.show_answer(self.dashboard.team_model.dashboard)

    def show_sync_failure(self, text: str) -> None:
        """A sync the server refused (not merely unreachable): say why where the user is looking."""
        index = self.screens.currentIndex()
        view = self.screen_views()[index] if index >= 0 else self.dashboard
        view.banner.show_message(text, "warning")

    @async_slot()
    async def sync_now(self) -> None:
        try:
            await self.services.sync.sync_now()
        except Exception as error:  # noqa: BLE001
            self.dashboard.banner.show_message(error_text(error), "warning")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.services.sync.stop()
        super().closeEvent(event)
