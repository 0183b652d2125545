"""``ConflictService``: booking conflicts, merge conflicts and failed changes, and their badge."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import partial

from PySide6.QtCore import Signal

from desktop.net import ServerUnreachable
from desktop.services.account import AccountService
from desktop.services.changes import Changes, Entity
from desktop.services.errors import speaks_service_errors
from desktop.storage import MergeConflictRecord, OutboxEntry
from shared.sessions import BookingConflict, Decline, Override, Reschedule, ResolveResult, Session, Slot

CHANGED_BY_A_DECISION = (Entity.SESSIONS, Entity.CONFLICTS)


class ConflictService(AccountService):
    """Everything waiting for the user's decision; nothing here is resolved without them.

    ``sig_count`` is the one source of the Conflicts badge: recounted from the cache whenever a
    change notice concerns conflicts.
    """

    sig_count = Signal(int)

    def _set_up(self) -> None:
        self.count = 0
        self._tasks: set[asyncio.Task[int]] = set()
        self.sync.sig_changed.connect(self._on_changes)

    def _user_id(self) -> str:
        return self._me().id

    # -- lists -------------------------------------------------------------------------------

    @speaks_service_errors
    async def booking_conflicts(self) -> list[BookingConflict]:
        """Sessions in status ``conflict`` with their clashes and suggested slots.

        From the server when it answers (with its suggestions), else from the cache. Either way
        followed by the local records of edits whose new slot was taken.
        """
        try:
            items = await self.api.conflicts()
            self.sync.report_reachable()
        except ServerUnreachable:
            self.sync.report_unreachable()
            items = await self.run(self._cached_conflicts)
        known = {item.session.id for item in items}
        return items + [item for item in await self.run(self._recorded) if item.session.id not in known]

    def _cached_conflicts(self) -> list[BookingConflict]:
        with self.cache.read() as reader:
            return [
                BookingConflict(
                    session=Session.model_validate(data),
                    clashes_with=[Session.model_validate(c) for c in reader.clashes_with(data)],
                    suggestions=[],
                )
                for data in reader.sessions_in_status("conflict")
            ]

    def _recorded(self) -> list[BookingConflict]:
        items = []
        for record in self.cache.outbox.booking_conflicts(self._user_id()):
            session = record.session or self.cache.session(record.session_id)
            if session is None:
                continue
            attempted = Session.model_validate({**session, **record.attempted})
            items.append(
                BookingConflict(
                    session=attempted,
                    clashes_with=[Session.model_validate(c) for c in record.clashes],
                    suggestions=[Slot.model_validate(s) for s in record.suggestions],
                )
            )
        return items

    @speaks_service_errors
    async def merge_conflicts(self) -> list[MergeConflictRecord]:
        """Edits whose fields were changed on the server too: base, mine and theirs side by side."""
        return await self.run(partial(self.cache.outbox.merge_conflicts, self._user_id()))

    @speaks_service_errors
    async def failed_changes(self) -> list[OutboxEntry]:
        """Mutations the server refused; they stay until retried or discarded."""
        return await self.run(partial(self.cache.outbox.entries, self._user_id(), "failed"))

    # -- decisions ---------------------------------------------------------------------------

    @speaks_service_errors
    async def resolve_booking(
        self,
        session_id: str,
        version: int,
        resolution: Reschedule | Decline | Override,
        *,
        initiator: object | None = None,
    ) -> ResolveResult:
        """Reschedule, decline or override a conflicted booking (online only: the server decides)."""
        result = await self.api.resolve_conflict(session_id, version, resolution)
        changed = [result.session] + ([result.displaced] if result.displaced else [])
        await self.run(partial(self.cache.put_sessions, [s.model_dump(mode="json") for s in changed]))
        await self._dismiss_records_of(session_id)
        self.sync.announce(Changes.of(*CHANGED_BY_A_DECISION, initiator=initiator))
        return result

    @speaks_service_errors
    async def dismiss_booking_conflict(self, conflict_id: str, *, initiator: object | None = None) -> None:
        await self.run(partial(self.cache.outbox.dismiss_booking_conflict, conflict_id))
        self.sync.announce(Changes.of(Entity.CONFLICTS, initiator=initiator))

    @speaks_service_errors
    async def resolve_merge(
        self, conflict_id: str, values: Mapping[str, object], *, initiator: object | None = None
    ) -> Session:
        """Apply the user's choice per conflicting field (mine, theirs or an edited value)."""
        copy = await self.run(partial(self.cache.outbox.resolve_merge_conflict, conflict_id, dict(values)))
        await self.sync.local_change(Changes.of(*CHANGED_BY_A_DECISION, initiator=initiator))
        await self.sync.sync_now(initiator)
        return Session.model_validate(await self.run(partial(self.cache.session, copy["id"])) or copy)

    @speaks_service_errors
    async def retry_failed(self, mutation_id: str, *, initiator: object | None = None) -> None:
        await self.run(partial(self.cache.outbox.retry, mutation_id))
        await self.sync.local_change(Changes.of(*CHANGED_BY_A_DECISION, initiator=initiator))
        await self.sync.sync_now(initiator)

    @speaks_service_errors
    async def discard_failed(self, mutation_id: str, *, initiator: object | None = None) -> None:
        await self.run(partial(self.cache.outbox.discard, mutation_id))
        await self.sync.local_change(Changes.of(*CHANGED_BY_A_DECISION, initiator=initiator))

    # -- the badge ---------------------------------------------------------------------------

    @speaks_service_errors
    async def refresh_count(self) -> int:
        """Conflicted bookings in the cache, recorded clashes, merge conflicts and failed changes."""
        if self.auth.me is None:
            return 0
        user_id = self.auth.me.id

        def count() -> int:
            outbox = self.cache.outbox
            with self.cache.read() as reader:
                parked = {s["id"] for s in reader.sessions_in_status("conflict")}
            recorded = {r.session_id for r in outbox.booking_conflicts(user_id)} - parked
            return (
                len(parked)
                + len(recorded)
                + len(outbox.merge_conflicts(user_id))
                + len(outbox.entries(user_id, "failed"))
            )

        self.count = await self.run(count)
        self.sig_count.emit(self.count)
        return self.count

    async def _dismiss_records_of(self, session_id: str) -> None:
        def dismiss() -> None:
            for record in self.cache.outbox.booking_conflicts(self._user_id()):
                if record.session_id == session_id:
                    self.cache.outbox.dismiss_booking_conflict(record.id)

        await self.run(dismiss)

    def _on_changes(self, changes: Changes) -> None:
        if not changes.concerns((Entity.CONFLICTS,)):
            return
        task = asyncio.ensure_future(self.refresh_count())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
