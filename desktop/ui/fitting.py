"""What keeps the window to the size the user gave it: screens that scroll, labels that elide."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QWidget

ELIDED_MIN_WIDTH = 24


class ElidedLabel(QLabel):
    """One line that ends in … where it does not fit, instead of widening the window; the whole
    text is its tooltip then."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setToolTip(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), ELIDED_MIN_WIDTH), hint.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, area.width())
        flags, palette, role = int(self.alignment()), self.palette(), self.foregroundRole()
        self.style().drawItemText(painter, area, flags, palette, self.isEnabled(), shown, role)


def scrolled(screen: QWidget) -> QScrollArea:
    """The screen in a frameless scroll area: smaller than its content, the window scrolls it
    rather than refusing to shrink."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(screen)
    return area
