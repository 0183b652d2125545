"""One field of an edit conflict: before, mine and theirs in full, and the choice of what to keep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from desktop.models.conflicts import FIELD_LABELS
from desktop.ui.widgets import named

MINE, THEIRS, EDIT = range(3)
CHOICES = {"mine": MINE, "theirs": THEIRS, "edit": EDIT}
MULTI_LINE_FIELDS = frozenset({"notes"})
TITLES = {"starts_at": "Start time", "ends_at": "End time"}
EMPTY = "—"
VALUE_TEXT_TOP = 7  # a value box's border and padding above its text (see the theme)


def field_title(name: str) -> str:
    return TITLES.get(name) or FIELD_LABELS.get(name, name).capitalize()


def display_value(name: str, value: Any) -> str:
    """A value as a person reads it: times in local time, nothing as a dash."""
    if value is None or value == "":
        return EMPTY
    if name in TITLES and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return f"{moment.astimezone():%a %d %b %Y, %H:%M}"
    return str(value)


def _restyle(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class MergeFieldPanel(QFrame):
    """Before / Mine / Theirs stacked at the panel's full width, then Mine / Theirs / Edit.

    The editor appears when Edit is chosen, filled with "mine" to start from; notes get a
    multi-line editor. ``value()`` is what the choice keeps.
    """

    def __init__(self, name: str, before: Any, mine: Any, theirs: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mergeField")
        self.name = name
        self.mine = mine
        self.theirs = theirs
        self.multi_line = name in MULTI_LINE_FIELDS or any(
            isinstance(value, str) and "\n" in value for value in (before, mine, theirs)
        )
        title = named(QLabel(field_title(name)), "sectionTitle")
        self.before_text = self._value_box(display_value(name, before))
        self.mine_text = self._value_box(display_value(name, mine))
        self.theirs_text = self._value_box(display_value(name, theirs))

        self.group = QButtonGroup(self)
        choices = QHBoxLayout()
        choices.setSpacing(16)
        for button_id, text in ((MINE, "Mine"), (THEIRS, "Theirs"), (EDIT, "Edit")):
            radio = QRadioButton(text)
            self.group.addButton(radio, button_id)
            choices.addWidget(radio)
        choices.addStretch(1)
        start = "" if mine is None else str(mine)
        self.editor: QPlainTextEdit | QLineEdit
        if self.multi_line:
            self.editor = QPlainTextEdit(start)
            self.editor.setMinimumHeight(100)
            self.editor.setMaximumHeight(150)
        else:
            self.editor = QLineEdit(start)
        self.editor.setPlaceholderText(f"Your {field_title(name).lower()}")
        self.editor.setVisible(False)

        grid = QGridLayout(self)
        grid.setContentsMargins(14, 10, 14, 12)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(1, 1)
        grid.addWidget(title, 0, 0, 1, 2)
        rows = (
            ("Before", self.before_text),
            ("Mine", self.mine_text),
            ("Theirs", self.theirs_text),
        )
        for row, (caption, box) in enumerate(rows, start=1):
            label = named(QLabel(caption), "mergeCaption")
            label.setContentsMargins(0, VALUE_TEXT_TOP, 0, 0)  # level with the box's first line
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(box, row, 1)
        grid.addWidget(named(QLabel("Keep"), "mergeCaption"), 4, 0)
        grid.addLayout(choices, 4, 1)
        grid.addWidget(self.editor, 5, 1)

        self.group.idToggled.connect(self._toggled)
        self.group.button(MINE).setChecked(True)

    def _value_box(self, text: str) -> QLabel:
        box = named(QLabel(text), "mergeValue")
        box.setWordWrap(True)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setProperty("chosen", False)
        return box

    def _toggled(self, button_id: int, on: bool) -> None:
        if not on:
            return
        self.editor.setVisible(button_id == EDIT)
        if button_id == EDIT:
            self.editor.setFocus()
        for box, kept in ((self.mine_text, button_id == MINE), (self.theirs_text, button_id == THEIRS)):
            box.setProperty("chosen", kept)
            _restyle(box)

    def choose(self, choice: str, edited: str | None = None) -> None:
        """``mine``, ``theirs`` or ``edit`` (with the edited text, if given)."""
        self.group.button(CHOICES[choice]).setChecked(True)
        if edited is not None:
            if isinstance(self.editor, QPlainTextEdit):
                self.editor.setPlainText(edited)
            else:
                self.editor.setText(edited)

    def choice(self) -> int:
        return self.group.checkedId()

    def edited_text(self) -> str:
        if isinstance(self.editor, QPlainTextEdit):
            return self.editor.toPlainText()
        return self.editor.text()

    def value(self) -> Any:
        return {MINE: self.mine, THEIRS: self.theirs}.get(self.choice(), self.edited_text())
