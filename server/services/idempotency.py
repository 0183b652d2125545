"""Idempotency keys: a retried request gets the first answer instead of doing the work twice.

A key belongs to one user. The first request *claims* it in its own committed transaction (an
``in_progress`` row with a fingerprint of the request and a lease, ``locked_until``). The work then
runs in a second transaction that also stores the final response into the key row, so the booking
and its stored answer commit together or not at all. A concurrent duplicate sees the claim and
gets 409 ``request_in_progress``; a later one gets the stored answer. If the process dies mid-way,
the lease runs out and a retry takes the key over.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import IdempotencyKey
from server.problems import ProblemError, problem_response
from server.settings import Settings
from shared.errors import PROBLEM_MEDIA_TYPE, ErrorCode
from shared.types import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
MAX_KEY_LENGTH = 200
IN_PROGRESS = "in_progress"
DONE = "done"


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """sha256 of the method, the path and the body as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method.upper()}\n{path}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    """A response as kept with its key: replayed byte for byte."""

    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Claim:
    """Ownership of a key for one attempt; ``lease`` tells this attempt from a later takeover."""

    user_id: str
    key: str
    lease: datetime


Finish = Callable[[AsyncSession, StoredResponse], Awaitable[None]]
"""Stores the final response inside the caller's write transaction."""


def problem_as_stored(error: ProblemError) -> StoredResponse:
    rendered = problem_response(error.code, error.detail, error.headers, **error.extra)
    return StoredResponse(
        status=rendered.status_code,
        headers={"content-type": PROBLEM_MEDIA_TYPE, **error.headers},
        body=bytes(rendered.body).decode(),
    )


def _retry_after(locked_until: datetime, now: datetime) -> str:
    return str(max(1, math.ceil((locked_until - now).total_seconds())))


class IdempotencyKeys:
    """Claims, completes and replays idempotency keys."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def run(
        self, user_id: str, key: str, fingerprint: str, work: Callable[[Finish], Awaitable[StoredResponse]]
    ) -> tuple[StoredResponse, bool]:
        """Do ``work`` once per key: (response, replayed). ``work`` must call ``finish`` in its
        write transaction. Deterministic failures (4xx) are stored too; anything else frees the key.
        """
        outcome = await self.claim(user_id, key, fingerprint)
        if isinstance(outcome, StoredResponse):
            return outcome, True
        claim = outcome

        async def finish(session: AsyncSession, response: StoredResponse) -> None:
            await self.complete(session, claim, response)

        try:
            return await work(finish), False
        except ProblemError as error:
            if error.code is ErrorCode.REQUEST_IN_PROGRESS or error.code.status >= 500:
                await self._release(claim)
            else:
                answer = problem_as_stored(error)

                async def store_problem(session: AsyncSession) -> None:
                    await self.complete(session, claim, answer, required=False)

                await self.db.run_write(store_problem)
            raise
        except BaseException:
            await self._release(claim)
            raise

    async def claim(self, user_id: str, key: str, fingerprint: str) -> Claim | StoredResponse:
        """Take the key in a transaction of its own, or say why not (stored answer or a problem)."""
        now = utcnow()
        lease = now + LEASE

        async def take(session: AsyncSession) -> Claim | StoredResponse:
            inserted = await session.execute(
                self._insert_ignore().values(
                    user_id=user_id,
                    key=key,
                    fingerprint=fingerprint,
                    state=IN_PROGRESS,
                    locked_until=lease,
                    created_at=now,
                )
            )
            if _rowcount(inserted) == 1:
                return Claim(user_id, key, lease)
            row = await session.scalar(
                select(IdempotencyKey)
                .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                .with_for_update()
            )
            if row is None:  # purged between the two statements; the client can simply retry
                raise ProblemError(
                    ErrorCode.REQUEST_IN_PROGRESS, "Retry the request.", headers={"Retry-After": "1"}
                )
            expired = row.created_at < now - timedelta(seconds=self.settings.idempotency_ttl)
            if expired:
                # Past its retention the key is free again, as if it had been purged.
                row.fingerprint, row.created_at = fingerprint, now
                row.state, row.response_status = IN_PROGRESS, None
                row.response_headers = row.response_body = None
                row.locked_until = lease
                return Claim(user_id, key, lease)
            if row.fingerprint != fingerprint:
                raise ProblemError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "This Idempotency-Key was already used with a different request.",
                )
            if row.state == DONE and row.response_status is not None:
                return StoredResponse(
                    status=row.response_status,
                    headers=dict(row.response_headers or {}),
                    body=row.response_body or "",
                )
            if row.locked_until > now:
                raise ProblemError(
                    ErrorCode.REQUEST_IN_PROGRESS,
                    "The first request with this Idempotency-Key is still running.",
                    headers={"Retry-After": _retry_after(row.locked_until, now)},
                )
            # The first attempt died without an answer: take the key over.
            row.locked_until = lease
            return Claim(user_id, key, lease)

        return await self.db.run_write(take)

    async def complete(
        self, session: AsyncSession, claim: Claim, response: StoredResponse, *, required: bool = True
    ) -> None:
        result = await session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.user_id == claim.user_id,
                IdempotencyKey.key == claim.key,
                IdempotencyKey.state == IN_PROGRESS,
                IdempotencyKey.locked_until == claim.lease,
            )
            .values(
                state=DONE,
                response_status=response.status,
                response_headers=response.headers,
                response_body=response.body,
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1 and required:
            # Our lease ran out and a retry took the key over: let that one answer.
            raise ProblemError(
                ErrorCode.REQUEST_IN_PROGRESS,
                "A retry of this request took over; ask again for its answer.",
                headers={"Retry-After": "1"},
            )

    async def _release(self, claim: Claim) -> None:
        """Free the key after a failure that says nothing about the request (5xx, a crash)."""

        async def delete_claim(session: AsyncSession) -> None:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.user_id == claim.user_id,
                    IdempotencyKey.key == claim.key,
                    IdempotencyKey.state == IN_PROGRESS,
                    IdempotencyKey.locked_until == claim.lease,
                )
            )

        try:
            await self.db.run_write(delete_claim)
        except Exception:  # the lease running out frees the key anyway
            log.warning("could not release idempotency key %s", claim.key, exc_info=True)

    def _insert_ignore(self) -> Any:
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        return insert(IdempotencyKey).on_conflict_do_nothing(index_elements=["user_id", "key"])


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_idempotency_keys(db: Database, older_than: datetime | timedelta) -> int:
    """Delete keys created before ``older_than`` (a moment, or an age counted back from now).

    Keep at least 24 hours. Returns how many keys went.
    """
    cutoff = utcnow() - older_than if isinstance(older_than, timedelta) else older_than

    async def delete_old(session: AsyncSession) -> int:
        result = await session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    return await db.run_write(delete_old)
