"""Text that must fit its box: session blocks in the week calendar, values in the merge panel."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication

from desktop.ui.merge_field import EMPTY, display_value, field_title
from desktop.ui.week_calendar import block_lines


def metrics() -> QFontMetricsF:
    return QFontMetricsF(QFont(QApplication.font()))


def test_a_wide_block_has_time_and_name_on_one_line_then_the_topic(qapp: QApplication) -> None:
    lines = block_lines(["09:00", "Luca Quist"], "Call control", metrics(), 400, 4)
    assert lines == ["09:00 Luca Quist", "Call control"]


def test_a_narrow_block_elides_every_line_and_keeps_to_its_room(qapp: QApplication) -> None:
    fm = metrics()
    width = fm.horizontalAdvance("09:00") + 4
    lines = block_lines(["Conflict ·", "09:00", "Amara Kowalski"], "Objection handling", fm, width, 3)
    assert len(lines) == 3
    assert lines[1] == "09:00"
    assert lines[2].endswith("…")
    assert all(fm.horizontalAdvance(line) <= width for line in lines)


def test_merge_values_read_as_a_person_would(qapp: QApplication) -> None:
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert display_value("starts_at", moment.isoformat()) == f"{moment.astimezone():%a %d %b %Y, %H:%M}"
    assert display_value("notes", "") == display_value("notes", None) == EMPTY
    assert display_value("notes", "line one\nline two") == "line one\nline two"
    assert [field_title(name) for name in ("starts_at", "ends_at", "notes")] == [
        "Start time",
        "End time",
        "Notes",
    ]
