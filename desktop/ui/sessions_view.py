"""Sessions: the week calendar and the list, booking, rescheduling, notes and status changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models import SessionTableModel
from desktop.models.formatting import EN_DASH
from desktop.models.sessions import COLUMNS as SESSION_COLUMNS
from desktop.services import Entity, ServiceError, Sessions
from desktop.ui.async_slot import async_slot
from desktop.ui.book_dialog import BookSessionDialog
from desktop.ui.confirm import ask_first
from desktop.ui.tables import DataTable
from desktop.ui.view_base import ScreenView
from desktop.ui.week_calendar import DayScroller, WeekCalendar, week_start
from desktop.ui.widgets import named
from shared.directory import Agent
from shared.sessions import Session, SessionStatus
from shared.types import utcnow

WEEK_TAB, LIST_TAB = range(2)
STATUS_QUESTIONS = {
    SessionStatus.CANCELLED: ("Cancel {topic} with {name} on {when}?", "Cancel session"),
    SessionStatus.COMPLETED: ("Mark {topic} with {name} on {when} as completed?", "Mark completed"),
    SessionStatus.NO_SHOW: ("Record that {name} did not come to {topic} on {when}?", "No-show"),
}


class NotesDialog(QDialog):
    def __init__(self, session: Session, agent_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Session notes")
        self.setMinimumSize(460, 320)
        self.editor = QPlainTextEdit(session.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{agent_name}</b> — {session.topic}"))
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)


class SessionsView(ScreenView):
    """``sig_dialog_opened(QDialog)`` lets tests and screenshots reach the modal dialogs.

    Its own writes name it as their initiator: it reloads itself after each (onto the week of a
    booking), so their change notices pass it by.
    """

    sig_dialog_opened = Signal(object)
    watches = frozenset({Entity.SESSIONS})

    def __init__(self, sessions: Sessions, parent: QWidget | None = None) -> None:
        super().__init__("Coaching sessions", parent)
        self._sessions = sessions
        self._agents: list[Agent] = []
        self.monday = week_start(date.today())

        self.previous_week = QPushButton("◀")
        self.previous_week.setFixedWidth(36)
        self.previous_week.clicked.connect(lambda: self.show_week(self.monday - timedelta(days=7)))
        self.this_week = QPushButton("This week")
        self.this_week.clicked.connect(lambda: self.show_week(date.today()))
        self.next_week = QPushButton("▶")
        self.next_week.setFixedWidth(36)
        self.next_week.clicked.connect(lambda: self.show_week(self.monday + timedelta(days=7)))
        self.book_button = named(QPushButton("Book session"), "primary")
        self.book_button.setToolTip("Ctrl+N")
        self.book_button.clicked.connect(lambda: self.open_book_dialog())
        for widget in (self.previous_week, self.this_week, self.next_week, self.book_button):
            self.header.controls.addWidget(widget)

        self.model = SessionTableModel(self)
        self.calendar = WeekCalendar(self.model)
        self.calendar.sig_session_selected.connect(self._select)
        self.calendar.sig_session_activated.connect(lambda _id: self.edit_notes())
        self.calendar.sig_book_at.connect(lambda moment: self.open_book_dialog(starts_at=moment))
        self.table = DataTable(self.model)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        for column, title in enumerate(SESSION_COLUMNS):
            fits = title not in ("Topic", "Notes")  # the free texts share what the others leave
            header.setSectionResizeMode(
                column, header.ResizeMode.ResizeToContents if fits else header.ResizeMode.Stretch
            )
        self.table.doubleClicked.connect(lambda _index: self.edit_notes())
        # The table's current row is the selection, however it moved (click, arrows, Page Down).
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.table.installEventFilter(self)  # Enter opens the selected session
        self.tabs = QTabWidget()
        self.tabs.addTab(DayScroller(self.calendar), "Week")
        self.tabs.addTab(self.table, "List")
        self.body.addWidget(self.tabs, 1)

        self.selection_label = named(QLabel("Select a session to change it."), "muted")
        self.reschedule_button = QPushButton("Reschedule…")
        self.reschedule_button.clicked.connect(lambda: self.open_reschedule_dialog())
        self.notes_button = QPushButton("Edit notes…")
        self.notes_button.clicked.connect(lambda: self.edit_notes())
        self.complete_button = QPushButton("Mark completed")
        self.complete_button.clicked.connect(lambda: self.change_status(SessionStatus.COMPLETED))
        self.no_show_button = QPushButton("No-show")
        self.no_show_button.clicked.connect(lambda: self.change_status(SessionStatus.NO_SHOW))
        self.cancel_button = QPushButton("Cancel session")
        self.cancel_button.clicked.connect(lambda: self.change_status(SessionStatus.CANCELLED))
        actions = QHBoxLayout()
        actions.addWidget(self.selection_label, 1)
        for button in (
            self.reschedule_button,
            self.notes_button,
            self.complete_button,
            self.no_show_button,
            self.cancel_button,
        ):
            actions.addWidget(button)
        self.body.addLayout(actions)
        self.selected_id: str | None = None
        self._message: str | None = None  # what the next load shows in the banner
        self._update_actions()

    # -- inputs --------------------------------------------------------------------------------
    def set_agents(self, agents: Iterable[Agent]) -> None:
        """Every agent in scope: all of them name sessions, the active ones can be booked."""
        self._agents = list(agents)
        self.model.set_sessions(self.model.sessions(), self.agent_names())

    def agent_names(self) -> dict[str, str]:
        return {agent.id: agent.name for agent in self._agents}

    def show_week(self, day: date) -> None:
        self.monday = week_start(day)
        self.calendar.set_week(self.monday)
        self.refresh()

    def selected_session(self) -> Session | None:
        if self.selected_id is None:
            return None
        row = self.model.row_of(self.selected_id)
        return self.model.session(row) if row >= 0 else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.edit_notes()
            return True
        return super().eventFilter(watched, event)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._select(self.model.session(self.table.source_row(current)).id)

    def _select(self, session_id: str | None) -> None:
        self.selected_id = session_id
        self.calendar.select(session_id)
        if session_id:
            self.table.select_id(session_id)
        self._update_actions()

    def _update_actions(self) -> None:
        session = self.selected_session()
        scheduled = session is not None and session.status == SessionStatus.SCHEDULED
        for button in (self.reschedule_button, self.cancel_button):
            button.setEnabled(scheduled)
        # Whether it took place, or the agent did not come, is known only once it has started.
        started = session is not None and session.starts_at <= utcnow()
        for button in (self.complete_button, self.no_show_button):
            button.setEnabled(scheduled and started)
            button.setToolTip("" if started or not scheduled else "Only once the session has started.")
        self.notes_button.setEnabled(session is not None)
        if session is None:
            self.selection_label.setText("Select a session to change it.")
        else:
            start = session.starts_at.astimezone()
            self.selection_label.setText(
                f"{self.model.agent_name(session.agent_id)} · {start:%a %d %b %H:%M} · {session.topic}"
            )

    # -- loading -------------------------------------------------------------------------------
    async def load(self, is_current: Callable[[], bool]) -> None:
        start = datetime.combine(self.monday, time()).astimezone()
        end = start + timedelta(days=7)
        sessions = await self._sessions.list_range(start, end)
        if not is_current():
            return
        self.model.set_sessions(sessions, self.agent_names())
        # The banner says what the last change of this screen did, or nothing: after any other
        # reload it could describe a state that is gone (a booking since cancelled elsewhere).
        if self._message is None:
            self.banner.hide()
        else:
            self.banner.show_message(self._message, "success")
            self._message = None
        if self.selected_id is not None:
            self.table.select_id(self.selected_id)  # a reload keeps the selection where it was
        self.calendar.set_week(self.monday)
        sunday = self.monday + timedelta(days=6)
        scheduled = sum(1 for s in sessions if s.status == SessionStatus.SCHEDULED)
        self.header.subtitle.setText(
            f"Week of {self.monday:%d %b}{EN_DASH}{sunday:%d %b %Y} · "
            f"{len(sessions)} sessions, {scheduled} scheduled"
            " · double-click free time to book"
        )
        self._update_actions()

    # -- actions -------------------------------------------------------------------------------
    def open_book_dialog(
        self, starts_at: datetime | None = None, agent_id: str | None = None
    ) -> BookSessionDialog:
        bookable = [agent for agent in self._agents if agent.active]
        dialog = BookSessionDialog(
            self._sessions, bookable, starts_at=starts_at, agent_id=agent_id, initiator=self, parent=self
        )
        return self._run_dialog(dialog)

    def open_reschedule_dialog(self) -> BookSessionDialog | None:
        session = self.selected_session()
        if session is None:
            return None
        dialog = BookSessionDialog(
            self._sessions, self._agents, session=session, initiator=self, parent=self
        )
        return self._run_dialog(dialog)

    def _run_dialog(self, dialog: BookSessionDialog) -> BookSessionDialog:
        dialog.sig_booked.connect(lambda booked: self._booked(booked, moved=dialog.rescheduling))
        dialog.setModal(True)
        dialog.show()  # not exec(): a nested loop would stall the asyncio tasks
        self.sig_dialog_opened.emit(dialog)
        return dialog

    def _booked(self, session: Session, *, moved: bool) -> None:
        when = f"{session.starts_at.astimezone():%a %d %b %H:%M}"
        self._message = f"Moved {session.topic} to {when}." if moved else f"Booked {session.topic} on {when}."
        self.selected_id = session.id
        starts = session.starts_at.astimezone().date()
        if week_start(starts) != self.monday:
            self.show_week(starts)
        else:
            self.refresh()

    def edit_notes(self) -> NotesDialog | None:
        session = self.selected_session()
        if session is None:
            return None
        dialog = NotesDialog(session, self.model.agent_name(session.agent_id), self)
        dialog.accepted.connect(lambda: self._save_notes(session, dialog.editor.toPlainText()))
        dialog.setModal(True)
        dialog.show()
        self.sig_dialog_opened.emit(dialog)
        return dialog

    @async_slot()
    async def _save_notes(self, session: Session, notes: str) -> None:
        await self._edit(lambda: self._sessions.edit_notes(session.id, notes, initiator=self))

    def change_status(self, status: SessionStatus) -> QMessageBox | None:
        """Ask first (none of these changes can be undone), then set the selected session's status."""
        session = self.selected_session()
        if session is None:
            return None
        question, action = STATUS_QUESTIONS[status]
        when = f"{session.starts_at.astimezone():%a %d %b %H:%M}"
        name = self.model.agent_name(session.agent_id)
        text = question.format(topic=session.topic, name=name, when=when)
        box = ask_first(self, text, action, lambda: self._set_status(session, status))
        self.sig_dialog_opened.emit(box)
        return box

    @async_slot()
    async def _set_status(self, session: Session, status: SessionStatus) -> None:
        await self._edit(lambda: self._sessions.set_status(session.id, status, initiator=self))

    async def _edit(self, write: Callable[[], Awaitable[object]]) -> None:
        """A refused edit shows in the banner; an accepted one (online or queued) reloads the view."""
        try:
            await write()
        except ServiceError as error:
            self.banner.show_message(error.detail, "error")
            return
        self.refresh()
