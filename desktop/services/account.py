"""What every data service of a signed-in user shares: the client, the cache, the sign-in, sync."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtCore import QObject

from desktop.net import ApiClient, ApiError, ServerUnreachable
from desktop.services.auth import AuthService
from desktop.services.runner import BlockingRunner
from desktop.services.sync import SyncService
from desktop.storage import LocalCache
from shared.auth import Me
from shared.errors import ErrorCode

T = TypeVar("T")


class AccountService(QObject):
    """Base of the dashboard, directory, session and conflict services."""

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
        self._set_up()

    def _set_up(self) -> None:
        """A subclass's own state and connections, made once the shared ones above are in place."""

    def _me(self) -> Me:
        if self.auth.me is None:
            raise RuntimeError("sign in first")
        return self.auth.me

    async def _online_or_cached(
        self, online: Callable[[], Awaitable[T]], from_cache: Callable[[], T]
    ) -> tuple[T, bool]:
        """The server's answer; when it is out of reach or overloaded, the cache's (read off the
        GUI thread). The flag says whether the answer came from the cache."""
        try:
            answer = await online()
        except ServerUnreachable:
            self.sync.report_unreachable()
        except ApiError as exc:
            if exc.code is not ErrorCode.OVERLOADED:
                raise
        else:
            self.sync.report_reachable()
            return answer, False
        return await self.run(from_cache), True
