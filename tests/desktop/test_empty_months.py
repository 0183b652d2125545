"""Months without figures say so; an average says over how many months; dashboard columns are as
wide as their content."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.ui.main_window import DASHBOARD, SCORECARD, MainWindow
from desktop.ui.widgets import NO_FIGURES
from tests.desktop.conftest import Run, settled
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning


def test_a_month_without_figures_says_so_on_the_dashboard(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, run: Run[Any], window: MainWindow
) -> None:
    window.show_screen(DASHBOARD)
    view = window.dashboard
    assert view.team_table.isVisible() and not view.team_empty.isVisible()
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        qtbot.keyClick(view.period_picker, Qt.Key.Key_End)  # two years back: before any data
    assert view.team_empty.isVisible()
    assert view.team_empty.text() == NO_FIGURES
    assert not view.team_table.isVisible(), "no rows of dashes"
    assert view.below_card.value.text() == "—", "nobody is known to be on target either"
    assert view.avg_card.value.text() == "—"

    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        qtbot.keyClick(view.period_picker, Qt.Key.Key_Home)
    assert view.team_table.isVisible() and not view.team_empty.isVisible()
    run(settled())


def test_the_scorecard_average_says_over_how_many_months(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, run: Run[Any], window: MainWindow
) -> None:
    window.show_screen(SCORECARD)
    view = window.scorecard
    with loop_turning(qloop):
        qtbot.waitUntil(lambda: view.model.scorecard is not None, timeout=TIMEOUT_MS)
        with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
            qtbot.keyClick(view.period_picker, Qt.Key.Key_End)
        assert view.empty.isVisible() and not view.table.isVisible()
        assert view.year_card.note.text() == "no month with figures"
        # Month by month towards today, until the first month with figures: an average of one.
        while view.score_card.value.text() == "—":
            with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
                qtbot.keyClick(view.period_picker, Qt.Key.Key_Up)
    assert view.year_card.label.text() == "Average"
    assert view.year_card.note.text() == "over 1 month"
    assert view.table.isVisible() and not view.empty.isVisible()
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        qtbot.keyClick(view.period_picker, Qt.Key.Key_Home)
    card = view.model.scorecard
    assert card is not None
    months = sum(point.score is not None for point in card.history)
    assert months == 12
    assert view.year_card.note.text() == "over 12 months"
    run(settled())


def test_dashboard_columns_are_as_wide_as_their_content(
    qtbot: QtBot, run: Run[Any], window: MainWindow
) -> None:
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    table = window.dashboard.team_table
    header = table.horizontalHeader()
    assert table.model().rowCount() > 0
    for column in range(header.count()):
        content = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
        assert header.sectionSize(column) == content, f"column {column}"
    assert header.sectionSize(0) < 0.25 * table.viewport().width()
    run(settled())
