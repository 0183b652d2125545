"""What the status bar shows: online or not, last sync, pending changes, syncing now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """One snapshot of the connection and sync state, sent with ``SyncService.sig_status``."""

    online: bool
    last_sync: datetime | None
    pending: int
    syncing: bool
    live: bool = False  # the server's live-update stream is open: others' changes arrive at once
