"""Agents by KPIs of one team for one period, coloured against each KPI's target."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from desktop.models import palette
from desktop.models.base import RIGHT, RowTableModel, judged_cell
from desktop.models.formatting import (
    format_score,
    format_trend,
    format_value,
    score_status,
    target_status,
)
from desktop.models.roles import SORT_ROLE
from shared.analytics import AgentRow, TeamDashboard
from shared.directory import Kpi
from shared.scoring import KpiRule

_CENTRE = int(Qt.AlignmentFlag.AlignCenter)


def short_kpi_name(kpi: Kpi) -> str:
    """Column headers stay narrow: long names become their code (AHT, CSAT, FCR…)."""
    if len(kpi.name) <= 12:
        return kpi.name
    return kpi.code.upper() if len(kpi.code) <= 4 else kpi.code.capitalize()


def kpi_rule(kpi: Kpi) -> KpiRule:
    return KpiRule(kpi.code, kpi.target, kpi.weight, kpi.higher_is_better)


class TeamDashboardModel(RowTableModel[AgentRow]):
    """Columns: agent, one per KPI, score, trend. Sort through a proxy on ``SORT_ROLE``."""

    columns: tuple[str, ...] = ("Agent", "Score", "Trend")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._dashboard: TeamDashboard | None = None
        self._kpis: list[Kpi] = []

    # -- feeding ---------------------------------------------------------------------------
    def set_dashboard(self, dashboard: TeamDashboard | None) -> None:
        with self.resetting():
            self._dashboard = dashboard
            self._rows = list(dashboard.agents) if dashboard else []
            self._kpis = list(dashboard.kpis) if dashboard else []
            self.columns = ("Agent", *(short_kpi_name(kpi) for kpi in self._kpis), "Score", "Trend")

    @property
    def dashboard(self) -> TeamDashboard | None:
        return self._dashboard

    def agent_row(self, row: int) -> AgentRow:
        return self.row_at(row)

    @property
    def score_column(self) -> int:
        return 1 + len(self._kpis)

    @property
    def trend_column(self) -> int:
        return 2 + len(self._kpis)

    # -- Qt model API -------------------------------------------------------------------------
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.ToolTipRole and 0 < section < self.score_column:
                kpi = self._kpis[section - 1]
                better = "higher" if kpi.higher_is_better else "lower"
                target = format_value(kpi.target, kpi.unit)
                return f"{kpi.name}: target {target} ({better} is better, weight {kpi.weight:g})"
            if role == Qt.ItemDataRole.TextAlignmentRole and section > 0:
                return _CENTRE
        return super().headerData(section, orientation, role)

    def row_id(self, row: AgentRow) -> str:
        return row.agent.id

    def cell_data(self, row: AgentRow, column: int, role: int) -> Any:
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
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(value, kpi.unit)
        if role == SORT_ROLE:
            return _sortable(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            target = format_value(kpi.target, kpi.unit)
            return f"{kpi.name}: {format_value(value, kpi.unit)} (target {target})"
        return judged_cell(target_status(value, kpi_rule(kpi)), role)

    def _score_data(self, row: AgentRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return format_score(row.score)
        if role == SORT_ROLE:
            return _sortable(row.score)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Score {format_score(row.score)} (previous month {format_score(row.previous_score)})"
        return judged_cell(score_status(row.score), role)

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
