"""``POST /sync/push``: offline session edits applied in order, each exactly once.

Each mutation runs in its own write transaction, which first claims ``(user, mutation_id)`` in
``sync_mutations``, then applies the edit through the sessions service, then stores the result,
all in that one transaction: either the edit and its stored result commit together or neither
does. A replayed mutation id finds the claim and gets the stored result back, applying nothing.
(Two pushes racing with the same id: the second waits on the first one's claim, then replays.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database, Work
from server.db.models import SyncMutation
from server.problems import ProblemError
from server.services.principal import Principal
from server.services.sessions import SessionService
from server.settings import Settings
from shared.errors import ErrorCode
from shared.sessions import SessionCreate, SessionPatch, SessionStatus
from shared.sync import Mutation, MutationResult, PushRequest, PushResponse
from shared.types import utcnow

T = TypeVar("T")


class EnlistedDatabase(Database):
    """A ``Database`` whose transactions all happen inside one already open transaction.

    ``write()`` becomes a SAVEPOINT, so a failed write rolls back alone (as its own transaction
    would) while the outer transaction lives on to store the mutation's result. Units of work run
    once: after a transient failure only the outer transaction can start again (its locks and
    its claim are part of what failed), so the failure goes up to it untouched.
    """

    def __init__(self, outer: Database, session: AsyncSession) -> None:
        self.settings = outer.settings
        self.engine = outer.engine
        self.is_sqlite = outer.is_sqlite
        self._session = session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        yield self._session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        async with self._session.begin_nested():
            yield self._session

    async def run_write(self, work: Work[T]) -> T:
        return await self.write_once(work)

    async def run_read(self, work: Work[T]) -> T:
        return await self.read_once(work)


def _dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json"))


def _rejected(mutation: Mutation, code: ErrorCode, detail: str, **extra: Any) -> MutationResult:
    return MutationResult(
        mutation_id=mutation.mutation_id, status="rejected", code=code.value, detail=detail, **extra
    )


@dataclass
class PushService:
    """Applies one client's pushed mutations for one caller."""

    db: Database
    settings: Settings

    async def push(self, who: Principal, request: PushRequest) -> PushResponse:
        """Apply ``request.mutations`` in order; every mutation gets a result."""
        return PushResponse(results=[await self.apply_once(who, mutation) for mutation in request.mutations])

    async def apply_once(self, who: Principal, mutation: Mutation) -> MutationResult:
        """Claim, apply and store the result in one transaction, run again as a whole after a
        transient failure: the mutation is applied exactly once, or not at all."""

        async def claim_apply_store(session: AsyncSession) -> MutationResult:
            if not await self._claim(session, who.user_id, mutation.mutation_id):
                stored = await session.scalar(
                    select(SyncMutation.result).where(
                        SyncMutation.user_id == who.user_id, SyncMutation.mutation_id == mutation.mutation_id
                    )
                )
                return MutationResult.model_validate(stored)
            result = await self._apply(EnlistedDatabase(self.db, session), who, mutation)
            await session.execute(
                update(SyncMutation)
                .where(SyncMutation.user_id == who.user_id, SyncMutation.mutation_id == mutation.mutation_id)
                .values(result=result.model_dump(mode="json"))
            )
            return result

        return await self.db.run_write(claim_apply_store)

    async def _claim(self, session: AsyncSession, user_id: str, mutation_id: str) -> bool:
        """Insert the mutation's row; False if it was there (waiting for a concurrent claimer)."""
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        claimed = await session.scalar(
            insert(SyncMutation)
            .values(user_id=user_id, mutation_id=mutation_id, result={}, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["user_id", "mutation_id"])
            .returning(SyncMutation.mutation_id)
        )
        return claimed is not None

    async def _apply(self, db: EnlistedDatabase, who: Principal, mutation: Mutation) -> MutationResult:
        sessions = SessionService(db, self.settings)
        try:
            if mutation.type == "create_session":
                return await self._create(sessions, who, mutation)
            if mutation.base_version is None:
                return _rejected(mutation, ErrorCode.PRECONDITION_REQUIRED, "An update needs base_version.")
            patch = SessionPatch.model_validate(mutation.data)
            updated = await sessions.update(who, mutation.session_id, mutation.base_version, patch)
            return MutationResult(mutation_id=mutation.mutation_id, status="applied", session=_dump(updated))
        except ValidationError as exc:
            return _rejected(mutation, ErrorCode.VALIDATION_ERROR, _validation_detail(exc))
        except ProblemError as exc:
            return _problem_result(mutation, exc)

    async def _create(self, sessions: SessionService, who: Principal, mutation: Mutation) -> MutationResult:
        if mutation.data.get("id", mutation.session_id) != mutation.session_id:
            return _rejected(mutation, ErrorCode.VALIDATION_ERROR, "data.id differs from session_id.")
        data = SessionCreate.model_validate({**mutation.data, "id": mutation.session_id})
        created = await sessions.create(who, data, park_on_conflict=True)
        if created.status == SessionStatus.CONFLICT:
            return MutationResult(
                mutation_id=mutation.mutation_id,
                status="conflict",
                code=ErrorCode.SLOT_CONFLICT.value,
                detail="The slot is taken; the session waits in status conflict for resolution.",
                session=_dump(created),
            )
        return MutationResult(mutation_id=mutation.mutation_id, status="applied", session=_dump(created))


def _validation_detail(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'data'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    )


def _problem_result(mutation: Mutation, exc: ProblemError) -> MutationResult:
    if exc.code is ErrorCode.VERSION_CONFLICT:
        return MutationResult(
            mutation_id=mutation.mutation_id,
            status="conflict",
            code=exc.code.value,
            detail=exc.detail,
            current=exc.extra.get("current"),
        )
    if exc.code is ErrorCode.SLOT_CONFLICT:
        return MutationResult(
            mutation_id=mutation.mutation_id,
            status="conflict",
            code=exc.code.value,
            detail=exc.detail,
            current=exc.extra.get("current"),
            conflicts=exc.extra.get("conflicts"),
            suggestions=exc.extra.get("suggestions"),
        )
    extra: dict[str, Any] = {}
    if isinstance(exc.extra.get("current"), dict):
        extra["current"] = exc.extra["current"]
    return _rejected(mutation, exc.code, exc.detail, **extra)
