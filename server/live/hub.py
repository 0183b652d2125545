"""``PokeHub``: this process's subscribers to pokes, and the delivery of each poke to them.

A subscriber holds no queue, only the highest sequence it has not yet been told about: pokes
that arrive while its stream is busy fold into one, so a slow client costs a few bytes, never a
growing backlog.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable

from server.live.poke import Poke


class Subscriber:
    """One open event stream: the reader's id and team scope, and what is waiting for it."""

    def __init__(self, user_id: str, team_ids: frozenset[str] | None) -> None:
        self.user_id = user_id
        self.team_ids = team_ids
        self._pending: int | None = None
        self._rescope = False
        self._ready = asyncio.Event()

    def offer(self, poke: Poke) -> None:
        if poke.rescope:
            # Who sees what may have changed: whatever the old scope says, tell the reader.
            self._rescope = True
        elif not poke.concerns(self.user_id, self.team_ids):
            return
        self._pending = poke.seq if self._pending is None else max(self._pending, poke.seq)
        self._ready.set()

    async def next_poke(self) -> tuple[int, bool]:
        """Wait for the next sequence to announce; also says whether the scope must be reloaded."""
        await self._ready.wait()
        self._ready.clear()
        seq, rescope = self._pending, self._rescope
        self._pending, self._rescope = None, False
        assert seq is not None  # _ready is set only together with _pending
        return seq, rescope


Starter = Callable[[], Awaitable[None]]


class PokeHub:
    """Hands each poke to the subscribers it concerns. ``start`` runs before the first one joins
    (on PostgreSQL it opens the process's one listening connection)."""

    def __init__(self) -> None:
        # Weak: a stream dropped before it ever ran (its client gone at once) leaves nothing behind.
        self._subscribers: weakref.WeakSet[Subscriber] = weakref.WeakSet()
        self._start: Starter | None = None
        self._started: asyncio.Future[None] | None = None

    def before_first_subscriber(self, start: Starter) -> None:
        self._start = start

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def subscribe(self, user_id: str, team_ids: frozenset[str] | None) -> Subscriber:
        if self._start is not None:
            if self._started is None or (self._started.done() and self._started.exception()):
                self._started = asyncio.ensure_future(self._start())
            await asyncio.shield(self._started)
        subscriber = Subscriber(user_id, team_ids)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def deliver(self, poke: Poke) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(poke)
