"""Coaching sessions as a list: when, who, topic, status, notes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from desktop.models import palette
from desktop.models.base import RowTableModel
from desktop.models.formatting import EN_DASH
from desktop.models.roles import SORT_ROLE
from shared.sessions import Session, SessionStatus

COLUMNS = ("Date", "Time", "Agent", "Topic", "Status", "Notes")
STATUS_LABELS = {
    SessionStatus.SCHEDULED: "Scheduled",
    SessionStatus.COMPLETED: "Completed",
    SessionStatus.CANCELLED: "Cancelled",
    SessionStatus.NO_SHOW: "No-show",
    SessionStatus.CONFLICT: "Conflict",
}


class SessionTableModel(RowTableModel[Session]):
    """Sessions ordered by start; agent names come from a separate id → name map."""

    columns = COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}
        self._pending: set[str] = set()

    def set_sessions(
        self,
        sessions: Iterable[Session],
        agent_names: Mapping[str, str] | None = None,
        pending_ids: Iterable[str] = (),
    ) -> None:
        """``pending_ids``: sessions with local edits not yet accepted by the server."""
        with self.resetting():
            self._rows = sorted(sessions, key=lambda s: (s.starts_at, s.id))
            if agent_names is not None:
                self._names = dict(agent_names)
            self._pending = set(pending_ids)

    def session(self, row: int) -> Session:
        return self.row_at(row)

    def sessions(self) -> list[Session]:
        return self.rows()

    def agent_name(self, agent_id: str) -> str:
        return self._names.get(agent_id, "Unknown agent")

    def row_of(self, session_id: str) -> int:
        for row, session in enumerate(self._rows):
            if session.id == session_id:
                return row
        return -1

    def row_id(self, row: Session) -> str:
        return row.id

    def cell_data(self, session: Session, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(session, column)
        if role == SORT_ROLE:
            return self._raw(session, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 4:
            return palette.STATUS_FOREGROUND.get(session.status.value)
        if role == Qt.ItemDataRole.FontRole and column == 4:
            font = QFont()
            font.setBold(session.status == SessionStatus.CONFLICT)
            font.setItalic(session.id in self._pending)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if session.id in self._pending:
                return "Saved on this computer; waiting to sync"
            return session.notes or None
        return None

    def _display(self, session: Session, column: int) -> str:
        start, end = session.starts_at.astimezone(), session.ends_at.astimezone()
        if column == 0:
            return f"{start:%a %d %b %Y}"
        if column == 1:
            return f"{start:%H:%M}{EN_DASH}{end:%H:%M}"
        if column == 2:
            return self.agent_name(session.agent_id)
        if column == 3:
            return session.topic
        if column == 4:
            label = STATUS_LABELS.get(session.status, session.status.value)
            return f"{label} · not synced" if session.id in self._pending else label
        first_line = session.notes.strip().splitlines()[0] if session.notes.strip() else ""
        return first_line if len(first_line) <= 60 else first_line[:59] + "…"

    def _raw(self, session: Session, column: int) -> Any:
        if column in (0, 1):
            return session.starts_at.timestamp()
        if column == 2:
            return self.agent_name(session.agent_id).casefold()
        if column == 3:
            return session.topic.casefold()
        if column == 4:
            return session.status.value
        return session.notes.casefold()
