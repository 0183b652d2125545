"""Book (or reschedule) a coaching session; a clash shows what it hits and offers free slots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.models.formatting import EN_DASH, format_time_range
from desktop.services import ServiceError, Sessions, SlotConflict
from desktop.ui.async_slot import async_slot
from desktop.ui.field_note import FieldNote, clear_notes, show_refusal
from desktop.ui.widgets import Banner, named
from shared.directory import Agent
from shared.sessions import Session, Slot

LENGTHS_MINUTES = (30, 45, 60, 90, 120)


def next_quarter_hour(now: datetime | None = None) -> datetime:
    now = (now or datetime.now()).astimezone().replace(second=0, microsecond=0)
    return now + timedelta(minutes=(15 - now.minute % 15) % 15 or 15)


class BookSessionDialog(QDialog):
    """New booking (``session`` None) or reschedule of ``session``; ``sig_booked(Session)`` on success.

    ``initiator`` (the screen that opened the dialog) goes with the write's change notice.
    """

    sig_booked = Signal(object)
    sig_clash_shown = Signal()

    def __init__(
        self,
        sessions: Sessions,
        agents: Iterable[Agent],
        *,
        session: Session | None = None,
        starts_at: datetime | None = None,
        agent_id: str | None = None,
        initiator: object | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sessions = sessions
        self._initiator = initiator
        self._session = session
        self._names = {agent.id: agent.name for agent in agents}
        self.setWindowTitle("Reschedule session" if session else "Book a coaching session")
        self.setMinimumWidth(520)

        self.agent = QComboBox()
        for agent_key, name in sorted(self._names.items(), key=lambda item: item[1].casefold()):
            self.agent.addItem(name, agent_key)
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd dd MMM yyyy")
        self.time = QTimeEdit()
        self.time.setDisplayFormat("HH:mm")
        self.length = QComboBox()
        for minutes in LENGTHS_MINUTES:
            self.length.addItem(f"{minutes} minutes" if minutes < 60 else f"{minutes / 60:g} h", minutes)
        self.length.setCurrentIndex(LENGTHS_MINUTES.index(60))
        self.topic = QLineEdit()
        self.topic.setPlaceholderText("e.g. Call handling, CSAT follow-up")
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Preparation notes (optional)")
        self.notes.setFixedHeight(80)
        self.field_notes = {"topic": FieldNote(), "notes": FieldNote()}

        start = starts_at or (session.starts_at if session else next_quarter_hour())
        self.set_start(start)
        if session is not None:
            agent_id = session.agent_id
            self.topic.setText(session.topic)
            self.notes.setPlainText(session.notes)
            self.length.setCurrentIndex(self._length_index(session.ends_at - session.starts_at))
            for widget in (self.agent, self.topic, self.notes):
                widget.setEnabled(False)
        if agent_id is not None and (index := self.agent.findData(agent_id)) >= 0:
            self.agent.setCurrentIndex(index)

        self.banner = Banner()
        self.clash = self._clash_panel()
        self.submit_label = "Reschedule" if session else "Book session"
        self.submit_button = named(QPushButton(self.submit_label), "primary")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)
        self._past_accepted = False  # the user saw the warning that the time has passed
        self.date.dateChanged.connect(self._time_changed)
        self.time.timeChanged.connect(self._time_changed)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)

        when = QHBoxLayout()
        when.addWidget(self.date, 2)
        when.addWidget(self.time, 1)
        when.addWidget(self.length, 1)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Agent", self.agent)
        form.addRow("When", when)
        form.addRow("Topic", self.topic)
        form.addRow("", self.field_notes["topic"])
        form.addRow("Notes", self.notes)
        form.addRow("", self.field_notes["notes"])
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 18)
        layout.setSpacing(12)
        title = named(QLabel(self.windowTitle()), "pageTitle")
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(self.clash)
        layout.addLayout(buttons)

    @property
    def rescheduling(self) -> bool:
        """Whether this moves an existing session rather than booking a new one."""
        return self._session is not None

    # -- fields --------------------------------------------------------------------------------
    @staticmethod
    def _length_index(length: timedelta) -> int:
        minutes = int(length.total_seconds() // 60)
        return min(range(len(LENGTHS_MINUTES)), key=lambda i: abs(LENGTHS_MINUTES[i] - minutes))

    def _time_changed(self) -> None:
        """A new time needs its own answer to "that has passed"."""
        if self._past_accepted:
            self._past_accepted = False
            self.submit_button.setText(self.submit_label)
            self.banner.hide()

    def set_start(self, moment: datetime) -> None:
        local = moment.astimezone()
        self.date.setDate(QDate(local.year, local.month, local.day))
        self.time.setTime(QTime(local.hour, local.minute))

    def starts_at(self) -> datetime:
        day, clock = self.date.date(), self.time.time()
        return datetime(day.year(), day.month(), day.day(), clock.hour(), clock.minute()).astimezone()

    def ends_at(self) -> datetime:
        return self.starts_at() + timedelta(minutes=int(self.length.currentData()))

    # -- the clash panel ---------------------------------------------------------------------
    def _clash_panel(self) -> QFrame:
        panel = named(QFrame(), "banner")
        panel.setProperty("kind", "warning")
        self.clash_text = QLabel("")
        self.clash_text.setWordWrap(True)
        self.suggestion_row = QHBoxLayout()
        self.suggestion_row.setSpacing(6)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self.clash_text)
        self.suggestion_intro = QLabel("Free slots nearby — pick one to book it:")
        layout.addWidget(self.suggestion_intro)
        layout.addLayout(self.suggestion_row)
        panel.hide()
        self.suggestion_buttons: list[QPushButton] = []
        return panel

    def show_clash(self, conflicts: Iterable[Session], suggestions: Iterable[Slot]) -> None:
        lines = [
            f"• {format_time_range(s.starts_at, s.ends_at)} — "
            f"{self._names.get(s.agent_id, 'another agent')}: {s.topic}"
            for s in conflicts
        ]
        self.clash_text.setText("<b>That time is taken.</b> It clashes with:<br>" + "<br>".join(lines))
        for button in self.suggestion_buttons:
            self.suggestion_row.removeWidget(button)
            button.deleteLater()
        self.suggestion_buttons = []
        asked_day = self.starts_at().date()
        for slot in suggestions:
            start, end = slot.starts_at.astimezone(), slot.ends_at.astimezone()
            day = "" if start.date() == asked_day else f"{start:%a %d} "
            button = named(QPushButton(f"{day}{start:%H:%M}{EN_DASH}{end:%H:%M}"), "slot")
            button.setMinimumWidth(button.sizeHint().width() + 12)
            button.clicked.connect(lambda _checked=False, chosen=slot: self.pick_suggestion(chosen))
            self.suggestion_row.addWidget(button)
            self.suggestion_buttons.append(button)
        self.suggestion_intro.setText(
            f"Free slots on {asked_day:%a %d %b} — pick one to book it:"
            if self.suggestion_buttons
            else "No free slot that day; try another date."
        )
        self.suggestion_row.addStretch(1)
        self.clash.show()
        self.adjustSize()
        self.sig_clash_shown.emit()

    def pick_suggestion(self, slot: Slot) -> None:
        """Take the suggested slot (keeping its length) and book it straight away."""
        self.set_start(slot.starts_at)
        self.length.setCurrentIndex(self._length_index(slot.ends_at - slot.starts_at))
        self.submit()

    # -- submit --------------------------------------------------------------------------------
    @async_slot()
    async def submit(self) -> None:
        if self._session is None and not self.topic.text().strip():
            self.banner.show_message("Give the session a topic.", "error")
            return
        if self.agent.currentData() is None:
            self.banner.show_message("Pick an agent.", "error")
            return
        if self.starts_at() < datetime.now().astimezone() and not self._past_accepted:
            self._past_accepted = True
            self.banner.show_message(
                f"{self.starts_at():%a %d %b %H:%M} has passed. Click again to record a past session.",
                "warning",
            )
            self.submit_button.setText(f"{self.submit_label} anyway")
            return
        self.submit_button.setEnabled(False)
        clear_notes(self.field_notes)
        try:
            if self._session is None:
                booked = await self._sessions.book(
                    str(self.agent.currentData()),
                    self.starts_at(),
                    self.ends_at(),
                    self.topic.text().strip(),
                    self.notes.toPlainText(),
                    initiator=self._initiator,
                )
            else:
                booked = await self._sessions.reschedule(
                    self._session.id, self.starts_at(), self.ends_at(), initiator=self._initiator
                )
        except SlotConflict as clash:
            self.banner.hide()
            self.show_clash(clash.clashes, clash.suggestions)
            return
        except ServiceError as error:
            show_refusal(error, self.field_notes, self.banner)
            self.adjustSize()  # the notes under the fields take room: the buttons move down, not over
            return
        finally:
            self.submit_button.setEnabled(True)
        self.sig_booked.emit(booked)
        self.accept()
