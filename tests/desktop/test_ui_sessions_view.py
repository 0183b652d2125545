"""The sessions screen's edits against a fake session service: status changes and notes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop.services import Changes, Entity, Refused, Sessions
from desktop.ui.confirm import button_named
from desktop.ui.sessions_view import LIST_TAB, NotesDialog, SessionsView
from shared.directory import Agent
from shared.errors import ErrorCode
from shared.sessions import Session, SessionStatus
from shared.types import utcnow
from tests.desktop.conftest import settled
from tests.desktop.test_models import NOW, session
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning

ADA = Agent(
    id="a1", name="Ada", email="ada@example.test", team_id=None, employee_code=None, active=True, version=1
)


class FakeSessions(Sessions):
    """Lists what it holds; records every write (and who started it), raising ``refusal`` if set."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = sessions
        self.writes: list[tuple[Any, ...]] = []
        self.initiators: list[object | None] = []
        self.loads = 0
        self.refusal: Refused | None = None

    async def list_range(self, start: datetime, end: datetime, team_id: str | None = None) -> list[Session]:
        self.loads += 1
        return list(self.sessions)

    async def book(
        self,
        agent_id: str,
        starts_at: datetime,
        ends_at: datetime,
        topic: str,
        notes: str = "",
        coach_id: str | None = None,
        *,
        initiator: object | None = None,
    ) -> Session:
        self._write(initiator, "book", agent_id, starts_at, ends_at, topic, notes)
        booked = session(f"s{len(self.sessions) + 1}", 0).model_copy(
            update={"agent_id": agent_id, "starts_at": starts_at, "ends_at": ends_at, "topic": topic}
        )
        self.sessions.append(booked)
        return booked

    async def reschedule(
        self, session_id: str, starts_at: datetime, ends_at: datetime, *, initiator: object | None = None
    ) -> Session:
        self._write(initiator, "reschedule", session_id, starts_at, ends_at)
        return self.replace(session_id, starts_at=starts_at, ends_at=ends_at)

    def replace(self, session_id: str, **changes: object) -> Session:
        """The session as changed (by us, or by someone else between two loads)."""
        [index] = [i for i, s in enumerate(self.sessions) if s.id == session_id]
        self.sessions[index] = self.sessions[index].model_copy(update=changes)
        return self.sessions[index]

    async def set_status(
        self, session_id: str, status: SessionStatus, *, initiator: object | None = None
    ) -> Session:
        return self._write(initiator, "status", session_id, status)

    async def edit_notes(self, session_id: str, notes: str, *, initiator: object | None = None) -> Session:
        return self._write(initiator, "notes", session_id, notes)

    def _write(self, initiator: object | None, *call: Any) -> Session:
        self.writes.append(call)
        self.initiators.append(initiator)
        if self.refusal is not None:
            raise self.refusal
        return self.sessions[0]


def hours_from_now(hours: int) -> int:
    """The ``hours`` argument of ``session`` for a session about ``hours`` from now."""
    return int((utcnow() - NOW).total_seconds() // 3600) + hours


def asked(qtbot: QtBot, view: SessionsView, button: QPushButton) -> QMessageBox:
    """Click an action button; the confirmation it opens."""
    with qtbot.waitSignal(view.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    box = opened.args[0]
    assert isinstance(box, QMessageBox)
    return box


def loaded_view(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, service: FakeSessions) -> SessionsView:
    view = SessionsView(service)
    qtbot.addWidget(view)
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.refresh()
    view._select("s1")
    return view


def test_a_status_change_goes_to_the_service_and_reloads_the_week(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", 2)])
    view = loaded_view(qtbot, qloop, service)
    box = asked(qtbot, view, view.complete_button)
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(button_named(box, "Mark completed"), Qt.MouseButton.LeftButton)
    assert service.writes == [("status", "s1", SessionStatus.COMPLETED)]
    assert service.initiators == [view]  # its own change notice passes it by: it reloads itself
    assert service.loads == 2
    assert view.banner.isHidden()


def test_a_refused_status_change_shows_why_and_does_not_reload(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", 2)])
    service.refusal = Refused(ErrorCode.VALIDATION_ERROR, "The session was cancelled meanwhile")
    view = loaded_view(qtbot, qloop, service)
    box = asked(qtbot, view, view.cancel_button)
    with loop_turning(qloop):
        qtbot.mouseClick(button_named(box, "Cancel session"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not view.banner.isHidden(), timeout=TIMEOUT_MS)
    assert service.writes == [("status", "s1", SessionStatus.CANCELLED)]
    assert view.banner.text.text() == "The session was cancelled meanwhile"
    assert service.loads == 1


def test_cancelling_asks_first_and_keeping_it_changes_nothing(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", 2)])
    view = loaded_view(qtbot, qloop, service)
    view.set_agents([ADA])
    box = asked(qtbot, view, view.cancel_button)
    when = service.sessions[0].starts_at.astimezone()
    assert box.text() == f"Cancel Topic s1 with Ada on {when:%a %d %b %H:%M}?"
    with loop_turning(qloop):
        qtbot.keyClick(box, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not box.isVisible(), timeout=TIMEOUT_MS)
    assert service.writes == []
    assert service.loads == 1


def test_a_session_that_has_not_started_cannot_be_marked_completed_or_no_show(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", hours_from_now(48))])
    view = loaded_view(qtbot, qloop, service)
    assert view.cancel_button.isEnabled() and view.reschedule_button.isEnabled()
    assert not view.complete_button.isEnabled() and not view.no_show_button.isEnabled()
    assert view.complete_button.toolTip() == "Only once the session has started."


def test_saved_notes_go_to_the_service_and_reload_the_week(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", 2)])
    view = loaded_view(qtbot, qloop, service)
    dialog = view.edit_notes()
    assert isinstance(dialog, NotesDialog)
    dialog.editor.setPlainText("Listen to two calls together")
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        dialog.accept()
    assert service.writes == [("notes", "s1", "Listen to two calls together")]


def shown_view(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, service: FakeSessions) -> SessionsView:
    view = SessionsView(service)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.refresh()
    return view


def test_rows_chosen_with_the_keyboard_are_what_the_actions_and_enter_act_on(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", 2), session("s2", 4), session("s3", 6)])
    view = shown_view(qtbot, qloop, service)
    tabs = view.tabs.tabBar()
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(LIST_TAB).center())
    first = view.table.visualRect(view.table.proxy.index(0, 0)).center()
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=first)
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert view.selected_id == "s2"
    assert "Topic s2" in view.selection_label.text()

    with qtbot.waitSignal(view.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.mouseClick(view.notes_button, Qt.MouseButton.LeftButton)
    dialog = opened.args[0]
    assert isinstance(dialog, NotesDialog)
    dialog.reject()

    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    with qtbot.waitSignal(view.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    dialog = opened.args[0]
    dialog.editor.setPlainText("Keyboard notes")
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        dialog.accept()
    assert service.writes == [("notes", "s3", "Keyboard notes")]


def test_the_week_calendar_takes_the_arrows_and_enter(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    service = FakeSessions([session("s1", 2), session("s2", 4)])
    view = shown_view(qtbot, qloop, service)
    view.show_week(service.sessions[0].starts_at.astimezone().date())
    view.calendar.setFocus()
    qtbot.keyClick(view.calendar, Qt.Key.Key_Right)
    assert view.selected_id == "s1"
    qtbot.keyClick(view.calendar, Qt.Key.Key_Right)
    assert view.selected_id == "s2" and view.calendar.selected_id == "s2"
    with qtbot.waitSignal(view.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.keyClick(view.calendar, Qt.Key.Key_Enter)
    assert isinstance(opened.args[0], NotesDialog)
    opened.args[0].reject()


def test_the_banner_says_what_the_last_change_did_or_goes_away(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", hours_from_now(30))])
    view = shown_view(qtbot, qloop, service)
    view.set_agents([ADA])
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.show_week(service.sessions[0].starts_at.astimezone().date())
    view.calendar.setFocus()
    qtbot.keyClick(view.calendar, Qt.Key.Key_Right)

    with qtbot.waitSignal(view.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.mouseClick(view.reschedule_button, Qt.MouseButton.LeftButton)
    dialog = opened.args[0]
    dialog.set_start(service.sessions[0].starts_at + timedelta(hours=2))
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert view.banner.isVisibleTo(view)
    assert view.banner.text.text().startswith("Moved Topic s1 to ")

    # Cancelled elsewhere: the notice reloads the week, and "Moved" no longer holds.
    service.replace("s1", status=SessionStatus.CANCELLED)
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.on_changes(Changes.of(Entity.SESSIONS))
    assert not view.banner.isVisibleTo(view)


def test_a_booking_in_the_past_is_warned_about_before_it_is_made(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", hours_from_now(30))])
    view = shown_view(qtbot, qloop, service)
    view.set_agents([ADA])
    yesterday = utcnow() - timedelta(days=1)
    dialog = view.open_book_dialog(starts_at=yesterday, agent_id="a1")
    qtbot.addWidget(dialog)
    dialog.topic.setText("Call review")
    with loop_turning(qloop):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.banner.isVisibleTo(dialog), timeout=TIMEOUT_MS)
    assert "has passed" in dialog.banner.text.text()
    assert dialog.submit_button.text() == "Book session anyway"
    assert service.writes == []

    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_booked, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert [call[0] for call in service.writes] == ["book"]
    qloop.run_until_complete(settled())
