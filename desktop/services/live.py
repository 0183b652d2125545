"""``LiveService``: one live-update stream per signed-in app, and a pull on every poke.

A poke only says that the change feed moved; the pull is what brings the data, so a lost poke
costs latency and never a change. While the stream is down it is opened again after a backoff,
announcing the last sequence it saw (``Last-Event-ID``) so the server pokes at once when the feed
moved meanwhile. A server without live updates (404) is asked again only rarely; the timed sync
carries on either way.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject

from desktop.net import ApiClient, ApiError, ServerUnreachable
from desktop.net.events import pokes
from desktop.services.sync import SyncService
from desktop.sync import Backoff

log = logging.getLogger(__name__)

UNAVAILABLE_RETRY_S = 300.0


class LiveService(QObject):
    """Keeps the stream open while started; the sync service shows "Live" while it is."""

    def __init__(
        self,
        api: ApiClient,
        sync: SyncService,
        backoff: Backoff | None = None,
        unavailable_retry_s: float = UNAVAILABLE_RETRY_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api = api
        self.sync = sync
        self.backoff = backoff or Backoff(first=1.0, cap=30.0)
        self.unavailable_retry_s = unavailable_retry_s
        self.last_event_id: int | None = None
        self._task: asyncio.Future[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Open the stream (again whenever it breaks) until ``stop``."""
        if not self.running:
            self.last_event_id = None
            self._task = asyncio.ensure_future(self._keep_listening())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.sync.set_live(False)

    async def aclose(self) -> None:
        """``stop``, and wait until the stream's connection is closed."""
        task = self._task
        self.stop()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def _keep_listening(self) -> None:
        while True:
            delay = await self._listen_once()
            self.sync.set_live(False)
            await asyncio.sleep(delay)

    async def _listen_once(self) -> float:
        """Listen until the stream ends; returns how long to wait before opening it again."""
        try:
            async for seq in pokes(self.api, self.last_event_id, on_open=self._opened):
                self.last_event_id = seq
                self.sync.pull_after_poke()
        except ApiError as exc:
            if exc.status == 404:
                return self.unavailable_retry_s
            log.info("live updates refused: %s", exc.detail)
        except ServerUnreachable as exc:
            log.info("live updates interrupted: %s", exc)
        return self.backoff.next_delay()

    def _opened(self) -> None:
        self.backoff.reset()
        self.sync.set_live(True)
