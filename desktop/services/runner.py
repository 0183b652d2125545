"""Running blocking work (SQLite, keyring) off the Qt thread, from async service methods."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class BlockingRunner:
    """One worker thread for the cache (SQLite writes stay serialised) and one for the keychain.

    ``await runner(fn)`` runs ``fn()`` on the cache thread; the event loop keeps turning meanwhile.
    Results come back on the loop's thread, so no widget is ever touched from a worker.
    """

    def __init__(self) -> None:
        self._cache = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coachhub-cache")
        self._keychain = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coachhub-keychain")

    async def __call__(self, function: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._cache, function)

    async def keychain(self, function: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._keychain, function)

    def shutdown(self) -> None:
        self._cache.shutdown(wait=True)
        self._keychain.shutdown(wait=True)


def freeze_startup_objects() -> None:
    """Move every object alive now (modules, classes, Qt wrappers) out of the cyclic GC's reach.

    A full collection walks every tracked object while holding the GIL; during a big sync that
    walk over the whole program stalled the UI loop for 70-250 ms. Frozen objects are skipped, so
    the collections that remain only walk what the sync itself allocates (well under 50 ms).
    """
    gc.freeze()
