"""Where a live-update reader starts: the teams they may see and the feed's current sequence."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import SyncCounter
from server.services.changes import CHANGES_COUNTER
from server.services.principal import Principal
from server.services.sync_scope import load_sync_scope


@dataclass(frozen=True, slots=True)
class ReaderPosition:
    """A reader's team scope (``None``: every team) and the last committed change sequence."""

    team_ids: frozenset[str] | None
    seq: int


class LiveUpdatesService:
    """Short reads for the event stream, which holds no connection between them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def position(self, who: Principal) -> ReaderPosition:
        """The reader's scope and the feed's sequence, from one snapshot (the sync feed's rules)."""

        async def read(session: AsyncSession) -> ReaderPosition:
            scope = await load_sync_scope(session, who)
            seq = await session.scalar(select(SyncCounter.value).where(SyncCounter.name == CHANGES_COUNTER))
            return ReaderPosition(scope.team_ids, int(seq or 0))

        return await self.db.run_read(read)
