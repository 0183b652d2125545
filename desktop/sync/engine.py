"""The sync engine: push the outbox in order, then pull the change feed into the cache.

Plain asyncio, no Qt. Cache work blocks, so it goes through ``run_blocking`` (an executor): the
loop that drives the network never waits on SQLite. Every push result is settled explicitly:
applied → the server's copy replaces the local one; ``version_conflict`` → three-way merge, queued
again when clean, else kept as a conflict for the user; ``slot_conflict`` → kept as a booking
conflict; rejected → kept as failed. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from desktop.net import ApiClient, ApiError
from desktop.storage import LocalCache, OutboxEntry
from desktop.storage.outbox import EDITABLE_FIELDS
from desktop.storage.rows import canonical_session
from desktop.sync.merge import three_way_merge
from shared.errors import ErrorCode
from shared.sync import ChangesPage, Mutation, MutationResult, PushRequest

T = TypeVar("T")
Blocking = Callable[[Callable[[], T]], Awaitable[T]]

PAGE_SIZE = 1000
PUSH_BATCH = 500
MAX_PUSH_ROUNDS = 5
MAX_RESNAPSHOTS = 2


async def in_thread(function: Callable[[], T]) -> T:
    return await asyncio.to_thread(function)


@dataclass
class SyncReport:
    """What one sync did, in counts and seconds."""

    pages: int = 0
    rows: int = 0
    apply_seconds: float = 0.0
    snapshot: bool = False
    applied: int = 0
    merged: int = 0
    merge_conflicts: int = 0
    booking_conflicts: int = 0
    failed: int = 0
    seconds: float = 0.0
    page_seconds: list[float] = field(default_factory=list)
    pulled: set[str] = field(default_factory=set)  # the feed's entity names in what was pulled

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.apply_seconds if self.apply_seconds else 0.0


class SyncEngine:
    """Keeps one account's cache in step with the server."""

    def __init__(
        self,
        api: ApiClient,
        cache: LocalCache,
        *,
        run_blocking: Blocking[Any] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.api = api
        self.cache = cache
        self.run: Blocking[Any] = run_blocking or in_thread
        self.page_size = page_size
        self.user_id: str | None = None

    def _user(self) -> str:
        if self.user_id is None:
            raise RuntimeError("sign in before syncing")
        return self.user_id

    async def sync(self) -> SyncReport:
        """Push what waits in the outbox, then pull everything new."""
        started = time.perf_counter()
        report = SyncReport()
        await self.push(report)
        await self.pull(report)
        report.seconds = time.perf_counter() - started
        return report

    # -- pull --------------------------------------------------------------------------------

    async def pull(self, report: SyncReport | None = None) -> SyncReport:
        """Follow the feed until ``has_more`` is false; a 410 restarts it as a fresh snapshot."""
        report = report or SyncReport()
        for _attempt in range(MAX_RESNAPSHOTS + 1):
            try:
                await self._pull_pages(report)
                return report
            except ApiError as exc:
                if exc.code is not ErrorCode.CURSOR_EXPIRED:
                    raise
                await self.run(self.cache.begin_snapshot)
        raise RuntimeError("the server kept refusing fresh sync cursors")

    async def _pull_pages(self, report: SyncReport) -> None:
        cursor: str | None = await self.run(self.cache.cursor)
        if cursor is None:
            report.snapshot = True
            await self.run(self.cache.begin_snapshot)
        page = await self.api.sync_changes(cursor, self.page_size)
        while True:
            # Fetch the next page while this one is written to the cache.
            following = (
                asyncio.ensure_future(self.api.sync_changes(page.cursor, self.page_size))
                if page.has_more
                else None
            )
            try:
                await self._apply(page, report)
            except BaseException:
                if following is not None:
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following
                raise
            if following is None:
                return
            page = await following

    async def _apply(self, page: ChangesPage, report: SyncReport) -> None:
        stats = await self.run(
            partial(self.cache.apply_pull, page.changes, page.cursor, has_more=page.has_more)
        )
        report.pages += 1
        report.rows += stats.rows
        report.pulled.update(change.entity for change in page.changes)
        report.apply_seconds += stats.seconds
        report.page_seconds.append(stats.seconds)

    # -- push --------------------------------------------------------------------------------

    async def push(self, report: SyncReport | None = None) -> SyncReport:
        """Push the outbox in order, settling each result; merged edits go out again."""
        report = report or SyncReport()
        user_id = self._user()
        for _round in range(MAX_PUSH_ROUNDS):
            batch: list[OutboxEntry] = await self.run(
                partial(self.cache.outbox.take_batch, user_id, PUSH_BATCH)
            )
            if not batch:
                return report
            client_id: str = await self.run(self.cache.client_id)
            response = await self.api.sync_push(
                PushRequest(client_id=client_id, mutations=[Mutation(**e.mutation()) for e in batch])
            )
            by_id = {entry.mutation_id: entry for entry in batch}
            requeued = False
            for result in response.results:
                entry = by_id.get(result.mutation_id)
                if entry is not None:
                    requeued |= await self.run(partial(self._settle, entry, result, report))
            if not requeued and len(batch) < PUSH_BATCH:
                return report
        return report

    def _settle(self, entry: OutboxEntry, result: MutationResult, report: SyncReport) -> bool:
        """Record one push result in the cache; True when a merged edit was queued again."""
        outbox = self.cache.outbox
        if result.status == "applied":
            outbox.settle_applied(entry.mutation_id, result.session)
            report.applied += 1
            return False
        if result.status == "conflict" and result.code == ErrorCode.VERSION_CONFLICT.value:
            return self._merge(entry, result, report)
        if result.status == "conflict" and result.code == ErrorCode.SLOT_CONFLICT.value:
            outbox.record_booking_conflict(
                entry.mutation_id,
                result.session or result.current,
                result.detail,
                result.conflicts,
                result.suggestions,
            )
            report.booking_conflicts += 1
            return False
        outbox.mark_failed(entry.mutation_id, result.code, result.detail or result.status)
        report.failed += 1
        return False

    def _merge(self, entry: OutboxEntry, result: MutationResult, report: SyncReport) -> bool:
        theirs_raw = result.current or result.session
        if entry.base is None or theirs_raw is None:
            self.cache.outbox.mark_failed(entry.mutation_id, result.code, result.detail or "no base to merge")
            report.failed += 1
            return False
        base = canonical_session(entry.base)
        mine = canonical_session({**entry.base, **entry.data})
        theirs = canonical_session(theirs_raw)
        merge = three_way_merge(base, mine, theirs, fields=EDITABLE_FIELDS)
        if merge.clean:
            self.cache.outbox.requeue_merged(entry.mutation_id, theirs, merge.merged)
            report.merged += 1
            return True
        self.cache.outbox.record_merge_conflict(
            entry.mutation_id, base, mine, theirs, merge.merged, merge.conflict_fields
        )
        report.merge_conflicts += 1
        return False
