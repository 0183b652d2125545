"""``SyncService``: runs the sync engine on the qasync loop, on demand and on a timer."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.net import ApiError, ServerUnreachable
from desktop.services.changes import EVERYTHING, Changes, Entity
from desktop.services.runner import BlockingRunner
from desktop.services.status import SyncStatus
from desktop.storage import LocalCache
from desktop.sync import Backoff, SyncEngine, SyncReport
from shared.errors import ErrorCode


class SyncService(QObject):
    """Pushes the outbox and pulls changes; owns the app's online/offline state.

    ``sig_changed(Changes)`` is the app-wide change notice, and only this object emits it: the
    other services report their writes through ``announce``. Screens reload from their services
    when a notice concerns them, instead of calling each other.
    """

    sig_status = Signal(object)  # SyncStatus
    sig_changed = Signal(object)  # Changes
    sig_sync_failed = Signal(str)  # a refusal other than "unreachable" or an expired sign-in
    sig_sign_in_expired = Signal()  # the server refused the login, refresh token included

    def __init__(
        self,
        engine: SyncEngine,
        cache: LocalCache,
        runner: BlockingRunner,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.cache = cache
        self.run = runner
        self.backoff = backoff or Backoff()
        self.last_report: SyncReport | None = None
        self._online = True
        self._syncing = False
        self._live = False
        self._poked = False
        self._following_pokes: asyncio.Future[None] | None = None
        self._pending = 0
        self._last_sync: datetime | None = None
        self._interval: float | None = None
        self._current: asyncio.Future[SyncReport | None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

    @property
    def status(self) -> SyncStatus:
        return SyncStatus(self._online, self._last_sync, self._pending, self._syncing, self._live)

    @property
    def online(self) -> bool:
        return self._online

    # -- control -----------------------------------------------------------------------------

    def start(self, interval_s: float) -> None:
        """Sync now, then every ``interval_s`` seconds (with backoff while the server is away)."""
        self._interval = interval_s
        self._spawn(self.sync_now())

    def stop(self) -> None:
        self._interval = None
        self._timer.stop()

    async def sync_now(self, initiator: object | None = None) -> SyncReport | None:
        """Sync once; a call while a sync runs joins it. ``None`` when it could not finish.

        ``initiator`` goes out with the change notice of the sync it starts.
        """
        if self._current is None or self._current.done():
            self._current = asyncio.ensure_future(self._sync(initiator))
        return await asyncio.shield(self._current)

    def pull_after_poke(self) -> None:
        """The server says the feed moved: sync once more, starting after any sync running now
        (which may have read the feed before the change). Pokes that come meanwhile share it."""
        self._poked = True
        if self._following_pokes is None or self._following_pokes.done():
            self._following_pokes = asyncio.ensure_future(self._follow_pokes())

    async def _follow_pokes(self) -> None:
        while self._poked:
            self._poked = False
            if self._current is not None and not self._current.done():
                await asyncio.shield(self._current)
            await self.sync_now()

    # -- reports from the other services -------------------------------------------------------

    def set_live(self, live: bool) -> None:
        """The live-update stream opened (``True``) or closed."""
        if live != self._live:
            self._live = live
            if live:
                self.report_reachable()
            self.sig_status.emit(self.status)

    async def refresh_status(self) -> None:
        """Recount pending changes and re-read the last sync time, then publish the status."""
        user_id = self.engine.user_id
        self._pending = await self.run(partial(self.cache.outbox.pending_count, user_id)) if user_id else 0
        self._last_sync = await self.run(self.cache.last_sync)
        self.sig_status.emit(self.status)

    async def local_change(self, changes: Changes) -> None:
        """Something was written to the outbox (an offline edit): recount it and tell everyone."""
        await self.refresh_status()
        self.announce(changes)

    def announce(self, changes: Changes) -> None:
        """Send the change notice of a write another service made (nothing when nothing changed)."""
        if changes:
            self.sig_changed.emit(changes)

    def report_unreachable(self) -> None:
        if self._online:
            self._online = False
            self.sig_status.emit(self.status)
            self._schedule_next(retry_soon=True)

    def report_reachable(self) -> None:
        if not self._online:
            self._online = True
            self.backoff.reset()
            self.sig_status.emit(self.status)
            # Back online: push what waited in the outbox.
            self._spawn(self.sync_now())

    # -- internals ---------------------------------------------------------------------------

    async def _sync(self, initiator: object | None) -> SyncReport | None:
        if self.engine.user_id is None:
            return None
        self._syncing = True
        await self.refresh_status()
        report: SyncReport | None = None
        pending_before = self._pending
        retry_soon = True
        try:
            report = await self.engine.sync()
            self._online = True
            self.backoff.reset()
            retry_soon = False
        except ServerUnreachable:
            self._online = False
        except ApiError as exc:
            if exc.code is ErrorCode.UNAUTHORIZED:
                self.sig_sign_in_expired.emit()
            else:
                self.sig_sync_failed.emit(exc.detail)
        finally:
            self._syncing = False
            await self.refresh_status()
            self._schedule_next(retry_soon)
        self.last_report = report
        changes = changes_of(report, initiator) if report is not None else Changes(frozenset(), initiator)
        if self._pending != pending_before:
            # Pushed or settled outbox entries replace their sessions' local copies.
            changes = Changes(changes.entities | {Entity.SESSIONS}, initiator)
        self.announce(changes)
        return report

    def _schedule_next(self, retry_soon: bool) -> None:
        """The next try: the regular interval, or the backoff delay after a failed attempt."""
        if self._interval is None:
            return
        delay = self.backoff.next_delay() if retry_soon else self._interval
        self._timer.start(int(delay * 1000))

    def _on_timer(self) -> None:
        self._spawn(self.sync_now())

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def changes_of(report: SyncReport, initiator: object | None) -> Changes:
    """What one sync changed on screen: the pulled entities and the outbox's settled entries."""
    if report.snapshot:
        return Changes(EVERYTHING, initiator)  # a fresh snapshot also drops rows no page named
    entities = set(Changes.from_feed(report.pulled).entities)
    if report.applied or report.merged:
        entities.add(Entity.SESSIONS)
    if report.merge_conflicts or report.booking_conflicts or report.failed:
        entities |= {Entity.SESSIONS, Entity.CONFLICTS}
    return Changes(frozenset(entities), initiator)
