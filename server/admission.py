"""Load shedding: at most ``pool_size`` requests do database work at once in this process.

A request past that waits at most ``pool_timeout`` for a turn, then gets 503 ``overloaded`` with
``Retry-After`` — never a hang, never a 500.

The live-events stream is the one exception: it stays open for hours doing no database work, so
the gate lets it through and it takes a turn (``Admission.turn``) only for the moments it reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.types import ASGIApp, Receive, Scope, Send

from server.observability import POOL_IN_USE, POOL_WAITING, SHED_REQUESTS
from server.problems import RETRY_AFTER_OVERLOADED, ProblemError, problem_response
from shared.errors import ErrorCode

GATED_PREFIXES = ("/api/", "/readyz")
UNGATED_PATHS = frozenset({"/api/v1/events"})


class Overloaded(ProblemError):
    """No turn came free in time: ``503 overloaded`` with ``Retry-After``."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.OVERLOADED,
            "The server is at capacity; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_OVERLOADED)},
        )


class Admission:
    """The process's turns at database work, shared by the gate and the event streams."""

    def __init__(self, limit: int, timeout: float) -> None:
        self.timeout = timeout
        self._slots = asyncio.Semaphore(limit)

    async def acquire(self) -> None:
        """Take one turn; raises ``Overloaded`` if none comes free in time."""
        POOL_WAITING.inc()
        try:
            await asyncio.wait_for(self._slots.acquire(), self.timeout)
        except TimeoutError:
            SHED_REQUESTS.inc()
            raise Overloaded() from None
        finally:
            POOL_WAITING.dec()
        POOL_IN_USE.inc()

    def release(self) -> None:
        POOL_IN_USE.dec()
        self._slots.release()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one turn for the block."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()


def is_gated(scope: Scope) -> bool:
    if scope["type"] != "http":
        return False
    path: str = scope["path"]
    return path.startswith(GATED_PREFIXES) and path not in UNGATED_PATHS


class AdmissionGate:
    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_gated(scope):
            await self.app(scope, receive, send)
            return
        try:
            await self.admission.acquire()
        except Overloaded as refusal:
            response = problem_response(refusal.code, refusal.detail, refusal.headers)
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.release()
