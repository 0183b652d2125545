"""The shape every screen shares: a page with a banner and one guarded async ``refresh``."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.services import Changes, Entity
from desktop.ui.async_slot import async_slot
from desktop.ui.widgets import Banner, PageHeader, error_text


class ScreenView(QWidget):
    """Subclasses implement ``load()``; ``refresh()`` runs it and shows failures in the banner.
    ``watches`` names what the screen shows: a change notice about anything else leaves it alone.

    A newer refresh supersedes an older one still waiting on the service, so a slow answer never
    overwrites a fresher one. ``sig_loaded`` fires after each successful load (tests wait on it).
    """

    sig_loaded = Signal()
    watches: ClassVar[frozenset[Entity]] = frozenset()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = PageHeader(title)
        self.banner = Banner()
        self._generation = 0
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 20, 24, 16)
        self.body.setSpacing(12)
        self.body.addWidget(self.header)
        self.body.addWidget(self.banner)

    def on_changes(self, changes: Changes) -> None:
        """Reload when the notice concerns this screen, unless this screen started the change
        (it reloaded itself already, knowing more about what to show)."""
        if changes.initiator is not self and changes.concerns(self.watches):
            self.refresh()

    @async_slot()
    async def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        try:
            await self.load(lambda: generation == self._generation)
        except Exception as error:  # noqa: BLE001 - shown to the user, the app stays usable
            if generation == self._generation:
                self.banner.show_message(error_text(error), "error")
            return
        if generation == self._generation:
            self.sig_loaded.emit()

    async def load(self, is_current: Callable[[], bool]) -> None:
        """Fetch through the services and feed the models; check ``is_current()`` after awaits."""
        raise NotImplementedError
