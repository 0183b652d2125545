"""argon2id password hashing in its own lane: a few threads of its own, a short wait for a turn.

Hashing is deliberately slow and memory-hungry. A flood of sign-ins must not take the threads or
the time that signed-in work needs, so at most ``concurrency`` hashes run at once in a process,
and a caller that cannot get a turn within ``wait_seconds`` is told 503 ``overloaded`` at once
instead of queueing behind the flood. The hashing threads also run at the lowest CPU priority,
so the hashes a flood does get to run take CPU only when signed-in requests leave it idle.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.problems import RETRY_AFTER_OVERLOADED, ProblemError
from shared.errors import ErrorCode

T = TypeVar("T")

LOWEST_PRIORITY = 19


def _lower_priority() -> None:
    """Runs in each hashing thread; argon2's own worker threads inherit the priority."""
    if sys.platform.startswith("linux"):
        # Linux takes a thread's id here and sets that thread's priority alone (elsewhere the
        # call would name a process).
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)


class Passwords:
    """Hashes and verifies passwords, at most ``concurrency`` at a time."""

    def __init__(self, memory_kib: int = 65536, concurrency: int = 1, wait_seconds: float = 0.5) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib)
        self._threads = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="password-hashing", initializer=_lower_priority
        )
        self._turns = asyncio.Semaphore(concurrency)
        self._wait_seconds = wait_seconds
        # Verified when an email is unknown, so a miss costs as long as a wrong password.
        self._dummy_hash = self._hasher.hash("not a real password")

    async def _in_lane(self, work: Callable[[], T]) -> T:
        try:
            await asyncio.wait_for(self._turns.acquire(), self._wait_seconds)
        except TimeoutError:
            raise ProblemError(
                ErrorCode.OVERLOADED,
                "Too many sign-ins at once; retry shortly.",
                headers={"Retry-After": str(RETRY_AFTER_OVERLOADED)},
            ) from None
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, work)
        finally:
            self._turns.release()

    async def hash(self, password: str) -> str:
        return await self._in_lane(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        target = password_hash or self._dummy_hash

        def check() -> bool:
            try:
                return self._hasher.verify(target, password)
            except (VerificationError, InvalidHashError):
                return False

        return await self._in_lane(check) and password_hash is not None

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
