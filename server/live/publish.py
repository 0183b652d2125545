"""Sending a poke from inside the write transaction, so that it leaves only if that commits.

On PostgreSQL a ``NOTIFY`` inside the transaction is held back by the database until commit (and
dropped on rollback), and reaches every process's listener. On SQLite there is one process: the
poke waits in the session until ``Database.write`` has committed, then goes to the hub directly.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.live.hub import PokeHub
from server.live.poke import CHANNEL, Poke

AFTER_COMMIT = "pokes_after_commit"


async def send_on_commit(session: AsyncSession, poke: Poke) -> None:
    """Send ``poke`` when (and only when) ``session``'s transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, poke.encode())))
    else:
        session.info.setdefault(AFTER_COMMIT, []).append(poke)


def deliver_committed(info: MutableMapping[Any, Any], hub: PokeHub) -> None:
    """Hand the hub the pokes a just-committed SQLite transaction left in its session."""
    for poke in info.pop(AFTER_COMMIT, ()):
        hub.deliver(poke)
