"""A manager's teams side by side for one period."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desktop.models import palette
from desktop.models.base import RIGHT, RowTableModel, judged_cell
from desktop.models.formatting import format_score, score_status
from desktop.models.roles import SORT_ROLE
from shared.analytics import ManagerDashboard, TeamOverview

COLUMNS = ("Team", "Team leader", "Agents", "Average score", "Lowest", "Highest", "Below target")
_SCORE_COLUMNS = {3: "avg_score", 4: "min_score", 5: "max_score"}


class ManagerOverviewModel(RowTableModel[TeamOverview]):
    """One row per team; ``ID_ROLE`` gives the team id to drill down into."""

    columns = COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._dashboard: ManagerDashboard | None = None

    def set_dashboard(self, dashboard: ManagerDashboard | None) -> None:
        with self.resetting():
            self._dashboard = dashboard
            self._rows = list(dashboard.teams) if dashboard else []

    @property
    def dashboard(self) -> ManagerDashboard | None:
        return self._dashboard

    def team_overview(self, row: int) -> TeamOverview:
        return self.row_at(row)

    def row_id(self, row: TeamOverview) -> str:
        return row.team.id

    def cell_data(self, team: TeamOverview, column: int, role: int) -> Any:
        if column in _SCORE_COLUMNS:
            return self._score(getattr(team, _SCORE_COLUMNS[column]), role)
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            value = self._plain(team, column)
            if role == SORT_ROLE:
                return value.casefold() if isinstance(value, str) else value
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            return palette.FOREGROUND["bad"] if team.below_target_count else palette.MUTED
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return "Double-click to open this team's dashboard"
        return None

    @staticmethod
    def _plain(team: TeamOverview, column: int) -> str | int:
        if column == 0:
            return team.team.name
        if column == 1:
            return team.leader.name if team.leader else "—"
        if column == 2:
            return team.agent_count
        return team.below_target_count

    @staticmethod
    def _score(score: float | None, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return format_score(score)
        if role == SORT_ROLE:
            return float("-inf") if score is None else score
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        return judged_cell(score_status(score), role)
