"""Read-only table views over our item models, sortable through a proxy on ``SORT_ROLE``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop.models.roles import ID_ROLE, OBJECT_ROLE, SORT_ROLE

ASCENDING_ARROW, DESCENDING_ARROW = "▲", "▼"


class SortingProxy(QSortFilterProxyModel):
    """Sorts on ``SORT_ROLE`` and writes the order into the sorted column's title: ▲ ascending,
    ▼ descending. Styles disagree on which way their own indicator points (Fusion shows ▲ for a
    descending sort), so the header draws none and the title says it."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        before = self.sortColumn()
        super().sort(column, order)
        # The old sorted column loses its arrow, the new one gains it.
        first, last = max(min(before, column), 0), max(before, column)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, first, last)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        title = super().headerData(section, orientation, role)
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and section == self.sortColumn()
            and title
        ):
            arrow = ASCENDING_ARROW if self.sortOrder() == Qt.SortOrder.AscendingOrder else DESCENDING_ARROW
            return f"{title} {arrow}"
        return title


def sorting_proxy(model: QAbstractItemModel, parent: QWidget | None = None) -> QSortFilterProxyModel:
    proxy = SortingProxy(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)
    return proxy


class DataTable(QTableView):
    """Rows selected whole, alternating colours, no editing, stretchy first column."""

    def __init__(
        self, model: QAbstractItemModel, parent: QWidget | None = None, sortable: bool = True
    ) -> None:
        super().__init__(parent)
        self.proxy = sorting_proxy(model, self)
        self.setModel(self.proxy)
        self.setSortingEnabled(sortable)
        self.horizontalHeader().setSortIndicatorShown(False)  # the proxy's titles carry the order
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(32)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(80)

    def selected_object(self) -> object | None:
        index = self.currentIndex()
        return index.data(OBJECT_ROLE) if index.isValid() else None

    def selected_id(self) -> str | None:
        index = self.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def select_id(self, entity_id: str) -> bool:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(ID_ROLE) == entity_id:
                self.setCurrentIndex(index)
                return True
        return False

    def source_row(self, index: QModelIndex) -> int:
        return self.proxy.mapToSource(index).row()
