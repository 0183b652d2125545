"""Small building blocks every screen shares: page header, stat cards, banners, period picker."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.formatting import format_short_time
from desktop.services import Answer, ServiceError, is_offline
from desktop.ui.fitting import ElidedLabel
from shared.types import period_add

W = TypeVar("W", bound=QWidget)

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def named(widget: W, name: str) -> W:
    """The widget with its object name set: the theme's style sheet styles it by that name."""
    widget.setObjectName(name)
    return widget


def period_label(period: str) -> str:
    return f"{MONTHS[int(period[5:7]) - 1]} {period[:4]}"


def current_period(today: date | None = None) -> str:
    today = today or date.today()
    return f"{today.year:04d}-{today.month:02d}"


class PageHeader(QWidget):
    """A title, a muted subtitle, and room for controls on the right."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = named(ElidedLabel(title), "pageTitle")
        self.subtitle = named(ElidedLabel(""), "pageSubtitle")
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.title)
        texts.addWidget(self.subtitle)
        self.controls = QHBoxLayout()
        self.controls.setSpacing(8)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(texts, 1)
        layout.addLayout(self.controls)


class StatCard(QFrame):
    """A labelled big number, optionally coloured (good / near / bad)."""

    COLOURS = {"good": "#17643a", "near": "#8a5300", "bad": "#a4251a", None: "#1f2937"}

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.value = named(ElidedLabel("—"), "cardValue")
        self.label = named(ElidedLabel(label), "cardLabel")
        self.note = named(ElidedLabel(""), "cardLabel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        self.setMinimumWidth(150)

    def show_value(self, text: str, status: str | None = None, note: str = "") -> None:
        self.value.setText(text)
        self.value.setStyleSheet(f"color: {self.COLOURS.get(status, '#1f2937')};")
        self.note.setText(note)


class Banner(QFrame):
    """An inline message (error, warning, info, success) that never blocks the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = named(QPushButton("✕"), "link")
        close.setFixedWidth(24)
        close.setAutoDefault(False)  # else, in a dialog, Enter "clicks" the hidden ✕, not the action
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text.setText(text)
        self.show()


class PeriodPicker(QComboBox):
    """The last 24 KPI months, newest first; ``sig_period_changed(str)`` on a pick."""

    sig_period_changed = Signal(str)

    def __init__(self, newest: str | None = None, months: int = 24, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        newest = newest or current_period()
        for offset in range(months):
            period = period_add(newest, -offset)
            self.addItem(period_label(period), period)
        self.setMinimumWidth(150)
        self.currentIndexChanged.connect(lambda _i: self.sig_period_changed.emit(self.period()))

    def period(self) -> str:
        return str(self.currentData())

    def set_period(self, period: str) -> None:
        index = self.findData(period)
        if index >= 0:
            self.setCurrentIndex(index)


NO_FIGURES = "No figures for this month yet"


def empty_state(text: str = NO_FIGURES) -> QLabel:
    """What a screen says in place of a table with nothing in it (hidden until then)."""
    label = named(QLabel(text), "emptyState")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.hide()
    return label


def show_figures(table: QWidget, empty: QLabel, figures: bool) -> None:
    """The table when there are figures to show, else the words saying there are none."""
    table.setVisible(figures)
    empty.setVisible(not figures)


def as_of_text(answer: Answer) -> str:
    when = format_short_time(answer.as_of)
    return f"offline — saved data as of {when}" if is_offline(answer) else f"as of {when}"


def error_text(error: BaseException) -> str:
    """What to tell the user about a failed call: a service error's detail, else the message."""
    if isinstance(error, ServiceError):
        return error.detail
    return str(error) or type(error).__name__
