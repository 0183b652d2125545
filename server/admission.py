"""Load shedding: at most ``pool_size`` requests do database work at once in this process.

A request past that waits at most ``pool_timeout`` for a turn, then gets 503 ``overloaded`` with
``Retry-After`` — never a hang, never a 500.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from server.observability import POOL_IN_USE, POOL_WAITING, SHED_REQUESTS
from server.problems import RETRY_AFTER_OVERLOADED, problem_response
from shared.errors import ErrorCode

GATED_PREFIXES = ("/api/", "/readyz")


class AdmissionGate:
    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self._slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GATED_PREFIXES):
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
