"""Load shedding: at most ``pool_size`` requests do database work at once in this process.

A request past that waits at most ``pool_timeout`` for a turn, then gets 503 ``overloaded`` with
``Retry-After`` — never a hang, never a 500.

Sign-ins and password resets (unauthenticated, and password hashing is slow) have a small gate of
their own instead, so a flood of them sheds itself and leaves the main gate to signed-in work.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from server.observability import POOL_IN_USE, POOL_WAITING, SHED_REQUESTS
from server.problems import RETRY_AFTER_OVERLOADED, problem_response
from shared.errors import ErrorCode

GATED_PREFIXES = ("/api/", "/readyz")
SIGN_IN_PREFIXES = ("/api/v1/auth/login", "/api/v1/auth/password-reset")


class AdmissionGate:
    """Lets at most ``limit`` requests whose path starts with one of ``prefixes`` (and with none
    of ``exempt``) in at once; the rest wait up to ``timeout``, then get 503."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        timeout: float,
        prefixes: tuple[str, ...] = GATED_PREFIXES,
        exempt: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.prefixes = prefixes
        self.exempt = exempt
        self._slots = asyncio.Semaphore(limit)

    def _gates(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        return path.startswith(self.prefixes) and not path.startswith(self.exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._gates(scope):
            await self.app(scope, receive, send)
            return
        POOL_WAITING.inc()
        try:
            await asyncio.wait_for(self._slots.acquire(), self.timeout)
        except TimeoutError:
            SHED_REQUESTS.inc()
            response = problem_response(
                ErrorCode.OVERLOADED,
                "The server is at capacity; retry shortly.",
                headers={"Retry-After": str(RETRY_AFTER_OVERLOADED)},
            )
            await response(scope, receive, send)
            return
        finally:
            POOL_WAITING.dec()
        POOL_IN_USE.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            POOL_IN_USE.dec()
            self._slots.release()
