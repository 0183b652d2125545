"""A 12-month score trend (pyqtgraph), with the on-target line at 100."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from desktop.models.formatting import SCORE_TARGET
from desktop.ui.widgets import MONTHS
from shared.analytics import HistoryPoint


def month_tick(period: str, first: bool) -> str:
    """``Mar``; the first month and every January also carry the year (``Jan '26``)."""
    name = MONTHS[int(period[5:7]) - 1][:3]
    return f"{name} '{period[2:4]}" if first or period.endswith("-01") else name


class TrendChart(pg.PlotWidget):  # type: ignore[misc]
    """Scores per month; gaps where a month has no score."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(220)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.15)
        self.getPlotItem().setContentsMargins(6, 10, 10, 6)
        for axis in ("left", "bottom"):
            self.getAxis(axis).setTextPen(pg.mkPen("#475467"))
            self.getAxis(axis).setPen(pg.mkPen("#cfd6e2"))
        self.setLabel("left", "Score")
        self._target = pg.InfiniteLine(
            pos=SCORE_TARGET,
            angle=0,
            pen=pg.mkPen(QColor("#17643a"), width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
            label="target 100",
            labelOpts={"position": 0.06, "color": "#17643a"},
        )
        self.addItem(self._target)
        self._line = self.plot(
            [],
            [],
            pen=pg.mkPen("#2458d3", width=2.5),
            symbol="o",
            symbolSize=8,
            symbolBrush="#2458d3",
            symbolPen="w",
            connect="finite",
        )
        self.points: list[HistoryPoint] = []

    def set_history(self, history: list[HistoryPoint]) -> None:
        self.points = list(history)
        xs = list(range(len(history)))
        ys = [float("nan") if p.score is None else p.score for p in history]
        present = [y for y in ys if y == y]
        # pyqtgraph cannot bound an all-NaN scatter (and crashed painting one): no points, no line.
        self._line.setData(xs if present else [], ys if present else [])
        ticks = [(i, month_tick(p.period, first=i == 0)) for i, p in enumerate(history)]
        self.getAxis("bottom").setTicks([ticks])
        low = min([*present, SCORE_TARGET]) if present else 60.0
        high = max([*present, SCORE_TARGET]) if present else 120.0
        self.setYRange(max(0.0, low - 8), high + 8, padding=0)
        self.setXRange(-0.5, max(len(history) - 0.5, 0.5), padding=0)

    def to_image(self, width: int = 900, height: int = 300) -> QImage:
        """The chart as an image (for the PDF export), rendered at a fixed size."""
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        old_size = self.size()
        self.resize(width, height)
        painter = pg.QtGui.QPainter(image)
        self.render(painter)
        painter.end()
        self.resize(old_size)
        return image
