"""Dashboard: the team table (agents by KPIs) and, for managers, the teams overview with drill-down."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models import ManagerOverviewModel, TeamDashboardModel
from desktop.models.formatting import format_score, score_status
from desktop.models.roles import ID_ROLE
from desktop.services import Dashboards, Entity
from desktop.ui.tables import DataTable
from desktop.ui.view_base import ScreenView
from desktop.ui.widgets import (
    NO_FIGURES,
    PeriodPicker,
    StatCard,
    as_of_text,
    empty_state,
    named,
    period_label,
    show_figures,
)
from shared.analytics import ManagerDashboard, TeamDashboard
from shared.auth import Me, Role

TEAM_PAGE, OVERVIEW_PAGE = range(2)
LEGEND = (
    "<span style='color:#17643a'>■</span> on target &nbsp; "
    "<span style='color:#8a5300'>■</span> within 5 % &nbsp; "
    "<span style='color:#a4251a'>■</span> below target &nbsp; · &nbsp; double-click an agent "
    "for the scorecard"
)


class DashboardView(ScreenView):
    """``sig_open_scorecard(agent_id, period)`` when the user opens an agent."""

    sig_open_scorecard = Signal(str, str)
    watches = frozenset({Entity.METRICS, Entity.DIRECTORY})

    def __init__(self, dashboards: Dashboards, me: Me, parent: QWidget | None = None) -> None:
        super().__init__("Team dashboard", parent)
        self._dashboards = dashboards
        self._me = me
        self.is_manager = me.role in (Role.MANAGER, Role.ADMIN)
        self._team_sorted = False
        self.team_id: str | None = None  # None: the leader's own team, or the overview for managers

        self.period_picker = PeriodPicker()
        self.period_picker.sig_period_changed.connect(lambda _p: self.refresh())
        self.back_button = QPushButton("← All teams")
        self.back_button.clicked.connect(self.show_overview)
        self.back_button.setVisible(False)
        self.header.controls.addWidget(self.back_button)
        self.header.controls.addWidget(QLabel("Month"))
        self.header.controls.addWidget(self.period_picker)

        self.avg_card = StatCard("Team average score")
        self.below_card = StatCard("Agents below target")
        self.count_card = StatCard("Agents")
        cards = QHBoxLayout()
        cards.setSpacing(12)
        for card in (self.avg_card, self.below_card, self.count_card):
            cards.addWidget(card)
        cards.addStretch(1)
        self.body.addLayout(cards)

        self.team_model = TeamDashboardModel(self)
        self.team_table = DataTable(self.team_model)
        self.team_table.doubleClicked.connect(self._open_agent)
        self.overview_model = ManagerOverviewModel(self)
        self.overview_table = DataTable(self.overview_model)
        self.overview_table.doubleClicked.connect(self._open_team)
        self.overview_table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        for table in (self.team_table, self.overview_table):
            # Each column as wide as its content: a short name column leaves the room to the figures.
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

        self.legend = named(QLabel(LEGEND), "muted")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.team_empty = empty_state()
        team_page = QWidget()
        team_layout = QVBoxLayout(team_page)
        team_layout.setContentsMargins(0, 0, 0, 0)
        team_layout.addWidget(self.team_table, 1)
        team_layout.addWidget(self.team_empty, 1)
        team_layout.addWidget(self.legend)
        overview_page = QWidget()
        overview_layout = QVBoxLayout(overview_page)
        overview_layout.setContentsMargins(0, 0, 0, 0)
        self.overview_empty = empty_state()
        overview_layout.addWidget(self.overview_table, 1)
        overview_layout.addWidget(self.overview_empty, 1)
        overview_layout.addWidget(named(QLabel("Double-click a team to open its dashboard."), "muted"))
        self.pages = QStackedWidget()
        self.pages.addWidget(team_page)
        self.pages.addWidget(overview_page)
        self.body.addWidget(self.pages, 1)
        if self.is_manager:
            self.header.title.setText("Teams overview")
            self.pages.setCurrentIndex(OVERVIEW_PAGE)

    # -- navigation ----------------------------------------------------------------------------
    def period(self) -> str:
        return self.period_picker.period()

    def show_overview(self) -> None:
        self.team_id = None
        self.back_button.setVisible(False)
        self.header.title.setText("Teams overview")
        self.pages.setCurrentIndex(OVERVIEW_PAGE)
        self.refresh()

    def open_team(self, team_id: str) -> None:
        """Drill down from the overview into one team."""
        self.team_id = team_id
        self.back_button.setVisible(self.is_manager)
        self.header.title.setText("Team dashboard")
        self.pages.setCurrentIndex(TEAM_PAGE)
        self.refresh()

    def _open_team(self, index: QModelIndex) -> None:
        team_id = index.data(ID_ROLE)
        if team_id:
            self.open_team(team_id)

    def _open_agent(self, index: QModelIndex) -> None:
        agent_id = index.data(ID_ROLE)
        if agent_id:
            self.sig_open_scorecard.emit(agent_id, self.period())

    def showing_overview(self) -> bool:
        return self.is_manager and self.team_id is None

    # -- loading -------------------------------------------------------------------------------
    async def load(self, is_current: Callable[[], bool]) -> None:
        period = self.period()
        if self.showing_overview():
            manager = await self._dashboards.manager_dashboard(period)
            if is_current():
                self.show_manager_dashboard(manager)
            return
        team = await self._dashboards.team_dashboard(period, team_id=self.team_id)
        if is_current():
            self.show_team_dashboard(team)

    def show_team_dashboard(self, dashboard: TeamDashboard) -> None:
        self.banner.hide()
        self.team_model.set_dashboard(dashboard)
        if not self._team_sorted:
            self.team_table.sortByColumn(self.team_model.score_column, Qt.SortOrder.DescendingOrder)
            self._team_sorted = True
        self.header.subtitle.setText(
            f"{dashboard.team.name} · {period_label(dashboard.period)} · {as_of_text(dashboard)}"
        )
        figures = any(
            row.score is not None or any(value is not None for value in row.metrics.values())
            for row in dashboard.agents
        )
        show_figures(self.team_table, self.team_empty, figures)
        self.legend.setVisible(figures)
        self.count_card.show_value(str(len(dashboard.agents)), None, dashboard.team.name)
        if not figures:
            self._no_figures()
            return
        summary = dashboard.summary
        self.avg_card.show_value(
            format_score(summary.avg_score), score_status(summary.avg_score), "100 = on target"
        )
        self.below_card.show_value(
            str(summary.below_target_count),
            "bad" if summary.below_target_count else "good",
            "score under 100",
        )

    def _no_figures(self) -> None:
        """A month nobody has figures for: nothing to average, nobody known to be below target."""
        self.avg_card.show_value("—", None, NO_FIGURES)
        self.below_card.show_value("—", None, NO_FIGURES)

    def show_manager_dashboard(self, dashboard: ManagerDashboard) -> None:
        self.banner.hide()
        self.overview_model.set_dashboard(dashboard)
        self.header.subtitle.setText(
            f"{len(dashboard.teams)} teams · {period_label(dashboard.period)} · {as_of_text(dashboard)}"
        )
        scores = [t.avg_score for t in dashboard.teams if t.avg_score is not None]
        average = round(sum(scores) / len(scores), 1) if scores else None
        below = sum(t.below_target_count for t in dashboard.teams)
        agents = sum(t.agent_count for t in dashboard.teams)
        show_figures(self.overview_table, self.overview_empty, bool(scores))
        self.count_card.show_value(str(agents), None, f"in {len(dashboard.teams)} teams")
        if not scores:
            self._no_figures()
            return
        self.avg_card.show_value(format_score(average), score_status(average), "mean of team averages")
        self.below_card.show_value(str(below), "bad" if below else "good", "across all teams")
