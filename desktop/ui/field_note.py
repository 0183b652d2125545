"""Plain words under a form field: what its value needs, after the server refused it."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QWidget

from desktop.services import Refused, ServiceError
from desktop.ui.widgets import Banner

FIELDS_MARKED = "Check the fields marked below."


class FieldNote(QLabel):
    """Hidden while there is nothing to say about its field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.hide()

    def say(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


def show_field_errors(error: ServiceError, notes: Mapping[str, FieldNote]) -> bool:
    """Each note shows its field's words from a refused ``validation_error`` (or clears); whether
    every field the server named had a note, so the banner need not repeat them."""
    fields = error.fields if isinstance(error, Refused) else {}
    for name, note in notes.items():
        note.say(fields.get(name, ""))
    return bool(fields) and set(fields) <= set(notes)


def clear_notes(notes: Mapping[str, FieldNote]) -> None:
    for note in notes.values():
        note.say("")


def show_refusal(error: ServiceError, notes: Mapping[str, FieldNote], banner: Banner) -> None:
    """A failed form's words: under its fields where the server named them, else in the banner."""
    banner.show_message(FIELDS_MARKED if show_field_errors(error, notes) else error.detail, "error")
