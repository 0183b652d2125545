"""Agents by KPIs of one team for one period, coloured against each KPI's target."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from desktop.models import palette
from desktop.models.formatting import (
    format_score,
    format_trend,
    format_value,
    score_status,
    target_status,
)
from desktop.models.roles import ID_ROLE, OBJECT_ROLE, SORT_ROLE, STATUS_ROLE
from shared.analytics import AgentRow, TeamDashboard
from shared.directory import Kpi
from shared.scoring import KpiRule

Index = QModelIndex | QPersistentModelIndex

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTRE = int(Qt.AlignmentFlag.AlignCenter)


def short_kpi_name(kpi: Kpi) -> str:
    """Column headers stay narrow: long names become their code (AHT, CSAT, FCR…)."""
    if len(kpi.name) <= 12:
        return kpi.name
    return kpi.code.upper() if len(kpi.code) <= 4 else kpi.code.capitalize()


def kpi_rule(kpi: Kpi) -> KpiRule:
    return KpiRule(kpi.code, kpi.target, kpi.weight, kpi.higher_is_better)


class TeamDashboardModel(QAbstractTableModel):
    """Columns: agent, one per KPI, score, trend. Sort through a proxy on ``SORT_ROLE``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._dashboard: TeamDashboard | None = None
        self._rows: list[AgentRow] = []
        self._kpis: list[Kpi] = []

    # -- feeding ---------------------------------------------------------------------------
    def set_dashboard(self, dashboard: TeamDashboard | None) -> None:
        self.beginResetModel()
        self._dashboard = dashboard
        self._rows = list(dashboard.agents) if dashboard else []
        self._kpis = list(dashboard.kpis) if dashboard else []
        self.endResetModel()

    @property
    def dashboard(self) -> TeamDashboard | None:
        return self._dashboard

    def agent_row(self, row: int) -> AgentRow:
        return self._rows[row]

    @property
    def score_column(self) -> int:
        return 1 + len(self._kpis)

    @property
    def trend_column(self) -> int:
        return 2 + len(self._kpis)

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3 + len(self._kpis)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return "Agent"
            if section == self.score_column:
                return "Score"
            if section == self.trend_column:
                return "Trend"
            return short_kpi_name(self._kpis[section - 1])
        if role == Qt.ItemDataRole.ToolTipRole and 0 < section < self.score_column:
            kpi = self._kpis[section - 1]
            better = "higher" if kpi.higher_is_better else "lower"
            target = format_value(kpi.target, kpi.unit)
            return f"{kpi.name}: target {target} ({better} is better, weight {kpi.weight:g})"
        if role == Qt.ItemDataRole.TextAlignmentRole and section > 0:
            return _CENTRE
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == ID_ROLE:
            return row.agent.id
        if role == OBJECT_ROLE:
            return row
        if column == 0:
            return self._agent_data(row, role)
        if column == self.score_column:
            return self._score_data(row, role)
        if column == self.trend_column:
            return self._trend_data(row, role)
        return self._kpi_data(row, self._kpis[column - 1], role)

    # -- per column ---------------------------------------------------------------------------
    def _agent_data(self, row: AgentRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return row.agent.name
        if role == SORT_ROLE:
            return row.agent.name.casefold()
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.agent.name} · {row.agent.employee_code or ''} · {row.agent.email}"
        return None

    def _kpi_data(self, row: AgentRow, kpi: Kpi, role: int) -> Any:
        value = row.metrics.get(kpi.code)
        status = target_status(value, kpi_rule(kpi))
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(value, kpi.unit)
        if role == SORT_ROLE:
            return _sortable(value)
        if role == STATUS_ROLE:
            return status
        if role == Qt.ItemDataRole.BackgroundRole and status:
            return palette.BACKGROUND[status]
        if role == Qt.ItemDataRole.ForegroundRole:
            return palette.FOREGROUND[status] if status else palette.MUTED
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            target = format_value(kpi.target, kpi.unit)
            return f"{kpi.name}: {format_value(value, kpi.unit)} (target {target})"
        return None

    def _score_data(self, row: AgentRow, role: int) -> Any:
        status = score_status(row.score)
        if role == Qt.ItemDataRole.DisplayRole:
            return format_score(row.score)
        if role == SORT_ROLE:
            return _sortable(row.score)
        if role == STATUS_ROLE:
            return status
        if role == Qt.ItemDataRole.BackgroundRole and status:
            return palette.BACKGROUND[status]
        if role == Qt.ItemDataRole.ForegroundRole:
            return palette.FOREGROUND[status] if status else palette.MUTED
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Score {format_score(row.score)} (previous month {format_score(row.previous_score)})"
        return None

    def _trend_data(self, row: AgentRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return format_trend(row.trend, row.score, row.previous_score)
        if role == SORT_ROLE:
            if row.score is None or row.previous_score is None:
                return float("-inf")
            return row.score - row.previous_score
        if role == Qt.ItemDataRole.ForegroundRole:
            return palette.TREND_FOREGROUND.get(row.trend or "", palette.MUTED)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTRE
        return None


def _sortable(value: float | None) -> float:
    """Missing values sort below every number."""
    return float("-inf") if value is None else float(value)
