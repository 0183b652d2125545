"""Screens against the real services and the in-process server: conflict decisions, scorecard export
(the password reset is in test_sign_in_form.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from desktop.demo.scenario import edit_on_both_sides, push_offline_clash, upcoming_scheduled
from desktop.net import ApiClient
from desktop.services import Services
from desktop.ui.confirm import button_named
from desktop.ui.conflicts_view import ConflictsView
from desktop.ui.merge_field import EDIT, THEIRS, display_value
from desktop.ui.scorecard_view import ScorecardView
from shared.auth import Role
from shared.sessions import Session, SessionStatus
from shared.types import utcnow
from tests.desktop.conftest import InProcessServer, Run, SwitchableTransport
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning


def other_device(server: InProcessServer, network: SwitchableTransport, run: Run[Any]) -> ApiClient:
    login = server.login(Role.TEAM_LEADER)
    client = ApiClient(server.base_url, transport=network)
    run(client.login(login.email, login.password))
    return client


@pytest.fixture
def parked_clash(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    synced_services: Services,
    server: InProcessServer,
    network: SwitchableTransport,
) -> tuple[ConflictsView, Session]:
    """Another device's offline booking onto a taken slot, synced; the Conflicts screen showing it,
    and the session it clashes with."""
    services = synced_services
    now = utcnow()
    upcoming = upcoming_scheduled(run(services.sessions.list_range(now, now.replace(year=now.year + 1))), now)
    device = other_device(server, network, run)
    try:
        run(push_offline_clash(device, upcoming[0]))
    finally:
        run(device.aclose())
    run(services.sync.sync_now())

    view = ConflictsView(services.conflicts)
    qtbot.addWidget(view)
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.refresh()
    return view, upcoming[0]


def test_booking_clash_is_moved_to_a_suggested_slot(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    synced_services: Services,
    parked_clash: tuple[ConflictsView, Session],
) -> None:
    services = synced_services
    view, taken = parked_clash
    assert view.model.rowCount() == 1
    item = view.current
    assert item is not None and item.kind == "booking"
    assert taken.topic in view.booking_text.text()
    slot_buttons = [view.slot_buttons.itemAt(i).widget() for i in range(view.slot_buttons.count())]
    slot_buttons = [button for button in slot_buttons if button is not None and button.objectName() == "slot"]
    assert slot_buttons, "the clash comes with suggested slots"
    suggestion = item.payload.suggestions[0]
    with loop_turning(qloop):
        with qtbot.waitSignal(view.sig_resolved, timeout=TIMEOUT_MS):
            qtbot.mouseClick(slot_buttons[0], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=TIMEOUT_MS)
    moved = run(services.api.get_session(item.id))
    assert moved.status is SessionStatus.SCHEDULED
    assert (moved.starts_at, moved.ends_at) == (suggestion.starts_at, suggestion.ends_at)


def test_edit_conflict_shows_mine_theirs_base_and_applies_an_edited_value(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    synced_services: Services,
    server: InProcessServer,
    network: SwitchableTransport,
) -> None:
    services = synced_services
    now = utcnow()
    session = upcoming_scheduled(run(services.sessions.list_range(now, now.replace(year=now.year + 1))), now)[
        0
    ]
    device = other_device(server, network, run)
    try:
        run(edit_on_both_sides(services, device, session))
    finally:
        run(device.aclose())

    view = ConflictsView(services.conflicts)
    qtbot.addWidget(view)
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.refresh()
    assert view.current is not None and view.current.kind == "merge"
    record = view.current.payload
    assert record.fields == ["notes"]
    view.resize(1100, 700)
    view.show()
    panel = view.field_panels["notes"]
    # Before, mine and theirs are shown in full, each in its own box.
    assert [box.text() for box in (panel.before_text, panel.mine_text, panel.theirs_text)] == [
        display_value("notes", record.base.get("notes")),
        record.mine["notes"],
        record.theirs["notes"],
    ]
    assert view.chosen_values() == {"notes": record.mine["notes"]}
    assert not panel.editor.isVisible(), "the editor shows only for Edit"
    qtbot.mouseClick(panel.group.button(THEIRS), Qt.MouseButton.LeftButton)
    assert view.chosen_values() == {"notes": record.theirs["notes"]}

    # Edit: a multi-line editor that starts from mine.
    qtbot.mouseClick(panel.group.button(EDIT), Qt.MouseButton.LeftButton)
    assert isinstance(panel.editor, QPlainTextEdit) and panel.editor.isVisible()
    assert panel.editor.toPlainText() == record.mine["notes"]
    edited = "Both: shorter holds.\nAnd see call 4711."
    view.merge_choice("notes", "edit", edited)
    assert view.chosen_values() == {"notes": edited}
    with loop_turning(qloop):
        with qtbot.waitSignal(view.sig_resolved, timeout=TIMEOUT_MS):
            qtbot.mouseClick(view.apply_merge_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=TIMEOUT_MS)
    assert run(services.api.get_session(session.id)).notes == edited


def test_scorecard_exports_pdf_and_csv(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, synced_services: Services, run: Run[Any], tmp_path: Path
) -> None:
    period = f"{utcnow():%Y-%m}"
    dashboard = run(synced_services.dashboards.team_dashboard(period))
    view = ScorecardView(synced_services.dashboards)
    qtbot.addWidget(view)
    view.resize(1100, 760)
    view.set_agents([row.agent for row in dashboard.agents])
    agent = dashboard.agents[0].agent
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.open_agent(agent.id, period)
    pdf = view.export_pdf(tmp_path / "card.pdf")
    csv_path = view.export_csv(tmp_path / "card.csv")
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 5_000, "the PDF carries the table and the chart"
    assert csv_path is not None
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"agent,{agent.name},period,{period}"
    assert lines[1].startswith("kpi,name,unit,value,target")
    assert (
        len([line for line in lines if line.startswith(("aht,", "csat,", "fcr,", "qa,", "adherence,"))]) == 5
    )


def test_declining_a_clash_asks_first(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    synced_services: Services,
    parked_clash: tuple[ConflictsView, Session],
) -> None:
    view, _taken = parked_clash
    item = view.current
    assert item is not None and item.kind == "booking"
    with qtbot.waitSignal(view.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.mouseClick(view.decline_button, Qt.MouseButton.LeftButton)
    with loop_turning(qloop):
        qtbot.mouseClick(button_named(opened.args[0], "Keep it"), Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == 1
    assert run(synced_services.api.get_session(item.id)).status is SessionStatus.CONFLICT

    with qtbot.waitSignal(view.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.mouseClick(view.decline_button, Qt.MouseButton.LeftButton)
    assert "Decline" in opened.args[0].text()
    with loop_turning(qloop):
        with qtbot.waitSignal(view.sig_resolved, timeout=TIMEOUT_MS):
            qtbot.mouseClick(button_named(opened.args[0], "Decline booking"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=TIMEOUT_MS)
    assert run(synced_services.api.get_session(item.id)).status is not SessionStatus.CONFLICT
