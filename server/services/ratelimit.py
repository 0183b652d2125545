"""Fixed-window counters in the database, shared by every worker process."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import RateLimitCounter
from server.problems import ProblemError
from shared.errors import ErrorCode
from shared.types import utcnow

MAX_KEY_LENGTH = 200  # the key column's length


def _stored(key: str) -> str:
    """``key`` as the column holds it: a key built from a long address is stored as its digest."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def insert_for(session: AsyncSession) -> type[sqlite.Insert] | type[postgresql.Insert]:
    """The dialect's INSERT, which has ``on_conflict_do_update``."""
    return sqlite.Insert if session.bind.dialect.name == "sqlite" else postgresql.Insert


async def hit(session: AsyncSession, key: str, window_seconds: int) -> int:
    """Count one event for ``key`` in the current window (atomic upsert); returns the count."""
    now = utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    table: Any = RateLimitCounter.__table__
    insert: Any = insert_for(session)(table).values(key=_stored(key), window_start=now, count=1)
    expired = table.c.window_start < cutoff
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": case((expired, 1), else_=table.c.count + 1),
            "window_start": case((expired, now), else_=table.c.window_start),
        },
    ).returning(table.c.count)
    count = await session.scalar(statement)
    return int(count or 0)


async def current(session: AsyncSession, key: str, window_seconds: int) -> tuple[int, int]:
    """(count in the live window, seconds until it resets)."""
    row = (
        await session.execute(
            select(RateLimitCounter.count, RateLimitCounter.window_start).where(
                RateLimitCounter.key == _stored(key)
            )
        )
    ).first()
    if row is None:
        return 0, 0
    remaining = window_seconds - (utcnow() - row[1]).total_seconds()
    if remaining <= 0:
        return 0, 0
    count: int = row[0]
    return count, int(remaining) + 1


def rate_limited(retry_after: int) -> ProblemError:
    return ProblemError(
        ErrorCode.RATE_LIMITED,
        "Too many attempts; wait before trying again.",
        headers={"Retry-After": str(max(retry_after, 1))},
    )
