"""What every data service of a signed-in user shares: the client, the cache, the sign-in, sync."""

from __future__ import annotations

from PySide6.QtCore import QObject

from desktop.net import ApiClient
from desktop.services.auth import AuthService
from desktop.services.runner import BlockingRunner
from desktop.services.sync import SyncService
from desktop.storage import LocalCache
from shared.auth import Me


class AccountService(QObject):
    """Base of the dashboard, session and conflict services."""

    def __init__(
        self,
        api: ApiClient,
        cache: LocalCache,
        auth: AuthService,
        sync: SyncService,
        runner: BlockingRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api = api
        self.cache = cache
        self.auth = auth
        self.sync = sync
        self.run = runner

    def _me(self) -> Me:
        if self.auth.me is None:
            raise RuntimeError("sign in first")
        return self.auth.me
