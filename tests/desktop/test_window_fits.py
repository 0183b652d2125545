"""The main window fits a laptop: 1280 x 720 and 1366 x 768 screens at 100 % and 125 % scaling, and it
never grows by itself when a label gets long."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from desktop.ui.main_window import MainWindow
from tests.desktop.conftest import Run, settled

TASKBAR_AND_TITLE_PX = 80  # what a desktop keeps of the screen's height for itself
SCREENS = [(1280, 720, 1.0), (1366, 768, 1.0), (1280, 720, 1.25), (1366, 768, 1.25)]
LONG = "A label that got very long " * 12


def room_on(width: int, height: int, scale: float) -> QSize:
    """The logical pixels a window may take on that screen at that scaling."""
    return QSize(int(width / scale), int(height / scale) - TASKBAR_AND_TITLE_PX)


def visit_every_screen(qtbot: QtBot, window: MainWindow) -> None:
    for index in range(4):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{index + 1}"), Qt.KeyboardModifier.ControlModifier)
        assert window.screens.currentIndex() == index
        QApplication.processEvents()




@pytest.mark.parametrize(("width", "height", "scale"), SCREENS)
def test_every_screen_fits(qtbot: QtBot, window: MainWindow, width: int, height: int, scale: float) -> None:
    room = room_on(width, height, scale)
    for index in range(4):
        window.show_screen(index)
        QApplication.processEvents()
        needed = window.minimumSizeHint().expandedTo(window.minimumSize())
        assert needed.width() <= room.width(), f"screen {index} needs {needed.width()} px wide"
        assert needed.height() <= room.height(), f"screen {index} needs {needed.height()} px high"
    window.resize(room)
    QApplication.processEvents()
    assert window.size() == room


def test_long_labels_never_resize_the_window(qtbot: QtBot, run: Run[Any], window: MainWindow) -> None:
    visit_every_screen(qtbot, window)
    assert window.size() == QSize(1280, 720)
    for label in window.findChildren(QLabel):
        if label.text() and not label.wordWrap():
            label.setText(LONG)
    window.status.show_answer(None)
    window.status.as_of.setText(LONG)
    visit_every_screen(qtbot, window)
    assert window.size() == QSize(1280, 720)
    assert window.minimumSizeHint().width() <= room_on(1280, 720, 1.25).width()
    run(settled())
