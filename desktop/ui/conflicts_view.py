"""Conflicts: booking clashes (pick a suggested slot or decline) and edit conflicts (mine/theirs/edit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models import ConflictItem, ConflictListModel
from desktop.models.formatting import EN_DASH, format_time_range
from desktop.services import Conflicts, Entity, MergeConflictRecord, OutboxEntry, ServiceError
from desktop.ui.async_slot import async_slot
from desktop.ui.confirm import ask_first
from desktop.ui.merge_field import MergeFieldPanel, field_title
from desktop.ui.tables import DataTable
from desktop.ui.view_base import ScreenView
from desktop.ui.widgets import named
from shared.sessions import BookingConflict, Decline, Reschedule, Slot

EMPTY_PAGE, BOOKING_PAGE, MERGE_PAGE, FAILED_PAGE = range(4)


def _clear(layout: QLayout) -> None:
    while (child := layout.takeAt(0)) is not None:
        if (widget := child.widget()) is not None:
            widget.deleteLater()
        elif (inner := child.layout()) is not None:
            _clear(inner)


def _card() -> tuple[QFrame, QVBoxLayout]:
    """A detail page: a card and its column of contents."""
    page = named(QFrame(), "card")
    layout = QVBoxLayout(page)
    layout.setContentsMargins(16, 14, 16, 14)
    layout.setSpacing(10)
    return page, layout


class ConflictsView(ScreenView):
    """What waits for a decision, one item at a time; the badge is the conflict service's."""

    sig_resolved = Signal()
    sig_dialog_opened = Signal(object)  # the confirmation before a decline
    watches = frozenset({Entity.CONFLICTS})

    def __init__(self, conflicts: Conflicts, parent: QWidget | None = None) -> None:
        super().__init__("Conflicts", parent)
        self._conflicts = conflicts
        self._names: dict[str, str] = {}
        self.model = ConflictListModel(self)
        self.table = DataTable(self.model, sortable=False)
        self.table.setMinimumWidth(460)
        self.table.clicked.connect(
            lambda index: self.show_item(self.model.item(self.table.source_row(index)))
        )
        self.details = QStackedWidget()
        empty = named(QLabel(
            "Nothing waiting for you. Clashes and edits that need a decision appear here."), "muted")
        empty.setWordWrap(True)
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.details.addWidget(empty)
        self.details.addWidget(self._booking_page())
        self.details.addWidget(self._merge_page())
        self.details.addWidget(self._failed_page())
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([560, 620])
        splitter.setChildrenCollapsible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(header.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, header.ResizeMode.Stretch)  # a long title yields, the time never
        self.table.setColumnHidden(3, True)  # the detail panel says what happened
        self.body.addWidget(splitter, 1)
        self.current: ConflictItem | None = None

    def set_agent_names(self, names: dict[str, str]) -> None:
        self._names = dict(names)

    # -- pages ---------------------------------------------------------------------------------
    def _booking_page(self) -> QWidget:
        self.booking_title = named(QLabel(""), "sectionTitle")
        self.booking_text = QLabel("")
        self.booking_text.setWordWrap(True)
        self.booking_text.setTextFormat(Qt.TextFormat.RichText)
        self.slot_buttons = QHBoxLayout()
        self.decline_reason = QLineEdit()
        self.decline_reason.setPlaceholderText("Reason (sent with the decline)")
        self.decline_button = QPushButton("Decline booking")
        self.decline_button.clicked.connect(lambda: self.decline())
        decline = QHBoxLayout()
        decline.addWidget(self.decline_reason, 1)
        decline.addWidget(self.decline_button)
        page, layout = _card()
        layout.addWidget(self.booking_title)
        layout.addWidget(self.booking_text)
        self.slot_intro = QLabel("Move it to a free slot:")
        layout.addWidget(self.slot_intro)
        layout.addLayout(self.slot_buttons)
        layout.addSpacing(8)
        layout.addLayout(decline)
        layout.addStretch(1)
        return page

    def _merge_page(self) -> QWidget:
        self.merge_title = named(QLabel(""), "sectionTitle")
        intro = QLabel(
            "You and someone else changed the same fields. Choose, for each field, which "
            "version to keep, or write your own."
        )
        intro.setWordWrap(True)
        fields = named(QWidget(), "mergeFields")
        self.merge_fields = QVBoxLayout(fields)
        self.merge_fields.setContentsMargins(0, 0, 0, 0)
        self.merge_fields.setSpacing(12)
        scroll = named(QScrollArea(), "mergeScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(fields)
        self.apply_merge_button = named(QPushButton("Apply my choices"), "primary")
        self.apply_merge_button.clicked.connect(lambda: self.apply_merge())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.apply_merge_button)
        page, layout = _card()
        layout.addWidget(self.merge_title)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.field_panels: dict[str, MergeFieldPanel] = {}
        return page

    # -- loading -------------------------------------------------------------------------------
    async def load(self, is_current: Callable[[], bool]) -> None:
        booking = await self._conflicts.booking_conflicts()
        merge = await self._conflicts.merge_conflicts()
        failed = await self._conflicts.failed_changes()
        if not is_current():
            return
        self.model.set_conflicts(booking, merge, failed)
        count = self.model.rowCount()
        self.header.subtitle.setText(
            f"{count} waiting for a decision" if count else "All clear — nothing to decide."
        )
        keep = self.current.id if self.current else None
        items = self.model.items()
        chosen = next((i for i in items if i.id == keep), items[0] if items else None)
        if chosen is None:
            self.current = None
            self.details.setCurrentIndex(EMPTY_PAGE)
        else:
            self.table.select_id(chosen.id)
            self.show_item(chosen)

    def show_item(self, item: ConflictItem) -> None:
        self.current = item
        if item.kind == "merge":
            self._show_merge(item)
        elif item.kind == "failed":
            self._show_failed(item)
        else:
            self._show_booking(item)

    def _show_booking(self, item: ConflictItem) -> None:
        _clear(self.slot_buttons)
        self.booking_title.setText(f"Booking clash — {item.title}")
        conflict = item.payload
        if isinstance(conflict, BookingConflict):
            session = conflict.session
            clashes = "".join(
                f"<li>{format_time_range(s.starts_at, s.ends_at)} — "
                f"{self._names.get(s.agent_id, 'agent')}: {s.topic}</li>"
                for s in conflict.clashes_with
            )
            self.booking_text.setText(
                f"<b>{self._names.get(session.agent_id, 'Agent')}</b>, "
                f"{format_time_range(session.starts_at, session.ends_at)}<br>"
                f"Booked offline; by the time it synced the slot was taken by:<ul>{clashes}</ul>"
            )
            day = session.starts_at.astimezone().date()
            self.slot_intro.setText(f"Move it to a free slot on {day:%a %d %b}:")
            for slot in conflict.suggestions:
                self.slot_buttons.addWidget(self._slot_button(slot, day))
            self.decline_button.setEnabled(True)
        else:
            self.booking_text.setText(item.detail)
            self.decline_button.setEnabled(True)
        if not self.slot_buttons.count():
            self.slot_buttons.addWidget(QLabel("No free slot suggested; decline, or rebook from Sessions."))
        self.slot_buttons.addStretch(1)
        self.details.setCurrentIndex(BOOKING_PAGE)

    def _slot_button(self, slot: Slot, day: date) -> QPushButton:
        start, end = slot.starts_at.astimezone(), slot.ends_at.astimezone()
        other_day = "" if start.date() == day else f"{start:%a %d} "
        button = named(QPushButton(f"{other_day}{start:%H:%M}{EN_DASH}{end:%H:%M}"), "slot")
        button.clicked.connect(lambda _checked=False, chosen=slot: self.reschedule_to(chosen))
        return button

    def _show_merge(self, item: ConflictItem) -> None:
        _clear(self.merge_fields)
        self.field_panels = {}
        record = item.payload
        if not isinstance(record, MergeConflictRecord):
            return
        self.merge_title.setText(f"Edit conflict — {item.title}")
        for name in dict.fromkeys(record.fields):
            before, mine, theirs = (values.get(name) for values in (record.base, record.mine, record.theirs))
            panel = MergeFieldPanel(name, before, mine, theirs)
            self.merge_fields.addWidget(panel)
            self.field_panels[name] = panel
        self.merge_fields.addStretch(1)
        self.details.setCurrentIndex(MERGE_PAGE)

    def _failed_page(self) -> QWidget:
        self.failed_title = named(QLabel(""), "sectionTitle")
        self.failed_text = QLabel("")
        self.failed_text.setWordWrap(True)
        self.retry_button = named(QPushButton("Send it again"), "primary")
        self.retry_button.clicked.connect(lambda: self.retry_failed())
        self.discard_button = QPushButton("Discard my change")
        self.discard_button.clicked.connect(lambda: self.discard_failed())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.retry_button)
        page, layout = _card()
        layout.addWidget(self.failed_title)
        layout.addWidget(self.failed_text)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    def _show_failed(self, item: ConflictItem) -> None:
        entry = item.payload
        if not isinstance(entry, OutboxEntry):
            return
        self.failed_title.setText(f"Refused change — {item.title}")
        what = (
            "this booking"
            if entry.type == "create_session"
            else "your change of " + ", ".join(field_title(name).lower() for name in entry.data)
        )
        self.failed_text.setText(
            f"The server refused {what}: {entry.detail or entry.code or 'no reason given'}.\n"
            "Send it again once the reason is gone, or discard it to keep what the server has."
        )
        self.details.setCurrentIndex(FAILED_PAGE)

    def merge_choice(self, field: str, choice: str, edited: str | None = None) -> None:
        """Pick ``mine``, ``theirs`` or ``edit`` for a field (the buttons do the same)."""
        self.field_panels[field].choose(choice, edited)

    def chosen_values(self) -> dict[str, object]:
        return {name: panel.value() for name, panel in self.field_panels.items()}

    # -- resolving -----------------------------------------------------------------------------
    @async_slot()
    async def reschedule_to(self, slot: Slot) -> None:
        resolution = Reschedule(action="reschedule", starts_at=slot.starts_at, ends_at=slot.ends_at)
        await self._resolve_booking(resolution)

    def decline(self) -> QMessageBox | None:
        """Ask first (a declined booking is cancelled for good), then decline it."""
        if self.current is None or not isinstance(self.current.payload, BookingConflict):
            return None
        reason = self.decline_reason.text().strip() or "Declined: the slot was taken"
        box = ask_first(
            self,
            f"Decline {self.current.title}? The booking is cancelled; the other session keeps the slot.",
            "Decline booking",
            lambda: self._decline(reason),
        )
        self.sig_dialog_opened.emit(box)
        return box

    @async_slot()
    async def _decline(self, reason: str) -> None:
        await self._resolve_booking(Decline(action="decline", reason=reason))

    async def _resolve_booking(self, resolution: Reschedule | Decline) -> None:
        conflict = self.current.payload if self.current else None
        if not isinstance(conflict, BookingConflict):
            return
        session = conflict.session
        await self._resolve(
            lambda: self._conflicts.resolve_booking(session.id, session.version, resolution, initiator=self)
        )

    @async_slot()
    async def apply_merge(self) -> None:
        if self.current is None or self.current.kind != "merge":
            return
        conflict_id, values = self.current.id, self.chosen_values()
        await self._resolve(lambda: self._conflicts.resolve_merge(conflict_id, values, initiator=self))

    @async_slot()
    async def retry_failed(self) -> None:
        await self._settle_failed(self._conflicts.retry_failed, "Sent again.")

    @async_slot()
    async def discard_failed(self) -> None:
        await self._settle_failed(self._conflicts.discard_failed, "Discarded.")

    async def _settle_failed(self, decide: Callable[..., Awaitable[None]], done: str) -> None:
        if self.current is None or self.current.kind != "failed":
            return
        mutation_id = self.current.id
        await self._resolve(lambda: decide(mutation_id, initiator=self), done)

    async def _resolve(self, call: Callable[[], Awaitable[object]], done: str = "Resolved.") -> None:
        try:
            await call()
        except ServiceError as error:
            self.banner.show_message(error.detail, "error")
            return
        self.banner.show_message(done, "success")
        self.current = None
        self.sig_resolved.emit()
        self.refresh()
