"""The change notice in the real window over the in-process server: one booking costs its POST and
one reload of the sessions, a sync reloads only the screens its changes concern, and the Conflicts
badge has one source."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.services import Services
from desktop.ui.book_dialog import BookSessionDialog
from desktop.ui.main_window import CONFLICTS
from shared.sessions import Session, SessionCreate
from shared.types import utcnow
from tests.desktop.conftest import InProcessServer, Run, SwitchableTransport, settled, started_window
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning
from tests.desktop.test_ui_views import other_device


def requests_since(network: SwitchableTransport, before: int) -> list[tuple[str, str]]:
    return [(request.method, request.url.path) for request in network.requests[before:]]


def counting(monkeypatch: pytest.MonkeyPatch, service: object, name: str) -> list[None]:
    """Count the calls of one async method of a service (the screens call it through the service)."""
    calls: list[None] = []
    method: Callable[..., Awaitable[Any]] = getattr(service, name)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(None)
        return await method(*args, **kwargs)

    monkeypatch.setattr(service, name, counted)
    return calls


def refused_notes_edit(services: Services, run: Run[Any], notes: str, code: str, detail: str) -> Session:
    """A notes edit of an upcoming session, queued and then refused by the server as ``code``."""
    me = services.auth.me
    assert me is not None
    now = utcnow()
    session = run(services.sessions.list_range(now, now + timedelta(days=60)))[0]
    outbox = services.cache.outbox
    outbox.queue_update(me.id, session.id, {"notes": notes})
    [entry] = outbox.entries(me.id)
    outbox.mark_failed(entry.mutation_id, code, detail)
    return session


def test_one_booking_costs_the_post_and_one_reload_of_the_sessions(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    synced_services: Services,
    network: SwitchableTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = started_window(qtbot, run, synced_services)
    agent = window.sessions._agents[0]
    starts = (utcnow() + timedelta(days=3)).replace(hour=5, minute=0, second=0, microsecond=0)
    sessions_loads = counting(monkeypatch, synced_services.sessions, "list_range")
    before = len(network.requests)

    dialog = window.sessions.open_book_dialog(starts_at=starts, agent_id=agent.id)
    assert isinstance(dialog, BookSessionDialog)
    qtbot.addWidget(dialog)
    dialog.topic.setText("Hold time")
    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_booked, timeout=TIMEOUT_MS) as booked:
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    run(settled())

    assert requests_since(network, before) == [("POST", "/api/v1/sessions")]
    assert len(sessions_loads) == 1
    assert window.sessions.model.row_of(booked.args[0].id) >= 0


def test_a_sync_reloads_only_the_screens_its_changes_concern(
    qtbot: QtBot,
    run: Run[Any],
    synced_services: Services,
    server: InProcessServer,
    network: SwitchableTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Someone else books a session: the next sync pulls it; sessions and conflicts reload, the
    dashboards, the scorecard and the directory do not ask the server again."""
    window = started_window(qtbot, run, synced_services)
    sessions_loads = counting(monkeypatch, synced_services.sessions, "list_range")
    agent = window.sessions._agents[0]
    starts = (utcnow() + timedelta(days=4)).replace(hour=5, minute=0, second=0, microsecond=0)
    device = other_device(server, network, run)
    try:
        booking = SessionCreate(
            agent_id=agent.id, starts_at=starts, ends_at=starts + timedelta(hours=1), topic="CSAT"
        )
        run(device.book_session(booking, idempotency_key=str(uuid.uuid4())))
    finally:
        run(device.aclose())
    before = len(network.requests)

    async def sync() -> None:
        await synced_services.sync.sync_now()
        await settled()

    run(sync())
    assert {path for _method, path in requests_since(network, before)} == {
        "/api/v1/sync/changes",
        "/api/v1/conflicts",  # the Conflicts screen lists the server's parked clashes
    }
    assert len(sessions_loads) == 1


def test_the_conflicts_badge_has_one_source_and_counts_what_the_screen_lists(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, run: Run[Any], synced_services: Services
) -> None:
    """A change the server refused waits for the user: the badge counts it, the Conflicts screen
    lists it, and discarding it there clears both."""
    services = synced_services
    refused_notes_edit(services, run, "refused by the server", "validation_error", "Notes are locked")
    outbox = services.cache.outbox
    window = started_window(qtbot, run, services)
    assert services.conflicts.count == 1
    assert window.nav.item(CONFLICTS).text() == "Conflicts  (1)"

    with loop_turning(qloop), qtbot.waitSignal(window.conflicts.sig_loaded, timeout=TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
        window.conflicts.refresh()
    run(settled())
    view = window.conflicts
    assert window.nav.item(CONFLICTS).text() == "Conflicts  (1)"
    assert view.model.rowCount() == 1
    assert "Notes are locked" in view.failed_text.text()
    assert "notes" in view.failed_text.text()

    with loop_turning(qloop), qtbot.waitSignal(view.sig_resolved, timeout=TIMEOUT_MS):
        qtbot.mouseClick(view.discard_button, Qt.MouseButton.LeftButton)
    run(settled())
    assert view.model.rowCount() == 0
    assert services.conflicts.count == 0
    assert window.nav.item(CONFLICTS).text() == "Conflicts"
    assert outbox.entries(services.auth.me.id, state=None) == []  # type: ignore[union-attr]


def test_a_refused_change_sent_again_from_the_conflicts_screen_reaches_the_server(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, run: Run[Any], synced_services: Services
) -> None:
    services = synced_services
    session = refused_notes_edit(services, run, "sent again", "overloaded", "Try again in a minute")
    window = started_window(qtbot, run, services)
    view = window.conflicts
    assert view.model.rowCount() == 1

    with loop_turning(qloop), qtbot.waitSignal(view.sig_resolved, timeout=TIMEOUT_MS):
        qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
    run(settled())
    assert view.model.rowCount() == 0
    assert window.nav.item(CONFLICTS).text() == "Conflicts"
    assert run(services.api.get_session(session.id)).notes == "sent again"
