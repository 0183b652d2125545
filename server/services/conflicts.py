"""Booking conflicts: sessions parked in status ``conflict`` (offline bookings that collided on
sync), what they clash with, and their resolution.

A resolution is one transaction. Every session it touches is updated with ``WHERE version =
:expected``, so a stale version anywhere (the conflicted session or the displaced one) is a 412
and rolls back everything the resolution had already done.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.engine import Database
from server.db.locks import lock_people
from server.db.models import CoachingSession
from server.problems import ProblemError
from server.services.principal import Principal
from server.services.sessions import (
    SessionService,
    bump_version,
    occupying,
    overlapping,
    slot_conflict,
    suggest_slots,
    version_conflict,
)
from server.services.shapes import to_session
from server.settings import Settings
from shared.errors import ErrorCode
from shared.sessions import (
    RESOLUTION_TRANSITIONS,
    BookingConflict,
    ConflictList,
    Decline,
    Override,
    Reschedule,
    Resolution,
    ResolveResult,
    SessionStatus,
)

MAX_CONFLICTS = 200


class ConflictService:
    """Lists booking conflicts in the caller's scope and resolves them."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.sessions = SessionService(db, settings)

    async def list_conflicts(self, who: Principal) -> ConflictList:
        self.sessions.require_booker(who)
        async with self.db.read() as session:
            query = select(CoachingSession).where(CoachingSession.status == SessionStatus.CONFLICT.value)
            scope = await self.sessions.scope_filter(session, who)
            if scope is not None:
                query = query.where(scope)
            conflicted = list(
                await session.scalars(
                    query.order_by(CoachingSession.starts_at, CoachingSession.id).limit(MAX_CONFLICTS)
                )
            )
            clashes = await _clashes_of(session, [row.id for row in conflicted])
            items = [
                BookingConflict(
                    session=to_session(row),
                    clashes_with=[to_session(other) for other in clashes.get(row.id, [])],
                    suggestions=await suggest_slots(
                        session, self.settings, row.starts_at, row.ends_at, (row.coach_id, row.agent_id)
                    ),
                )
                for row in conflicted
            ]
        return ConflictList(items=items)

    async def resolve(
        self, who: Principal, session_id: str, expected_version: int, resolution: Resolution
    ) -> ResolveResult:
        async def operation(session: AsyncSession) -> ResolveResult:
            return await self._resolve_in(session, who, session_id, expected_version, resolution)

        return await self.sessions.write_with_overlap_retry(operation)

    async def _resolve_in(
        self,
        session: AsyncSession,
        who: Principal,
        session_id: str,
        expected: int,
        resolution: Resolution,
    ) -> ResolveResult:
        row = await self.sessions.load_for_write(session, who, session_id)
        if row.version != expected:
            raise version_conflict(row)
        if row.status not in {status.value for status in RESOLUTION_TRANSITIONS}:
            raise ProblemError(ErrorCode.INVALID_TRANSITION, "Only a session in conflict can be resolved.")
        if isinstance(resolution, Decline):
            notes = f"{row.notes}\n\nDeclined: {resolution.reason}".strip()
            declined = await bump_version(
                session, row, expected, {"status": SessionStatus.CANCELLED.value, "notes": notes}
            )
            await self.sessions.record(session, [declined])
            return ResolveResult(session=to_session(declined))
        if isinstance(resolution, Reschedule):
            await lock_people(session, row.coach_id, row.agent_id)
            await self._require_free(session, row, resolution.starts_at, resolution.ends_at, [row.id])
            moved = await bump_version(
                session,
                row,
                expected,
                {
                    "status": SessionStatus.SCHEDULED.value,
                    "starts_at": resolution.starts_at,
                    "ends_at": resolution.ends_at,
                },
            )
            await self.sessions.record(session, [moved])
            return ResolveResult(session=to_session(moved))
        return await self._override(session, who, row, expected, resolution)

    async def _override(
        self, session: AsyncSession, who: Principal, row: CoachingSession, expected: int, override: Override
    ) -> ResolveResult:
        move = override.displaced
        if move.id == row.id:
            raise ProblemError(ErrorCode.VALIDATION_ERROR, "A session cannot displace itself.")
        displaced = await self.sessions.load_for_write(session, who, move.id)
        if displaced.version != move.version:
            raise ProblemError(
                ErrorCode.VERSION_CONFLICT,
                f"The displaced session is at version {displaced.version}; reload and try again.",
                current=to_session(displaced).model_dump(mode="json"),
                resource="displaced",
            )
        if displaced.status != SessionStatus.SCHEDULED.value:
            raise ProblemError(ErrorCode.INVALID_TRANSITION, "Only a scheduled session can be displaced.")
        # Everyone both sessions occupy, in one sorted order (server/db/locks.py).
        await lock_people(session, row.coach_id, row.agent_id, displaced.coach_id, displaced.agent_id)
        # Move the displaced session first: the constraints are checked per statement.
        await self._require_free(session, displaced, move.starts_at, move.ends_at, [displaced.id, row.id])
        moved = await bump_version(
            session, displaced, move.version, {"starts_at": move.starts_at, "ends_at": move.ends_at}
        )
        await self._require_free(session, row, row.starts_at, row.ends_at, [row.id])
        taken = await bump_version(session, row, expected, {"status": SessionStatus.SCHEDULED.value})
        await self.sessions.record(session, [taken, moved])
        return ResolveResult(session=to_session(taken), displaced=to_session(moved))

    async def _require_free(
        self, session: AsyncSession, row: CoachingSession, starts_at: Any, ends_at: Any, exclude: list[str]
    ) -> None:
        clashes = await overlapping(session, starts_at, ends_at, row.coach_id, row.agent_id, exclude)
        if clashes:
            raise await slot_conflict(
                session, self.settings, starts_at, ends_at, row.coach_id, row.agent_id, clashes, exclude
            )


async def _clashes_of(session: AsyncSession, conflict_ids: list[str]) -> dict[str, list[CoachingSession]]:
    """For each conflicted session, the occupying sessions it overlaps, in one query."""
    if not conflict_ids:
        return {}
    conflicted = aliased(CoachingSession)
    rows = await session.execute(
        select(conflicted.id, CoachingSession)
        .join(
            CoachingSession,
            and_(
                occupying(),
                CoachingSession.starts_at < conflicted.ends_at,
                CoachingSession.ends_at > conflicted.starts_at,
                or_(
                    CoachingSession.coach_id == conflicted.coach_id,
                    CoachingSession.agent_id == conflicted.agent_id,
                ),
            ),
        )
        .where(conflicted.id.in_(conflict_ids))
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    result: dict[str, list[CoachingSession]] = {}
    for conflict_id, other in rows.tuples():
        result.setdefault(conflict_id, []).append(other)
    return result
