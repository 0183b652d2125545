"""A value the contract refuses is said in plain words under its field, never as validator text."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.net import ApiError
from desktop.services import Services
from desktop.services.errors import refusal
from desktop.services.validation import field_errors, plain_words
from desktop.ui.book_dialog import BookSessionDialog
from shared.errors import ErrorCode
from shared.types import utcnow
from tests.desktop.conftest import Run
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning


def bottom_in(dialog: QWidget, widget: QWidget) -> int:
    return widget.mapTo(dialog, QPoint(0, widget.height())).y()


def top_in(dialog: QWidget, widget: QWidget) -> int:
    return widget.mapTo(dialog, QPoint(0, 0)).y()


def test_a_topic_over_200_characters_is_said_under_the_topic_and_the_buttons_stay_clear(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, run: Run[Any], synced_services: Services
) -> None:
    agents = run(synced_services.directory.agents())
    starts = (utcnow() + timedelta(days=9)).replace(hour=6, minute=0, second=0, microsecond=0)
    dialog = BookSessionDialog(synced_services.sessions, agents, starts_at=starts)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.topic.setFocus()
    qtbot.keyClicks(dialog.topic, "x" * 201)
    with loop_turning(qloop):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.field_notes["topic"].isVisible(), timeout=TIMEOUT_MS)
    assert dialog.field_notes["topic"].text() == "Use at most 200 characters."
    assert dialog.banner.text.text() == "Check the fields marked below."
    assert dialog.isVisible(), "nothing was booked"
    assert top_in(dialog, dialog.submit_button) >= bottom_in(dialog, dialog.notes)
    assert top_in(dialog, dialog.field_notes["topic"]) >= bottom_in(dialog, dialog.topic)

    # Shortened, the note goes and the booking goes through.
    qtbot.keyClick(dialog.topic, Qt.Key.Key_Backspace)
    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_booked, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert not dialog.field_notes["topic"].isVisible()


def test_the_servers_validation_errors_become_plain_words_per_field() -> None:
    problem = {
        "code": "validation_error",
        "errors": [
            {
                "loc": ["body", "new_password"],
                "message": "String should have at least 8 characters",
                "type": "string_too_short",
            },
            {
                "loc": ["body", "email"],
                "message": "value is not a valid email address: no @",
                "type": "value_error",
            },
            {"loc": ["body", "topic"], "message": "Field required", "type": "missing"},
            {
                "loc": ["query", "limit"],
                "message": "Input should be less than or equal to 200",
                "type": "less_than_equal",
            },
        ],
    }
    assert field_errors(problem) == {
        "new_password": "Use at least 8 characters.",
        "email": "That is not an email address.",
        "topic": "Fill this in.",
        "limit": "This value is out of range.",
    }
    assert plain_words("string_too_long", "String should have at most 10_000 characters") == (
        "Use at most 10000 characters."
    )


def test_a_servers_validation_error_is_refused_in_plain_words() -> None:
    problem = {
        "code": "validation_error",
        "detail": "The request body or parameters are not valid.",
        "errors": [
            {
                "loc": ["body", "reason"],
                "message": "String should have at most 1000 characters",
                "type": "string_too_long",
            }
        ],
    }
    refused = refusal(ApiError(422, ErrorCode.VALIDATION_ERROR, str(problem["detail"]), problem))
    assert refused.fields == {"reason": "Use at most 1000 characters."}
    assert refused.detail == "Reason: Use at most 1000 characters."
