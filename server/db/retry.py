"""Transient database failures: the whole transaction runs again, a bounded number of times.

Two writers can each hold what the other needs (PostgreSQL breaks the cycle by failing one of
them with ``40P01``), a snapshot can become unserialisable (``40001``), a lock wait can time out
(``55P03``), and SQLite can stay locked past its busy timeout. None of these says anything about
the request: the same work, started again on a fresh transaction, normally succeeds. Everything
inside one transaction is safe to repeat, because a failed transaction left nothing behind.

When the attempts are spent the caller gets :class:`DatabaseContended`, a ``503 overloaded`` with
``Retry-After`` — an honest "try again", never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from server.observability import DB_RETRIES, DB_RETRY_BUDGET_SPENT
from server.problems import RETRY_AFTER_OVERLOADED, ProblemError
from shared.errors import ErrorCode

log = logging.getLogger(__name__)

T = TypeVar("T")

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
TRANSIENT_SQLSTATES = {
    DEADLOCK: "deadlock",
    SERIALIZATION_FAILURE: "serialization",
    LOCK_NOT_AVAILABLE: "lock_timeout",
}
SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
SQLITE_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")


def sqlstate(error: DBAPIError) -> str | None:
    """The PostgreSQL SQLSTATE behind a driver error, whichever driver wrapped it."""
    original = error.orig
    code = getattr(original, "pgcode", None) or getattr(original, "sqlstate", None)
    if code is None and original is not None:
        code = getattr(original.__cause__, "sqlstate", None)
    return str(code) if code is not None else None


def transient_reason(error: BaseException) -> str | None:
    """Why ``error`` is worth a fresh attempt (a metric label), or ``None`` when it is not."""
    if not isinstance(error, DBAPIError):
        return None
    reason = TRANSIENT_SQLSTATES.get(sqlstate(error) or "")
    if reason is not None:
        return reason
    original = error.orig
    if getattr(original, "sqlite_errorcode", None) in SQLITE_BUSY_CODES:
        return "sqlite_busy"
    message = str(original).lower()
    if any(words in message for words in SQLITE_BUSY_WORDS):
        return "sqlite_busy"
    return None


class DatabaseContended(ProblemError):
    """Every attempt of a transaction failed on contention: ``503 overloaded`` with ``Retry-After``."""

    def __init__(self, attempts: int, reason: str) -> None:
        super().__init__(
            ErrorCode.OVERLOADED,
            "Too many writes are competing for the same records; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_OVERLOADED)},
        )
        self.attempts = attempts
        self.reason = reason


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transaction is retried after a transient failure.

    The pause before attempt ``n + 1`` is uniform in ``[0, min(max_delay, base_delay * 2**n))``:
    exponential so a crowd thins out, jittered so two transactions that just deadlocked do not
    start again in lockstep and meet the same way.
    """

    attempts: int = 5
    base_delay: float = 0.02
    max_delay: float = 0.5

    def pause(self, failures: int) -> float:
        return random.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (failures - 1)))

    async def run(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Await ``attempt()`` until it succeeds, fails for a non-transient reason (re-raised as
        is), or has failed transiently ``attempts`` times (:class:`DatabaseContended`)."""
        failures = 0
        while True:
            try:
                return await attempt()
            except DBAPIError as error:
                reason = transient_reason(error)
                if reason is None:
                    raise
                failures += 1
                if failures >= self.attempts:
                    DB_RETRY_BUDGET_SPENT.labels(reason).inc()
                    log.warning("transaction gave up after %d attempts (%s)", failures, reason)
                    raise DatabaseContended(failures, reason) from error
                DB_RETRIES.labels(reason).inc()
            await asyncio.sleep(self.pause(failures))
