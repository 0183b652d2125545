"""The week calendar covers the whole day, opens at working hours, scrolls with the keyboard, and a
30-minute block still names its agent, with the details in a tooltip."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from desktop.ui.sessions_view import SessionsView
from desktop.ui.week_calendar import DayScroller, week_start
from shared.directory import Agent
from tests.desktop.test_models import session
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning
from tests.desktop.test_ui_sessions_view import FakeSessions

LONG_NAME = "Alexandra Montgomery-Featherstonehaugh"


def local_on_wednesday(hour: int, minute: int) -> datetime:
    wednesday = week_start(datetime.now().date()) + timedelta(days=2)
    return datetime.combine(wednesday, time(hour, minute)).astimezone()


def at(session_id: str, start: datetime, minutes: int) -> object:
    return session(session_id, 0).model_copy(
        update={
            "starts_at": start,
            "ends_at": start + timedelta(minutes=minutes),
            "notes": "Bring the QA form.",
        }
    )


def test_early_and_late_sessions_are_on_the_calendar_and_a_short_one_names_its_agent(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    early = at("early", local_on_wednesday(7, 30), 30)
    late = at("late", local_on_wednesday(19, 0), 60)
    service = FakeSessions([early, late])  # type: ignore[list-item]
    view = SessionsView(service)
    qtbot.addWidget(view)
    view.set_agents(
        [
            Agent(
                id="a1",
                name=LONG_NAME,
                email="a@example.test",
                team_id=None,
                employee_code=None,
                active=True,
                version=1,
            )
        ]
    )
    view.resize(1280 - 210, 640)
    view.show()
    qtbot.waitExposed(view)
    with loop_turning(qloop), qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT_MS):
        view.refresh()
    calendar = view.calendar
    scroller = view.tabs.widget(0)
    assert isinstance(scroller, DayScroller)

    # It opens at the working day: 08:00 near the top, 07:30 just above, reachable by scrolling.
    qtbot.waitUntil(lambda: scroller.verticalScrollBar().value() > 0, timeout=TIMEOUT_MS)
    top = scroller.verticalScrollBar().value()
    assert calendar.y_of_hour(7) <= top + calendar.y_of_hour(0) <= calendar.y_of_hour(8)

    calendar.repaint()
    blocks = {s.id: rect for rect, s in calendar._blocks}
    assert blocks["early"].top() < calendar.y_of_hour(8) < blocks["late"].top()

    # A 30-minute block: one line, the agent first (elided), never just the time.
    [line] = calendar.block_texts["early"]
    assert line.startswith(LONG_NAME[:4])

    # Page Down reaches the evening: the 19:00 session comes into view.
    def visible(rect_name: str) -> bool:
        rect = blocks[rect_name]
        seen = scroller.verticalScrollBar().value()
        return seen <= rect.top() and rect.bottom() <= seen + scroller.viewport().height()

    assert not visible("late")
    for _ in range(6):
        qtbot.keyClick(scroller, Qt.Key.Key_PageDown)
    assert visible("late")
    assert calendar.header_top == scroller.verticalScrollBar().value(), "the day names stay in view"

    # Hovering a block: its details as the tooltip.
    centre = blocks["late"].center()
    qtbot.mouseMove(calendar, QPoint(int(centre.x()), int(centre.y())))
    qtbot.waitUntil(lambda: LONG_NAME in calendar.toolTip(), timeout=TIMEOUT_MS)
    tip = calendar.toolTip()
    assert "19:00" in tip and late.topic in tip and "Bring the QA form." in tip  # type: ignore[attr-defined]
