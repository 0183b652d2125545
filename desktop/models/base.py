"""What every table model here shares: a list of contract objects as rows, a header per column."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.models import palette
from desktop.models.formatting import TargetStatus
from desktop.models.roles import ID_ROLE, OBJECT_ROLE, STATUS_ROLE

Index = QModelIndex | QPersistentModelIndex
RowT = TypeVar("RowT")

RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
"""Numbers line up on the right."""


class RowTableModel(QAbstractTableModel, Generic[RowT]):
    """Flat rows, one object each; ``ID_ROLE`` gives ``row_id(row)``, ``OBJECT_ROLE`` the row itself.

    A subclass names its ``columns`` and answers ``cell_data`` for every other role.
    """

    columns: tuple[str, ...] = ()
    """Header labels, one a column; a model whose columns follow its data sets them when reset."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    # -- feeding -----------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[RowT]) -> None:
        with self.resetting():
            self._rows = list(rows)

    @contextmanager
    def resetting(self) -> Iterator[None]:
        """Change rows and whatever cells depend on inside; views reload once, after."""
        self.beginResetModel()
        try:
            yield
        finally:
            self.endResetModel()

    def row_at(self, row: int) -> RowT:
        return self._rows[row]

    def rows(self) -> list[RowT]:
        return list(self._rows)

    # -- for subclasses ------------------------------------------------------------------------
    def row_id(self, row: RowT) -> str:
        raise NotImplementedError

    def cell_data(self, row: RowT, column: int, role: int) -> Any:
        raise NotImplementedError

    # -- Qt model API ----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ID_ROLE:
            return self.row_id(row)
        if role == OBJECT_ROLE:
            return row
        return self.cell_data(row, index.column(), role)


def judged_cell(status: TargetStatus | None, role: int, *, background: bool = True) -> Any:
    """``STATUS_ROLE`` and the colours of a value judged against its target; other roles: ``None``."""
    if role == STATUS_ROLE:
        return status
    if role == Qt.ItemDataRole.BackgroundRole and status and background:
        return palette.BACKGROUND[status]
    if role == Qt.ItemDataRole.ForegroundRole:
        return palette.FOREGROUND[status] if status else palette.MUTED
    return None
