"""Scorecard: one agent's KPIs vs target, change vs last month, year average and 12-month trend."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.models import ScorecardKpiModel
from desktop.models.formatting import format_score, format_trend, score_status
from desktop.services import Dashboards, Entity
from desktop.ui.export import write_scorecard_csv, write_scorecard_pdf
from desktop.ui.tables import DataTable
from desktop.ui.trend_chart import TrendChart
from desktop.ui.view_base import ScreenView
from desktop.ui.widgets import (
    PeriodPicker,
    StatCard,
    as_of_text,
    empty_state,
    named,
    period_label,
    show_figures,
)
from shared.analytics import Scorecard
from shared.directory import Agent, Kpi


class ScorecardView(ScreenView):
    """One agent's scorecard for a month, with PDF and CSV export."""

    watches = frozenset({Entity.METRICS, Entity.DIRECTORY})

    def __init__(self, dashboards: Dashboards, parent: QWidget | None = None) -> None:
        super().__init__("Scorecard", parent)
        self._dashboards = dashboards
        self._directions: dict[str, bool] = {}
        self.agent_picker = QComboBox()
        self.agent_picker.setMinimumWidth(200)
        self.agent_picker.currentIndexChanged.connect(lambda _i: self.refresh())
        self.period_picker = PeriodPicker()
        self.period_picker.sig_period_changed.connect(lambda _p: self.refresh())
        self.pdf_button = QPushButton("Export PDF…")
        self.pdf_button.clicked.connect(lambda: self.export_pdf())
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(lambda: self.export_csv())
        for widget in (
            QLabel("Agent"),
            self.agent_picker,
            QLabel("Month"),
            self.period_picker,
            self.pdf_button,
            self.csv_button,
        ):
            self.header.controls.addWidget(widget)

        self.score_card = StatCard("Score")
        self.previous_card = StatCard("Previous month")
        self.trend_card = StatCard("Trend")
        self.year_card = StatCard("Average")
        cards = QHBoxLayout()
        cards.setSpacing(12)
        for card in (self.score_card, self.previous_card, self.trend_card, self.year_card):
            cards.addWidget(card)
        cards.addStretch(1)
        self.body.addLayout(cards)

        self.model = ScorecardKpiModel(self)
        self.table = DataTable(self.model, sortable=False)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.empty = empty_state()
        self.body.addWidget(self.table)
        self.body.addWidget(self.empty)
        self.body.addWidget(named(QLabel("Score over the last 12 months"), "sectionTitle"))
        self.chart = TrendChart()
        self.body.addWidget(self.chart, 1)
        self._set_exportable(False)

    # -- inputs --------------------------------------------------------------------------------
    def set_agents(self, agents: Iterable[Agent]) -> None:
        """The agents to pick from (keeps the current pick when it is still there)."""
        current = self.agent_id()
        self.agent_picker.blockSignals(True)
        self.agent_picker.clear()
        for agent in sorted(agents, key=lambda a: a.name.casefold()):
            self.agent_picker.addItem(agent.name, agent.id)
        if current is not None and (index := self.agent_picker.findData(current)) >= 0:
            self.agent_picker.setCurrentIndex(index)
        self.agent_picker.blockSignals(False)

    def set_kpi_definitions(self, kpis: Iterable[Kpi]) -> None:
        self._directions = {kpi.code: kpi.higher_is_better for kpi in kpis}

    def agent_id(self) -> str | None:
        data = self.agent_picker.currentData()
        return str(data) if data else None

    def open_agent(self, agent_id: str, period: str | None = None) -> None:
        self.agent_picker.blockSignals(True)
        self.period_picker.blockSignals(True)
        if (index := self.agent_picker.findData(agent_id)) < 0:
            self.agent_picker.addItem(agent_id, agent_id)
            index = self.agent_picker.count() - 1
        self.agent_picker.setCurrentIndex(index)
        if period:
            self.period_picker.set_period(period)
        self.agent_picker.blockSignals(False)
        self.period_picker.blockSignals(False)
        self.refresh()

    # -- loading -------------------------------------------------------------------------------
    async def load(self, is_current: Callable[[], bool]) -> None:
        agent_id = self.agent_id()
        if agent_id is None:
            self.header.subtitle.setText("Pick an agent, or double-click one on the dashboard.")
            return
        scorecard = await self._dashboards.scorecard(agent_id, self.period_picker.period())
        if is_current():
            self.show_scorecard(scorecard)

    def show_scorecard(self, scorecard: Scorecard) -> None:
        self.banner.hide()
        self.model.set_scorecard(scorecard, self._directions)
        index = self.agent_picker.findData(scorecard.agent.id)
        if index >= 0 and self.agent_picker.itemText(index) != scorecard.agent.name:
            self.agent_picker.setItemText(index, scorecard.agent.name)
        self.header.title.setText(f"Scorecard — {scorecard.agent.name}")
        self.header.subtitle.setText(
            f"{scorecard.agent.employee_code or ''} · {period_label(scorecard.period)} · "
            f"{as_of_text(scorecard)}"
        )
        self.score_card.show_value(
            format_score(scorecard.score), score_status(scorecard.score), "100 = on target"
        )
        self.previous_card.show_value(
            format_score(scorecard.previous_score), score_status(scorecard.previous_score), "last month"
        )
        trend_status = {"up": "good", "down": "bad"}.get(scorecard.trend or "")
        self.trend_card.show_value(
            format_trend(scorecard.trend, scorecard.score, scorecard.previous_score),
            trend_status,
            "vs last month",
        )
        months = sum(point.score is not None for point in scorecard.history)
        self.year_card.show_value(
            format_score(scorecard.year_avg_score),
            score_status(scorecard.year_avg_score),
            f"over {months} month{'' if months == 1 else 's'}" if months else "no month with figures",
        )
        figures = scorecard.score is not None or any(kpi.value is not None for kpi in scorecard.kpis)
        show_figures(self.table, self.empty, figures)
        self.chart.set_history(scorecard.history)
        rows = self.model.rowCount()
        self.table.setFixedHeight(self.table.horizontalHeader().height() + rows * 32 + 4)
        self._set_exportable(True)

    # -- export --------------------------------------------------------------------------------
    def _set_exportable(self, enabled: bool) -> None:
        self.pdf_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled)

    def _target(self, suffix: str, path: Path | None) -> Path | None:
        scorecard = self.model.scorecard
        if scorecard is None:
            return None
        if path is not None:
            return path
        default = f"scorecard-{scorecard.agent.name.replace(' ', '-').lower()}-{scorecard.period}.{suffix}"
        chosen, _ = QFileDialog.getSaveFileName(self, "Export scorecard", default, f"*.{suffix}")
        return Path(chosen) if chosen else None

    def export_pdf(self, path: Path | None = None) -> Path | None:
        target = self._target("pdf", path)
        if target is None or self.model.scorecard is None:
            return None
        write_scorecard_pdf(self.model.scorecard, target, self.chart.to_image())
        self.banner.show_message(f"Saved {target}", "success")
        return target

    def export_csv(self, path: Path | None = None) -> Path | None:
        target = self._target("csv", path)
        if target is None or self.model.scorecard is None:
            return None
        write_scorecard_csv(self.model.scorecard, target)
        self.banner.show_message(f"Saved {target}", "success")
        return target
