"""The process's one PostgreSQL listening connection, feeding every poke into the ``PokeHub``.

Writers send ``NOTIFY`` inside their transaction (``server/services/changes.py``), so a poke
exists only once its change has committed, and every process behind the load balancer hears it.
The listener holds a dedicated asyncpg connection outside the pool — one per process, however
many clients listen — and reconnects after losing it. Pokes sent while it was away are lost, so
after each (re)connect it reads the feed's current sequence and pokes everyone with it.
"""

from __future__ import annotations

import asyncio
import logging
import random

import asyncpg

from server.live.hub import PokeHub
from server.live.poke import CHANNEL, Poke

log = logging.getLogger(__name__)

CURRENT_SEQUENCE = "SELECT value FROM sync_counters WHERE name = 'changes'"
FIRST_CONNECT_WAIT = 5.0
PROBE_INTERVAL = 15.0
PROBE_TIMEOUT = 5.0
MAX_RECONNECT_DELAY = 10.0


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL without its driver name, as asyncpg takes it."""
    scheme, rest = database_url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


class PostgresListener:
    """``LISTEN``s on ``CHANNEL`` and hands each notification to the hub as a ``Poke``."""

    def __init__(self, database_url: str, hub: PokeHub) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.hub = hub
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start listening; waits a little for the first connection, then goes on regardless
        (a client that misses pokes meanwhile still has its timed sync)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())
        try:
            await asyncio.wait_for(self.connected.wait(), FIRST_CONNECT_WAIT)
        except TimeoutError:
            log.warning("no listening connection to PostgreSQL yet; pokes wait for it")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen_until_lost()
                failures = 0
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                failures += 1
                log.warning("listening connection lost (%r); reconnecting", exc)
            delay = min(MAX_RECONNECT_DELAY, 0.1 * 2**failures)
            await asyncio.sleep(random.uniform(delay / 2, delay))

    async def _listen_until_lost(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._on_notification)
            current = await connection.fetchval(CURRENT_SEQUENCE)
            if current is not None:
                self.hub.deliver(Poke(int(current), everyone=True))
            self.connected.set()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), PROBE_INTERVAL)
                except TimeoutError:
                    # A peer that vanished without closing the socket shows only when asked.
                    await connection.fetchval("SELECT 1", timeout=PROBE_TIMEOUT)
        finally:
            self.connected.clear()
            if not connection.is_closed():
                connection.terminate()

    def _on_notification(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            poke = Poke.decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed poke: %.200r", payload)
            return
        self.hub.deliver(poke)
