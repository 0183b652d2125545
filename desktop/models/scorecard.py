"""One agent's KPIs for one period: value vs target, change vs last month, year average."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt

from desktop.models import palette
from desktop.models.base import RIGHT, RowTableModel, judged_cell
from desktop.models.formatting import format_delta, format_value, target_status
from desktop.models.roles import SORT_ROLE
from shared.analytics import Scorecard, ScorecardKpi
from shared.scoring import KpiRule

COLUMNS = ("KPI", "This month", "Target", "vs previous month", "12-month average", "Attainment")

# Known directions of the default KPIs, used when the caller does not pass the KPI definitions.
_DEFAULT_HIGHER_IS_BETTER = {"aht": False}


def higher_is_better(kpi: ScorecardKpi, known: Mapping[str, bool]) -> bool:
    """The KPI's direction: from the definitions if known, else read back from its attainment."""
    if kpi.code in known:
        return known[kpi.code]
    if kpi.code in _DEFAULT_HIGHER_IS_BETTER:
        return _DEFAULT_HIGHER_IS_BETTER[kpi.code]
    if kpi.value and kpi.target and kpi.attainment is not None and kpi.value != kpi.target:
        lower_ratio = min(kpi.target / kpi.value, 1.5)
        higher_ratio = min(kpi.value / kpi.target, 1.5)
        return abs(kpi.attainment - higher_ratio) <= abs(kpi.attainment - lower_ratio)
    return True


class ScorecardKpiModel(RowTableModel[ScorecardKpi]):
    """Rows are the scorecard's KPIs; value and delta coloured by how they help the agent."""

    columns = COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._scorecard: Scorecard | None = None
        self._directions: dict[str, bool] = {}

    def set_scorecard(
        self, scorecard: Scorecard | None, directions: Mapping[str, bool] | None = None
    ) -> None:
        """``directions`` maps KPI code → higher_is_better (from the KPI definitions)."""
        with self.resetting():
            self._scorecard = scorecard
            self._rows = list(scorecard.kpis) if scorecard else []
            self._directions = dict(directions or {})

    @property
    def scorecard(self) -> Scorecard | None:
        return self._scorecard

    def rule(self, kpi: ScorecardKpi) -> KpiRule:
        return KpiRule(kpi.code, kpi.target, 1.0, higher_is_better(kpi, self._directions))

    def row_id(self, row: ScorecardKpi) -> str:
        return row.code

    def cell_data(self, kpi: ScorecardKpi, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return RIGHT
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(kpi, column)
        if role == SORT_ROLE:
            return self._raw(kpi, column)
        if column == 1:
            return judged_cell(target_status(kpi.value, self.rule(kpi)), role)
        if column == 3:
            return self._delta_colour(kpi, role)
        if column == 4:
            return judged_cell(target_status(kpi.year_avg, self.rule(kpi)), role, background=False)
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return palette.MUTED
        return None

    def _display(self, kpi: ScorecardKpi, column: int) -> str:
        if column == 0:
            return kpi.name
        if column == 1:
            return format_value(kpi.value, kpi.unit)
        if column == 2:
            return format_value(kpi.target, kpi.unit)
        if column == 3:
            return format_delta(kpi.delta, kpi.unit)
        if column == 4:
            return format_value(kpi.year_avg, kpi.unit)
        return "—" if kpi.attainment is None else f"{kpi.attainment * 100:.0f} %"

    @staticmethod
    def _raw(kpi: ScorecardKpi, column: int) -> Any:
        if column == 0:
            return kpi.name.casefold()
        value = (kpi.value, kpi.target, kpi.delta, kpi.year_avg, kpi.attainment)[column - 1]
        return float("-inf") if value is None else value

    def _delta_colour(self, kpi: ScorecardKpi, role: int) -> Any:
        if role != Qt.ItemDataRole.ForegroundRole:
            return None
        if not kpi.delta:
            return palette.MUTED
        improved = (kpi.delta > 0) == higher_is_better(kpi, self._directions)
        return palette.FOREGROUND["good" if improved else "bad"]
