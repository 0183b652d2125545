"""The sessions screen's edits against a fake session service: status changes and notes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pytestqt.qtbot import QtBot

from desktop.ui.sessions_view import NotesDialog, SessionsView
from shared.sessions import Session, SessionStatus
from tests.desktop.test_models import session
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning


class FakeSessions:
    """Lists what it holds; records every write and raises ``refusal`` when one is set."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = sessions
        self.writes: list[tuple[Any, ...]] = []
        self.loads = 0
        self.refusal: Exception | None = None

    async def list_range(self, start: datetime, end: datetime) -> list[Session]:
        self.loads += 1
        return list(self.sessions)

    async def set_status(self, session_id: str, status: SessionStatus) -> None:
        self._write("status", session_id, status)

    async def edit_notes(self, session_id: str, notes: str) -> None:
        self._write("notes", session_id, notes)

    def _write(self, *call: Any) -> None:
        self.writes.append(call)
        if self.refusal is not None:
            raise self.refusal


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
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.complete_button.click()
    assert service.writes == [("status", "s1", SessionStatus.COMPLETED)]
    assert service.loads == 2
    assert view.banner.isHidden()


def test_a_refused_status_change_shows_why_and_does_not_reload(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    service = FakeSessions([session("s1", 2)])
    service.refusal = RuntimeError("The session was cancelled meanwhile")
    view = loaded_view(qtbot, qloop, service)
    with loop_turning(qloop):
        view.cancel_button.click()
        qtbot.waitUntil(lambda: not view.banner.isHidden(), timeout=TIMEOUT_MS)
    assert service.writes == [("status", "s1", SessionStatus.CANCELLED)]
    assert view.banner.text.text() == "The session was cancelled meanwhile"
    assert service.loads == 1


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
