"""Slowing down password guessing without letting strangers lock an account out.

Failures are counted per (email, client address): someone guessing from elsewhere never delays
the owner's sign-in. The first few failures are free; after that each one makes the pair wait
longer (1 s, 2 s, 4 s … up to a cap) before its next try. A client address also has a ceiling on
failures over all accounts per window.

An attempt is counted *before* its password is checked, by one conditional upsert that refuses
while the pair must wait; a right password then takes the count back. So concurrent wrong
passwords are counted exactly, in every worker process, and a burst gets no more tries than a
sequence would.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import RateLimitCounter, SignInFailure
from server.db.types import UtcDateTime
from server.services import ratelimit
from server.settings import Settings
from shared.types import utcnow

# A pair that has been quiet this long starts again from its free failures.
FORGET_AFTER = timedelta(days=1)


def _pair_key(email: str, address: str) -> str:
    return hashlib.sha256(f"{email}\n{address}".encode()).hexdigest()


def _address_key(address: str) -> str:
    return f"sign-in-address:{address}"


def delays(settings: Settings) -> list[int]:
    """Seconds to wait after failure number ``free + 1``, ``free + 2``, … until the cap."""
    steps: list[int] = []
    seconds = 1
    while seconds < settings.login_max_delay_seconds:
        steps.append(seconds)
        seconds *= 2
    return [*steps, settings.login_max_delay_seconds]


def _blocked_until(failures: ColumnElement[Any], now: datetime, settings: Settings) -> ColumnElement[Any]:
    """``now`` plus the wait that ``failures`` earns, as SQL (the count is only known there)."""

    def at(seconds: int) -> ColumnElement[Any]:
        return literal(now + timedelta(seconds=seconds), UtcDateTime())

    free = settings.login_free_failures
    steps = delays(settings)
    ladder = [(failures == free + number, at(wait)) for number, wait in enumerate(steps[:-1], start=1)]
    return case((failures <= free, at(0)), *ladder, else_=at(steps[-1]))


async def admit(session: AsyncSession, settings: Settings, email: str, address: str) -> None:
    """Count this attempt as a failure, or raise 429 while the pair or the address must wait."""
    now = utcnow()
    window = settings.rate_window_seconds
    if await ratelimit.hit(session, _address_key(address), window) > settings.login_failures_per_address:
        raise ratelimit.rate_limited(window)
    table: Any = SignInFailure.__table__
    key = _pair_key(email, address)
    failures = case((table.c.last_attempt_at < now - FORGET_AFTER, 1), else_=table.c.failures + 1)
    statement = (
        ratelimit.insert_for(session)(table)
        .values(
            key=key, failures=1, blocked_until=_blocked_until(literal(1), now, settings), last_attempt_at=now
        )
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "blocked_until": _blocked_until(failures, now, settings),
                "last_attempt_at": now,
            },
            where=table.c.blocked_until <= now,
        )
        .returning(table.c.failures)
    )
    if await session.scalar(statement) is None:
        blocked_until = await session.scalar(
            select(SignInFailure.blocked_until).where(SignInFailure.key == key)
        )
        wait = (blocked_until - now).total_seconds() if blocked_until else 1.0
        raise ratelimit.rate_limited(math.ceil(wait))


async def forgive(session: AsyncSession, email: str, address: str) -> None:
    """The password was right: the pair starts again, and the address gets its try back."""
    await session.execute(delete(SignInFailure).where(SignInFailure.key == _pair_key(email, address)))
    await session.execute(
        update(RateLimitCounter)
        .where(RateLimitCounter.key == _address_key(address), RateLimitCounter.count > 0)
        .values(count=RateLimitCounter.count - 1)
    )
