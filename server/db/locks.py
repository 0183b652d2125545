"""A fixed lock order for writes that touch people's calendars.

Two PostgreSQL transactions booking the same agent each insert their row first and check the
exclusion constraints afterwards; each then waits for the other's uncommitted row, and PostgreSQL
ends the cycle by failing one with a deadlock. Taking a transaction-level advisory lock on every
person the write touches, always in the same (sorted) order, before the overlap check makes the
second writer wait up front instead: it then sees the first one's committed row and answers a
plain 409. The locks go with the transaction (commit or rollback), so nothing is ever left held.

SQLite needs none of this: ``BEGIN IMMEDIATE`` already lets one writer in at a time.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

PERSON_NAMESPACE = b"coachhub:person:"


def person_lock_key(user_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for a person (the same in every process)."""
    digest = hashlib.sha256(PERSON_NAMESPACE + user_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_people(session: AsyncSession, *user_ids: str) -> None:
    """Hold the calendar locks of ``user_ids`` until the transaction ends (PostgreSQL only).

    Taken in ascending key order, so two writers that need overlapping sets of people queue
    behind each other and never wait on each other in a cycle.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({person_lock_key(user_id) for user_id in user_ids}):
        await session.execute(select(func.pg_advisory_xact_lock(key)))
