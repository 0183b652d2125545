"""Asking before a change that cannot be taken back, without a nested event loop."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


def ask_first(parent: QWidget, question: str, action: str, on_yes: Callable[[], object]) -> QMessageBox:
    """Show ``question`` with ``action`` and "Keep it" (the default); ``on_yes`` runs only on
    ``action``. Opened, not ``exec()``-ed: a nested loop would stall the asyncio tasks."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Coaching Hub")
    box.setText(question)
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def clicked(button: QAbstractButton) -> None:
        if button == yes:
            on_yes()

    box.buttonClicked.connect(clicked)
    box.open()
    return box


def button_named(box: QMessageBox, text: str) -> QAbstractButton:
    """The button of ``box`` that reads ``text`` (for keyboard and test access)."""
    return next(button for button in box.buttons() if button.text() == text)
