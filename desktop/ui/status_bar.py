"""Online/offline, last sync, pending changes and the "as of" time of what is on screen."""

from __future__ import annotations

from PySide6.QtWidgets import QStatusBar, QWidget

from desktop.models.formatting import format_short_time
from desktop.services import Answer, SyncStatus, is_offline
from desktop.ui.fitting import ElidedLabel


class SyncStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.connection = ElidedLabel("● Connecting…")
        self.last_sync = ElidedLabel("Not synced yet")
        self.pending = ElidedLabel("")
        self.as_of = ElidedLabel("")
        self.addWidget(self.connection)
        self.addWidget(self.last_sync)
        self.addWidget(self.pending)
        self.addPermanentWidget(self.as_of)
        self.online: bool | None = None

    def show_status(self, status: SyncStatus) -> None:
        """Takes the sync service's ``SyncStatus(online, last_sync, pending, syncing)``."""
        self.online = status.online
        if status.syncing:
            self.connection.setText("⟳ Syncing…")
            self.connection.setObjectName("online")
        elif status.online and status.live:
            self.connection.setText("● Live")
            self.connection.setObjectName("online")
        elif status.online:
            self.connection.setText("● Online")
            self.connection.setObjectName("online")
        else:
            self.connection.setText("● Offline — showing saved data")
            self.connection.setObjectName("offline")
        self.connection.style().unpolish(self.connection)
        self.connection.style().polish(self.connection)
        last = status.last_sync
        self.last_sync.setText(f"Last sync {format_short_time(last)}" if last else "Not synced yet")
        pending = status.pending
        self.pending.setText(
            "" if not pending else f"{pending} change{'s' if pending != 1 else ''} waiting to sync"
        )

    def show_answer(self, answer: Answer | None) -> None:
        """The "as of" time of what a screen shows; cached (offline) answers say so."""
        if answer is None:
            self.as_of.setText("")
        elif is_offline(answer):
            self.as_of.setText(f"Saved data as of {format_short_time(answer.as_of)}")
        else:
            self.as_of.setText(f"Data as of {format_short_time(answer.as_of)}")
