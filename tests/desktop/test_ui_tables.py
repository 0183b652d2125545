"""Table views: a click on a column title sorts by it, and the title's arrow says which way."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from desktop.models import SessionTableModel
from desktop.models.roles import ID_ROLE
from desktop.ui.tables import DataTable
from tests.desktop.test_models import session


def click_title(qtbot: QtBot, table: DataTable, column: int) -> None:
    header = table.horizontalHeader()
    centre = QPoint(header.sectionViewportPosition(column) + header.sectionSize(column) // 2, 5)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def test_the_arrow_in_a_title_points_up_for_ascending_and_down_for_descending(qtbot: QtBot) -> None:
    model = SessionTableModel()
    model.set_sessions([session("late", 5), session("early", 1), session("middle", 3)], {"a1": "Ada"})
    table = DataTable(model)
    qtbot.addWidget(table)
    table.resize(900, 300)
    table.show()

    def shown() -> tuple[str, list[str]]:
        title = str(table.proxy.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
        return title, [table.proxy.index(row, 0).data(ID_ROLE) for row in range(3)]

    click_title(qtbot, table, 0)
    first = shown()
    click_title(qtbot, table, 0)
    second = shown()
    by_arrow = {title[-1]: ids for title, ids in (first, second)}
    assert by_arrow == {"▲": ["early", "middle", "late"], "▼": ["late", "middle", "early"]}
    assert not table.horizontalHeader().isSortIndicatorShown()
    assert str(table.proxy.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)) == "Time"
