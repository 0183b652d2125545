"""Booking and editing coaching sessions: who may, the no-overlap rule, versions, the change log.

Two occupying sessions of the same coach or the same agent never overlap (``[starts, ends)``).
On SQLite the write transaction holds the database lock from its first statement (``BEGIN
IMMEDIATE``), so check-then-insert is serialised. On PostgreSQL two transactions may both pass the
check; the exclusion constraints then refuse the second, and the operation is retried once so the
caller gets the same friendly 409 with the clashing sessions and suggestions.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.locks import lock_people
from server.db.models import CoachingSession, User
from server.db.retry import sqlstate
from server.problems import ProblemError
from server.services import slots
from server.services.changes import ChangeRecord, record_changes
from server.services.idempotency import Finish, IdempotencyKeys, StoredResponse
from server.services.principal import Principal
from server.services.shapes import to_session
from server.settings import Settings
from shared.auth import Role
from shared.errors import ErrorCode
from shared.sessions import (
    ALLOWED_TRANSITIONS,
    OCCUPYING_STATUSES,
    FreeSlotQuery,
    Session,
    SessionCreate,
    SessionPage,
    SessionPatch,
    SessionQuery,
    SessionStatus,
    Slot,
)
from shared.types import utcnow

T = TypeVar("T")

OVERLAP_ATTEMPTS = 3
COACH_ROLES = frozenset({Role.TEAM_LEADER.value, Role.MANAGER.value, Role.ADMIN.value})
EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
API_PATH = "/api/v1/sessions"

BeforeCommit = Callable[[AsyncSession, CoachingSession], Awaitable[None]]


def session_json(row: CoachingSession) -> dict[str, Any]:
    return to_session(row).model_dump(mode="json")


def session_etag(version: int) -> str:
    return f'"{version}"'


def is_overlap_violation(error: IntegrityError) -> bool:
    """True for PostgreSQL's exclusion constraints ``ex_sessions_*_overlap``."""
    return sqlstate(error) == EXCLUSION_VIOLATION


def occupying() -> Any:
    return CoachingSession.status.in_([status.value for status in OCCUPYING_STATUSES])


async def overlapping(
    session: AsyncSession,
    starts_at: datetime,
    ends_at: datetime,
    coach_id: str,
    agent_id: str,
    exclude_ids: Sequence[str] = (),
) -> list[CoachingSession]:
    """Occupying sessions of the coach or the agent that overlap ``[starts_at, ends_at)``."""
    query = select(CoachingSession).where(
        occupying(),
        CoachingSession.starts_at < ends_at,
        CoachingSession.ends_at > starts_at,
        or_(CoachingSession.coach_id == coach_id, CoachingSession.agent_id == agent_id),
    )
    if exclude_ids:
        query = query.where(CoachingSession.id.not_in(list(exclude_ids)))
    rows = await session.scalars(query.order_by(CoachingSession.starts_at, CoachingSession.id))
    return list(rows)


async def suggest_slots(
    session: AsyncSession,
    settings: Settings,
    starts_at: datetime,
    ends_at: datetime,
    people: Sequence[str],
    exclude_ids: Sequence[str] = (),
) -> list[Slot]:
    """Nearest free slots of the same length for everyone in ``people``."""
    wanted = (starts_at, ends_at)
    busy = await slots.busy_intervals(session, people, slots.search_horizon(wanted, settings), exclude_ids)
    return slots.nearest_slots(wanted, busy, settings, utcnow())


async def slot_conflict(
    session: AsyncSession,
    settings: Settings,
    starts_at: datetime,
    ends_at: datetime,
    coach_id: str,
    agent_id: str,
    clashes: Sequence[CoachingSession],
    exclude_ids: Sequence[str] = (),
) -> ProblemError:
    people = (coach_id, agent_id)
    suggestions = await suggest_slots(session, settings, starts_at, ends_at, people, exclude_ids)
    return ProblemError(
        ErrorCode.SLOT_CONFLICT,
        "The coach or the agent already has a session at that time.",
        conflicts=[session_json(row) for row in clashes],
        suggestions=[slot.model_dump(mode="json") for slot in suggestions],
    )


def version_conflict(row: CoachingSession, detail: str = "") -> ProblemError:
    return ProblemError(
        ErrorCode.VERSION_CONFLICT,
        detail or f"The session is at version {row.version}; reload it and try again.",
        current=session_json(row),
    )


def _not_found() -> ProblemError:
    return ProblemError(ErrorCode.NOT_FOUND, "No such session.")


def encode_cursor(row: Session) -> str:
    raw = json.dumps([row.starts_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        starts, session_id = json.loads(raw)
        moment = datetime.fromisoformat(starts)
        if moment.tzinfo is None or not isinstance(session_id, str):
            raise ValueError("bad cursor")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ProblemError(ErrorCode.VALIDATION_ERROR, "The cursor is not valid.") from exc
    return moment, session_id


class SessionService:
    """Books, edits, reads and lists coaching sessions within the caller's scope."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    # -- scope -------------------------------------------------------------------------------

    async def visible(self, session: AsyncSession, who: Principal, row: CoachingSession) -> bool:
        if who.is_admin or who.user_id in (row.agent_id, row.coach_id):
            return True
        if who.role is Role.AGENT:
            return False
        team_id = await session.scalar(select(User.team_id).where(User.id == row.agent_id))
        return team_id is not None and await who.sees_team(session, team_id)

    async def scope_filter(self, session: AsyncSession, who: Principal) -> Any:
        """A WHERE clause limiting sessions to the caller's scope (``None``: everything)."""
        if who.is_admin:
            return None
        if who.role is Role.AGENT:
            return CoachingSession.agent_id == who.user_id
        teams = await who.team_ids(session) or frozenset()
        agents_in_scope = select(User.id).where(User.team_id.in_(list(teams)))
        return or_(CoachingSession.coach_id == who.user_id, CoachingSession.agent_id.in_(agents_in_scope))

    async def agent_in_scope(self, session: AsyncSession, who: Principal, agent_id: str) -> User:
        agent = await session.get(User, agent_id)
        if agent is None or agent.role != Role.AGENT.value or not await who.sees_team(session, agent.team_id):
            raise ProblemError(ErrorCode.NOT_FOUND, "No such agent.")
        return agent

    async def coach_in_scope(self, session: AsyncSession, who: Principal, coach_id: str) -> User:
        coach = await session.get(User, coach_id)
        if coach is None or not await who.sees_user(session, coach):
            raise ProblemError(ErrorCode.NOT_FOUND, "No such coach.")
        if coach.role not in COACH_ROLES or not coach.active:
            raise ProblemError(
                ErrorCode.VALIDATION_ERROR, "The coach must be an active team leader or manager."
            )
        return coach

    def require_booker(self, who: Principal) -> None:
        if who.role is Role.AGENT:
            raise ProblemError(ErrorCode.FORBIDDEN, "Agents cannot book or edit coaching sessions.")

    async def load_for_write(self, session: AsyncSession, who: Principal, session_id: str) -> CoachingSession:
        """The session row, locked until commit (PostgreSQL); 404 outside scope, 403 for agents."""
        row = await session.scalar(
            select(CoachingSession).where(CoachingSession.id == session_id).with_for_update()
        )
        if row is None or not await self.visible(session, who, row):
            raise _not_found()
        self.require_booker(who)
        return row

    async def agent_team(self, session: AsyncSession, agent_id: str) -> str | None:
        return await session.scalar(select(User.team_id).where(User.id == agent_id))

    async def record(self, session: AsyncSession, rows: Sequence[CoachingSession]) -> None:
        records = [
            ChangeRecord(
                "session",
                row.id,
                row.version,
                team_id=await self.agent_team(session, row.agent_id),
                agent_id=row.agent_id,
            )
            for row in rows
        ]
        await record_changes(session, records)

    async def write_with_overlap_retry(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``operation`` in a write transaction; after losing an overlap race to a concurrent
        writer (PostgreSQL exclusion constraint), run it again so its own check explains the 409."""
        for _attempt in range(OVERLAP_ATTEMPTS):
            try:
                return await self.db.run_write(operation)
            except IntegrityError as error:
                if not is_overlap_violation(error):
                    raise
        raise ProblemError(
            ErrorCode.SLOT_CONFLICT,
            "The coach or the agent already has a session at that time.",
            conflicts=[],
            suggestions=[],
        )

    # -- create ------------------------------------------------------------------------------

    async def create(
        self,
        who: Principal,
        data: SessionCreate,
        *,
        park_on_conflict: bool = False,
        before_commit: BeforeCommit | None = None,
    ) -> Session:
        """Book a session. An overlap raises ``SLOT_CONFLICT``, or with ``park_on_conflict`` stores
        the session in status ``conflict`` for a manager to resolve. ``before_commit`` runs inside
        the write transaction (the idempotency layer stores its response there)."""

        async def operation(session: AsyncSession) -> Session:
            row = await self._insert(session, who, data, park_on_conflict)
            if before_commit is not None:
                await before_commit(session, row)
            await self.record(session, [row])
            return to_session(row)

        try:
            return await self.write_with_overlap_retry(operation)
        except IntegrityError as error:
            if sqlstate(error) == UNIQUE_VIOLATION:
                raise _duplicate_id() from error
            raise

    async def _insert(
        self, session: AsyncSession, who: Principal, data: SessionCreate, park_on_conflict: bool
    ) -> CoachingSession:
        self.require_booker(who)
        agent = await self.agent_in_scope(session, who, data.agent_id)
        coach = await self.coach_in_scope(session, who, data.coach_id or who.user_id)
        if data.id is not None and await session.get(CoachingSession, data.id) is not None:
            raise _duplicate_id()
        # Queue behind other bookings of these two people before checking (server/db/locks.py).
        await lock_people(session, coach.id, agent.id)
        clashes = await overlapping(session, data.starts_at, data.ends_at, coach.id, agent.id)
        status = SessionStatus.SCHEDULED
        if clashes:
            if not park_on_conflict:
                raise await slot_conflict(
                    session, self.settings, data.starts_at, data.ends_at, coach.id, agent.id, clashes
                )
            status = SessionStatus.CONFLICT
        now = utcnow()
        row = CoachingSession(
            agent_id=agent.id,
            coach_id=coach.id,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            status=status.value,
            topic=data.topic,
            notes=data.notes,
            created_by=who.user_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        if data.id is not None:
            row.id = data.id
        session.add(row)
        await session.flush()
        return row

    async def book(
        self, who: Principal, data: SessionCreate, key: str, fingerprint: str
    ) -> tuple[StoredResponse, bool]:
        """``POST /sessions`` under an idempotency key: (the response, whether it is a replay)."""
        keys = IdempotencyKeys(self.db, self.settings)

        async def work(finish: Finish) -> StoredResponse:
            created: list[StoredResponse] = []

            async def store(session: AsyncSession, row: CoachingSession) -> None:
                response = StoredResponse(
                    status=201,
                    headers={
                        "content-type": "application/json",
                        "etag": session_etag(row.version),
                        "location": f"{API_PATH}/{row.id}",
                    },
                    body=to_session(row).model_dump_json(),
                )
                await finish(session, response)
                created[:] = [response]

            await self.create(who, data, before_commit=store)
            return created[0]

        return await keys.run(who.user_id, key, fingerprint, work)

    # -- read --------------------------------------------------------------------------------

    async def get(self, who: Principal, session_id: str) -> Session:
        async with self.db.read() as session:
            row = await session.get(CoachingSession, session_id)
            if row is None or not await self.visible(session, who, row):
                raise _not_found()
            return to_session(row)

    async def list_sessions(self, who: Principal, query: SessionQuery) -> SessionPage:
        """One page in ``(starts_at, id)`` order; the cursor is the last row's key, so rows
        inserted or deleted meanwhile never make a later page repeat or skip one."""
        conditions: list[Any] = []
        if query.from_ is not None:
            conditions.append(CoachingSession.ends_at > query.from_)
        if query.to is not None:
            conditions.append(CoachingSession.starts_at < query.to)
        if query.agent_id is not None:
            conditions.append(CoachingSession.agent_id == query.agent_id)
        if query.coach_id is not None:
            conditions.append(CoachingSession.coach_id == query.coach_id)
        if query.status is not None:
            conditions.append(CoachingSession.status == query.status.value)
        if query.team_id is not None:
            conditions.append(
                CoachingSession.agent_id.in_(select(User.id).where(User.team_id == query.team_id))
            )
        if query.cursor is not None:
            after_starts, after_id = decode_cursor(query.cursor)
            conditions.append(
                or_(
                    CoachingSession.starts_at > after_starts,
                    and_(CoachingSession.starts_at == after_starts, CoachingSession.id > after_id),
                )
            )
        async with self.db.read() as session:
            scope = await self.scope_filter(session, who)
            if scope is not None:
                conditions.append(scope)
            rows = list(
                await session.scalars(
                    select(CoachingSession)
                    .where(*conditions)
                    .order_by(CoachingSession.starts_at, CoachingSession.id)
                    .limit(query.limit + 1)
                )
            )
        items = [to_session(row) for row in rows[: query.limit]]
        next_cursor = encode_cursor(items[-1]) if len(rows) > query.limit else None
        return SessionPage(items=items, next_cursor=next_cursor)

    async def free_slots(self, who: Principal, query: FreeSlotQuery) -> list[Slot]:
        """Slots of the asked length on that day when both the agent and the coach are free."""
        length = timedelta(minutes=query.duration_minutes)
        day_span = slots.working_window(query.date, self.settings)
        async with self.db.read() as session:
            if who.role is Role.AGENT:
                raise ProblemError(ErrorCode.FORBIDDEN, "Agents cannot book coaching sessions.")
            agent = await self.agent_in_scope(session, who, query.agent_id)
            coach = await self.coach_in_scope(session, who, query.coach_id or who.user_id)
            busy = await slots.busy_intervals(session, (agent.id, coach.id), day_span)
        return slots.free_slots_on(query.date, length, busy, self.settings, utcnow())

    # -- update ------------------------------------------------------------------------------

    async def update(
        self, who: Principal, session_id: str, expected_version: int, patch: SessionPatch
    ) -> Session:
        """Apply ``patch`` if the session is still at ``expected_version``; the version grows by one.

        Raises ``VERSION_CONFLICT`` (with ``current``), ``NOT_FOUND``, ``INVALID_TRANSITION`` or
        ``SLOT_CONFLICT``.
        """

        async def operation(session: AsyncSession) -> Session:
            return await self._update_in(session, who, session_id, expected_version, patch)

        return await self.write_with_overlap_retry(operation)

    async def _update_in(
        self, session: AsyncSession, who: Principal, session_id: str, expected: int, patch: SessionPatch
    ) -> Session:
        row = await self.load_for_write(session, who, session_id)
        if row.version != expected:
            raise version_conflict(row)
        changes: dict[str, Any] = {}
        if patch.status is not None and patch.status.value != row.status:
            current = SessionStatus(row.status)
            if patch.status not in ALLOWED_TRANSITIONS.get(current, frozenset()):
                raise ProblemError(
                    ErrorCode.INVALID_TRANSITION,
                    f"A {current.value} session cannot become {patch.status.value} here.",
                )
            changes["status"] = patch.status.value
        moved = (patch.starts_at, patch.ends_at) != (row.starts_at, row.ends_at)
        if patch.starts_at is not None and patch.ends_at is not None and moved:
            changes["starts_at"], changes["ends_at"] = patch.starts_at, patch.ends_at
        if patch.topic is not None and patch.topic != row.topic:
            changes["topic"] = patch.topic
        if patch.notes is not None and patch.notes != row.notes:
            changes["notes"] = patch.notes
        if patch.coach_id is not None and patch.coach_id != row.coach_id:
            changes["coach_id"] = (await self.coach_in_scope(session, who, patch.coach_id)).id
        if not changes:
            return to_session(row)
        status = changes.get("status", row.status)
        moves = {"starts_at", "ends_at", "coach_id"} & changes.keys()
        occupies = status in {s.value for s in OCCUPYING_STATUSES}
        if occupies and (moves or "status" in changes):
            # The row may now clash with another booking of these people: queue first (locks.py).
            await lock_people(session, changes.get("coach_id", row.coach_id), row.agent_id)
        if occupies and moves:
            starts_at = changes.get("starts_at", row.starts_at)
            ends_at = changes.get("ends_at", row.ends_at)
            coach_id = changes.get("coach_id", row.coach_id)
            clashes = await overlapping(session, starts_at, ends_at, coach_id, row.agent_id, [row.id])
            if clashes:
                raise await slot_conflict(
                    session, self.settings, starts_at, ends_at, coach_id, row.agent_id, clashes, [row.id]
                )
        updated = await bump_version(session, row, expected, changes)
        await self.record(session, [updated])
        return to_session(updated)


async def bump_version(
    session: AsyncSession, row: CoachingSession, expected: int, changes: dict[str, Any]
) -> CoachingSession:
    """``UPDATE ... WHERE id = :id AND version = :expected``; 412 if another write got there first."""
    result = await session.execute(
        update(CoachingSession)
        .where(CoachingSession.id == row.id, CoachingSession.version == expected)
        .values(**changes, version=expected + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        raise version_conflict(row)
    return row


def _duplicate_id() -> ProblemError:
    return ProblemError(ErrorCode.VALIDATION_ERROR, "A session with this id already exists.")
