"""Everything waiting for a decision: booking clashes and fields both sides edited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from PySide6.QtCore import Qt

from desktop.models import palette
from desktop.models.base import RowTableModel
from desktop.models.formatting import format_time_range
from desktop.models.roles import SORT_ROLE
from desktop.services import MergeConflictRecord, OutboxEntry
from shared.sessions import BookingConflict

ConflictKind = Literal["booking", "merge", "failed"]
KIND_NAMES: dict[ConflictKind, str] = {
    "booking": "Booking clash",
    "merge": "Edit conflict",
    "failed": "Refused change",
}

COLUMNS = ("Kind", "Session", "When", "What happened")
FIELD_LABELS = {
    "starts_at": "time",
    "ends_at": "time",
    "topic": "topic",
    "notes": "notes",
    "status": "status",
    "coach_id": "coach",
}


@dataclass(frozen=True, slots=True)
class ConflictItem:
    """One row: ``payload`` is the ``BookingConflict`` or the edit conflict's record behind it."""

    kind: ConflictKind
    id: str
    title: str
    when: datetime | None
    detail: str
    payload: BookingConflict | MergeConflictRecord | OutboxEntry


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def booking_item(conflict: BookingConflict) -> ConflictItem:
    count = len(conflict.clashes_with)
    return ConflictItem(
        kind="booking",
        id=conflict.session.id,
        title=conflict.session.topic,
        when=conflict.session.starts_at,
        detail=f"Clashes with {count} session{'s' if count != 1 else ''}; "
        f"{len(conflict.suggestions)} free slots suggested",
        payload=conflict,
    )


def merge_item(record: MergeConflictRecord) -> ConflictItem:
    """An edit conflict: ``base``/``mine``/``theirs`` and the ``fields`` both sides changed."""
    theirs: Mapping[str, Any] = record.theirs or {}
    mine: Mapping[str, Any] = record.mine or {}
    labels = sorted({FIELD_LABELS.get(name, name) for name in record.fields})
    return ConflictItem(
        kind="merge",
        id=record.id,
        title=str(theirs.get("topic") or mine.get("topic") or "Session"),
        when=_parse_time(theirs.get("starts_at") or mine.get("starts_at")),
        detail=f"Changed here and on the server: {', '.join(labels)}",
        payload=record,
    )


def failed_item(entry: OutboxEntry) -> ConflictItem:
    """A change the server refused: it waits to be tried again or discarded."""
    session: Mapping[str, Any] = {**(entry.base or {}), **entry.data}
    return ConflictItem(
        kind="failed",
        id=entry.mutation_id,
        title=str(session.get("topic") or "Session"),
        when=_parse_time(session.get("starts_at")),
        detail=f"Refused by the server: {entry.detail or entry.code or 'no reason given'}",
        payload=entry,
    )


class ConflictListModel(RowTableModel[ConflictItem]):
    """Booking conflicts first, then merge conflicts, then refused changes, each in time order."""

    columns = COLUMNS

    def set_conflicts(
        self,
        booking: Iterable[BookingConflict] = (),
        merge: Iterable[MergeConflictRecord] = (),
        failed: Iterable[OutboxEntry] = (),
    ) -> None:
        items = (
            [booking_item(c) for c in booking]
            + [merge_item(c) for c in merge]
            + [failed_item(e) for e in failed]
        )
        order = list(KIND_NAMES)
        self.set_rows(sorted(items, key=lambda i: (order.index(i.kind), i.when is None, i.when or 0, i.id)))

    def item(self, row: int) -> ConflictItem:
        return self.row_at(row)

    def items(self) -> list[ConflictItem]:
        return self.rows()

    def row_id(self, row: ConflictItem) -> str:
        return row.id

    def cell_data(self, item: ConflictItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return KIND_NAMES[item.kind]
            if column == 1:
                return item.title
            if column == 2:
                when = item.when
                if when is None:
                    return "—"
                return f"{when.astimezone():%a %d %b %H:%M}"
            return item.detail
        if role == SORT_ROLE:
            return (item.kind, item.when.timestamp() if item.when else 0.0)
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return palette.STATUS_FOREGROUND["conflict"]
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and item.when is not None
            and isinstance(item.payload, BookingConflict)
        ):
            session = item.payload.session
            return format_time_range(session.starts_at, session.ends_at)
        return None
