"""A manager's teams side by side for one period."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.models import palette
from desktop.models.formatting import format_score, score_status
from desktop.models.roles import ID_ROLE, OBJECT_ROLE, SORT_ROLE, STATUS_ROLE
from shared.analytics import ManagerDashboard, TeamOverview

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Team", "Team leader", "Agents", "Average score", "Lowest", "Highest", "Below target")
_SCORE_COLUMNS = {3: "avg_score", 4: "min_score", 5: "max_score"}
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class ManagerOverviewModel(QAbstractTableModel):
    """One row per team; ``ID_ROLE`` gives the team id to drill down into."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._teams: list[TeamOverview] = []
        self._dashboard: ManagerDashboard | None = None

    def set_dashboard(self, dashboard: ManagerDashboard | None) -> None:
        self.beginResetModel()
        self._dashboard = dashboard
        self._teams = list(dashboard.teams) if dashboard else []
        self.endResetModel()

    @property
    def dashboard(self) -> ManagerDashboard | None:
        return self._dashboard

    def team_overview(self, row: int) -> TeamOverview:
        return self._teams[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._teams)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._teams):
            return None
        team = self._teams[index.row()]
        column = index.column()
        if role == ID_ROLE:
            return team.team.id
        if role == OBJECT_ROLE:
            return team
        if column in _SCORE_COLUMNS:
            return self._score(getattr(team, _SCORE_COLUMNS[column]), role)
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            value = self._plain(team, column)
            if role == SORT_ROLE:
                return value.casefold() if isinstance(value, str) else value
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return _RIGHT
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
        status = score_status(score)
        if role == Qt.ItemDataRole.DisplayRole:
            return format_score(score)
        if role == SORT_ROLE:
            return float("-inf") if score is None else score
        if role == STATUS_ROLE:
            return status
        if role == Qt.ItemDataRole.BackgroundRole and status:
            return palette.BACKGROUND[status]
        if role == Qt.ItemDataRole.ForegroundRole:
            return palette.FOREGROUND[status] if status else palette.MUTED
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        return None
