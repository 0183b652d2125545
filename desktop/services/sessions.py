"""``SessionService``: coaching sessions from the cache; writes online, or to the outbox offline."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import partial
from typing import Any

from desktop.net import ApiError, ServerUnreachable
from desktop.services.account import AccountService
from desktop.services.changes import Changes, Entity
from desktop.services.errors import Refused, refusal, speaks_service_errors
from shared.auth import Me
from shared.errors import ErrorCode
from shared.sessions import Session, SessionCreate, SessionPatch, SessionStatus, Slot
from shared.types import utcnow


class SessionService(AccountService):
    """Lists sessions from the cache (optimistic local copies included) and books or edits them.

    Online, a write goes straight to the server (a taken slot raises ``SlotConflict``);
    offline, or while earlier edits of the same session still wait, it goes to the outbox with
    its local copy in one transaction, and the next sync pushes it. Every write ends in one change
    notice naming the sessions and its ``initiator``.
    """

    @speaks_service_errors
    async def list_range(self, start: datetime, end: datetime, team_id: str | None = None) -> list[Session]:
        """Sessions overlapping ``[start, end)``, by start time."""

        def read() -> list[dict[str, Any]]:
            with self.cache.read() as reader:
                return reader.sessions_between(start, end, team_id=team_id)

        return [Session.model_validate(data) for data in await self.run(read)]

    @speaks_service_errors
    async def get(self, session_id: str) -> Session | None:
        data = await self.run(partial(self.cache.session, session_id))
        return Session.model_validate(data) if data is not None else None

    @speaks_service_errors
    async def book(
        self,
        agent_id: str,
        starts_at: datetime,
        ends_at: datetime,
        topic: str,
        notes: str = "",
        coach_id: str | None = None,
        *,
        initiator: object | None = None,
    ) -> Session:
        me = self._me()
        session_id = str(uuid.uuid4())
        body = SessionCreate(
            id=session_id,
            agent_id=agent_id,
            coach_id=coach_id or me.id,
            starts_at=starts_at,
            ends_at=ends_at,
            topic=topic,
            notes=notes,
        )
        if self.sync.online:
            try:
                # The client-made id doubles as the idempotency key: a retry cannot book twice.
                session = await self.api.book_session(body, idempotency_key=session_id)
            except ServerUnreachable:
                self.sync.report_unreachable()
            else:
                return await self._stored(session, initiator)
        now = utcnow()
        local = Session(
            **body.model_dump(exclude={"coach_id"}),
            coach_id=body.coach_id or me.id,
            status=SessionStatus.SCHEDULED,
            created_by=me.id,
            version=0,
            created_at=now,
            updated_at=now,
        )
        await self.run(partial(self.cache.outbox.queue_create, me.id, local.model_dump(mode="json")))
        await self.sync.local_change(Changes.of(Entity.SESSIONS, initiator=initiator))
        return local

    @speaks_service_errors
    async def reschedule(
        self, session_id: str, starts_at: datetime, ends_at: datetime, *, initiator: object | None = None
    ) -> Session:
        return await self._update(session_id, SessionPatch(starts_at=starts_at, ends_at=ends_at), initiator)

    @speaks_service_errors
    async def edit_notes(self, session_id: str, notes: str, *, initiator: object | None = None) -> Session:
        return await self._update(session_id, SessionPatch(notes=notes), initiator)

    @speaks_service_errors
    async def set_status(
        self, session_id: str, status: SessionStatus, *, initiator: object | None = None
    ) -> Session:
        return await self._update(session_id, SessionPatch(status=status), initiator)

    @speaks_service_errors
    async def update(
        self, session_id: str, patch: SessionPatch, *, initiator: object | None = None
    ) -> Session:
        return await self._update(session_id, patch, initiator)

    @speaks_service_errors
    async def free_slots(
        self, agent_id: str, day: date, duration_minutes: int, coach_id: str | None = None
    ) -> list[Slot]:
        """Free slots in working hours; needs the server (working hours are its setting)."""
        try:
            slots = await self.api.free_slots(agent_id, day, duration_minutes, coach_id)
        except ServerUnreachable:
            self.sync.report_unreachable()
            raise
        self.sync.report_reachable()
        return slots

    # -- internals ---------------------------------------------------------------------------

    async def _update(self, session_id: str, patch: SessionPatch, initiator: object | None) -> Session:
        me = self._me()
        local = await self.run(partial(self.cache.session, session_id))
        if local is None:
            raise Refused(ErrorCode.NOT_FOUND, "That session is not here any more; sync and try again.")
        waiting = session_id in await self.run(self.cache.pending_session_ids)
        if self.sync.online and not waiting:
            try:
                session = await self.api.update_session(session_id, local["version"], patch)
            except ServerUnreachable:
                self.sync.report_unreachable()
            except ApiError as exc:
                if exc.code is not ErrorCode.VERSION_CONFLICT:
                    raise refusal(exc) from exc
                # Changed meanwhile: queue it like an offline edit; the push merges it now.
                return await self._queue(me, session_id, patch, initiator, push=True)
            else:
                return await self._stored(session, initiator)
        return await self._queue(me, session_id, patch, initiator, push=False)

    async def _queue(
        self, me: Me, session_id: str, patch: SessionPatch, initiator: object | None, *, push: bool
    ) -> Session:
        changes = patch.model_dump(mode="json", exclude_none=True)
        copy = await self.run(partial(self.cache.outbox.queue_update, me.id, session_id, changes))
        await self.sync.local_change(Changes.of(Entity.SESSIONS, initiator=initiator))
        if push:
            await self.sync.sync_now(initiator)
            settled = await self.run(partial(self.cache.session, session_id))
            copy = settled or copy
        return Session.model_validate(copy)

    async def _stored(self, session: Session, initiator: object | None) -> Session:
        self.sync.report_reachable()
        await self.run(partial(self.cache.put_sessions, [session.model_dump(mode="json")]))
        self.sync.announce(Changes.of(Entity.SESSIONS, initiator=initiator))
        return session
