"""Load shedding: at most ``pool_size`` requests do database work at once in this process.

A request past that waits at most ``pool_timeout`` for a turn, then gets 503 ``overloaded`` with
``Retry-After`` — never a hang, never a 500.

Sign-ins and password resets (unauthenticated, and password hashing is slow) have a small gate of
their own instead, so a flood of them sheds itself and leaves the main gate to signed-in work.

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
SIGN_IN_PREFIXES = ("/api/v1/auth/login", "/api/v1/auth/password-reset")


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


class AdmissionGate:
    """Lets requests whose path starts with one of ``prefixes`` (and with none of ``exempt``) in
    only with a turn of ``admission``; the rest of the traffic passes untouched."""

    def __init__(
        self,
        app: ASGIApp,
        admission: Admission,
        prefixes: tuple[str, ...] = GATED_PREFIXES,
        exempt: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.admission = admission
        self.prefixes = prefixes
        self.exempt = exempt

    def _gates(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        if path in UNGATED_PATHS:
            return False
        return path.startswith(self.prefixes) and not path.startswith(self.exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._gates(scope):
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
