"""The sync change feed: a full snapshot in pages, then commit-ordered increments.

A snapshot (no ``since``) pages through every entity in the reader's scope by keyset, one read
snapshot per page, never holding more than a page in memory. Its cursor remembers the change-log
position taken when it started, so the increments that follow replay whatever changed meanwhile.

An increment sends the entities of the change rows after the cursor's position, deduplicated
(latest wins), each as its *current* row, or as a ``delete`` once it no longer exists or has left
the reader's scope. The change log is only an index of what to look at; the tables say what is
true now, read in the same snapshot as the log itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, delete, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from server.db.engine import Database
from server.db.models import Change as ChangeRow
from server.db.models import CoachingSession, Kpi, Metric, SyncCounter, SyncMutation, Team, User
from server.services.changes import CHANGES_COUNTER, metric_entity_id, split_metric_entity_id
from server.services.principal import Principal
from server.services.sessions import session_json
from server.services.shapes import to_kpi, to_team, to_user
from server.services.sync_cursor import Cursor, cursor_expired
from server.services.sync_scope import SyncScope, load_sync_scope
from shared.sync import Change, ChangesPage, Entity
from shared.types import utcnow

PURGED_THROUGH = "purged_through"

Key = tuple[str, ...]


@dataclass(frozen=True)
class RowFeed:
    """An entity with a single-column key, read as ORM rows."""

    entity: Entity
    model: Any
    key: InstrumentedAttribute[str]
    visible: Callable[[SyncScope], ColumnElement[bool]]
    shape: Callable[[Any], BaseModel | dict[str, Any]]

    def _change(self, row: Any) -> Change:
        data = self.shape(row)
        body = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        return Change(entity=self.entity, id=getattr(row, self.key.key), op="upsert",
                      version=row.version, data=body)

    async def page(
        self, session: AsyncSession, scope: SyncScope, after: Key | None, limit: int
    ) -> list[tuple[Key, Change]]:
        statement = select(self.model).where(self.visible(scope)).order_by(self.key).limit(limit)
        if after is not None:
            statement = statement.where(self.key > after[0])
        rows = (await session.scalars(statement)).all()
        return [((getattr(row, self.key.key),), self._change(row)) for row in rows]

    async def current(self, session: AsyncSession, scope: SyncScope, ids: Sequence[str]) -> dict[str, Change]:
        statement = select(self.model).where(self.key.in_(ids), self.visible(scope))
        return {change.id: change for change in map(self._change, (await session.scalars(statement)).all())}


class MetricFeed:
    """Metrics, keyed ``(agent_id, period, kpi_code)``, read as plain tuples (they are many)."""

    entity: Entity = "metric"
    _columns = (Metric.agent_id, Metric.period, Metric.kpi_code, Metric.value, Metric.version)
    _key = tuple_(Metric.agent_id, Metric.period, Metric.kpi_code)

    @staticmethod
    def _change(agent_id: str, period: str, kpi_code: str, value: float, version: int) -> Change:
        data = {
            "agent_id": agent_id, "period": period, "kpi_code": kpi_code, "value": value, "version": version
        }
        return Change(entity="metric", id=metric_entity_id(agent_id, period, kpi_code), op="upsert",
                      version=version, data=data)

    async def page(
        self, session: AsyncSession, scope: SyncScope, after: Key | None, limit: int
    ) -> list[tuple[Key, Change]]:
        if after is not None and len(after) != 3:
            raise cursor_expired("The sync cursor is not valid.")
        statement = (
            select(*self._columns)
            .where(scope.agents(Metric.agent_id, after[0] if after else None))
            .order_by(Metric.agent_id, Metric.period, Metric.kpi_code)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(Metric.agent_id >= after[0], self._key > tuple_(*map(literal, after)))
        rows = (await session.execute(statement)).all()
        return [((row[0], row[1], row[2]), self._change(*row)) for row in rows]

    async def current(self, session: AsyncSession, scope: SyncScope, ids: Sequence[str]) -> dict[str, Change]:
        keys = [split_metric_entity_id(entity_id) for entity_id in ids]
        statement = select(*self._columns).where(self._key.in_(keys), scope.agents(Metric.agent_id))
        rows = await session.execute(statement)
        return {change.id: change for change in (self._change(*row) for row in rows)}


FEEDS: dict[str, RowFeed | MetricFeed] = {
    "kpi": RowFeed("kpi", Kpi, Kpi.code, lambda _scope: Kpi.code.is_not(None), to_kpi),
    "team": RowFeed("team", Team, Team.id, lambda scope: scope.teams(Team.id), to_team),
    "user": RowFeed("user", User, User.id, lambda scope: scope.users(), to_user),
    "metric": MetricFeed(),
    "session": RowFeed("session", CoachingSession, CoachingSession.id,
                       lambda scope: scope.sessions(), session_json),
}
SNAPSHOT_ORDER: tuple[Entity, ...] = ("kpi", "team", "user", "metric", "session")


@dataclass(frozen=True)
class LogPosition:
    """The last sequence number committed, and the last one purged."""

    committed: int
    purged_through: int


async def log_position(session: AsyncSession) -> LogPosition:
    rows = dict(
        (await session.execute(
            select(SyncCounter.name, SyncCounter.value).where(
                SyncCounter.name.in_((CHANGES_COUNTER, PURGED_THROUGH))
            )
        )).tuples().all()
    )
    return LogPosition(int(rows.get(CHANGES_COUNTER, 0)), int(rows.get(PURGED_THROUGH, 0)))


def check_cursor(cursor: Cursor, scope: SyncScope, position: LogPosition) -> None:
    """410 unless the cursor can still be continued exactly."""
    if cursor.scope != scope.digest:
        raise cursor_expired("What you may see has changed since this cursor was issued.")
    if cursor.seq < position.purged_through:
        raise cursor_expired("The changes after this cursor have been purged.")
    if cursor.seq > position.committed:
        raise cursor_expired("The sync cursor is not from this server's change log.")
    if cursor.entity is not None and cursor.entity >= len(SNAPSHOT_ORDER):
        raise cursor_expired("The sync cursor is not valid.")


@dataclass
class SyncService:
    """Reads the change feed for one caller."""

    db: Database

    async def changes(self, who: Principal, since: str | None, limit: int) -> ChangesPage:
        """One page of the feed: a snapshot page without ``since``, else what changed after it."""
        cursor = Cursor.decode(since) if since is not None else None
        async with self.db.read() as session:
            scope = await load_sync_scope(session, who)
            position = await log_position(session)
            if cursor is None:
                cursor = Cursor(position.committed, scope.digest, entity=0)
            else:
                check_cursor(cursor, scope, position)
            if cursor.in_snapshot:
                return await self._snapshot_page(session, scope, cursor, limit)
            return await self._increment(session, scope, cursor, position, limit)

    async def _snapshot_page(
        self, session: AsyncSession, scope: SyncScope, cursor: Cursor, limit: int
    ) -> ChangesPage:
        assert cursor.entity is not None
        index, after = cursor.entity, cursor.after
        changes: list[Change] = []
        while index < len(SNAPSHOT_ORDER) and len(changes) < limit:
            wanted = limit - len(changes)
            batch = await FEEDS[SNAPSHOT_ORDER[index]].page(session, scope, after, wanted)
            changes.extend(change for _key, change in batch)
            if len(batch) < wanted:
                index, after = index + 1, None
            else:
                after = batch[-1][0]
        if index < len(SNAPSHOT_ORDER):
            next_cursor = Cursor(cursor.seq, scope.digest, index, after)
            return ChangesPage(changes=changes, cursor=next_cursor.encode(), has_more=True)
        # Done: continue from where the log stood when the snapshot began.
        caught_up = await session.scalar(
            select(ChangeRow.seq).where(ChangeRow.seq > cursor.seq, scope.relevant_changes()).limit(1)
        )
        return ChangesPage(
            changes=changes, cursor=Cursor(cursor.seq, scope.digest).encode(), has_more=caught_up is not None
        )

    async def _increment(
        self, session: AsyncSession, scope: SyncScope, cursor: Cursor, position: LogPosition, limit: int
    ) -> ChangesPage:
        rows = (
            await session.execute(
                select(ChangeRow.seq, ChangeRow.entity, ChangeRow.entity_id, ChangeRow.version)
                .where(ChangeRow.seq > cursor.seq, scope.relevant_changes())
                .order_by(ChangeRow.seq)
                .limit(limit + 1)
            )
        ).all()
        has_more = len(rows) > limit
        rows = rows[:limit]
        latest: dict[tuple[str, str], tuple[int, int]] = {}
        for seq, entity, entity_id, version in rows:
            latest.pop((entity, entity_id), None)  # re-insert so the order is that of the latest
            latest[(entity, entity_id)] = (seq, version)
        ids: dict[str, list[str]] = {}
        for entity, entity_id in latest:
            ids.setdefault(entity, []).append(entity_id)
        current: dict[tuple[str, str], Change] = {}
        for entity, entity_ids in ids.items():
            feed = FEEDS[entity]
            for entity_id, change in (await feed.current(session, scope, entity_ids)).items():
                current[(entity, entity_id)] = change
        changes = [
            current.get(key) or Change(entity=FEEDS[key[0]].entity, id=key[1], op="delete", version=version)
            for key, (_seq, version) in latest.items()
        ]
        # Past the last relevant row, the reader has seen everything committed in this snapshot.
        seq = rows[-1].seq if has_more else max(cursor.seq, position.committed)
        return ChangesPage(changes=changes, cursor=Cursor(seq, scope.digest).encode(), has_more=has_more)


async def purge_changes(db: Database, retention_days: int) -> int:
    """Delete change rows older than ``retention_days``; cursors from before them then get 410.

    Records the highest purged sequence number as the purge horizon (counter ``purged_through``).
    Stored push results of the same age go too: a client away that long re-snapshots anyway.
    Returns the number of change rows deleted.
    """
    cutoff = utcnow() - timedelta(days=retention_days)

    async def delete_old(session: AsyncSession) -> int:
        await session.execute(delete(SyncMutation).where(SyncMutation.created_at < cutoff))
        horizon = await session.scalar(select(func.max(ChangeRow.seq)).where(ChangeRow.created_at < cutoff))
        if horizon is None:
            return 0
        deleted = await session.execute(delete(ChangeRow).where(ChangeRow.seq <= horizon))
        await _raise_purge_horizon(session, int(horizon))
        return int(deleted.rowcount)  # type: ignore[attr-defined]

    return await db.run_write(delete_old)


async def _raise_purge_horizon(session: AsyncSession, horizon: int) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(SyncCounter)
        .values(name=PURGED_THROUGH, value=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    await session.execute(
        update(SyncCounter)
        .where(SyncCounter.name == PURGED_THROUGH, SyncCounter.value < horizon)
        .values(value=horizon)
    )
