"""Recording writes in the sync change log, in commit order.

Call ``record_changes`` inside the write transaction that made the changes, as its last step.
It takes a block of sequence numbers by updating the counter row, which holds that row's lock
until commit: a second writer waits there, so it gets later numbers *and* commits later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Change, SyncCounter
from shared.types import utcnow

ChangeEntity = Literal["team", "user", "kpi", "metric", "session"]


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    entity: ChangeEntity
    entity_id: str
    version: int
    op: Literal["upsert", "delete"] = "upsert"
    team_id: str | None = None
    previous_team_id: str | None = None
    agent_id: str | None = None


def metric_entity_id(agent_id: str, period: str, kpi_code: str) -> str:
    return f"{agent_id}:{period}:{kpi_code}"


async def next_sequence_block(session: AsyncSession, count: int) -> int:
    """Reserve ``count`` sequence numbers; returns the last one. Serialises writers until commit."""
    last = await session.scalar(
        update(SyncCounter)
        .where(SyncCounter.name == "changes")
        .values(value=SyncCounter.value + count)
        .returning(SyncCounter.value)
    )
    if last is None:
        raise RuntimeError("the sync counter row is missing; run migrations")
    return int(last)


async def record_changes(session: AsyncSession, records: Sequence[ChangeRecord]) -> None:
    if not records:
        return
    last = await next_sequence_block(session, len(records))
    first = last - len(records) + 1
    now = utcnow()
    await session.execute(
        insert(Change),
        [
            {
                "seq": first + index,
                "entity": record.entity,
                "entity_id": record.entity_id,
                "op": record.op,
                "version": record.version,
                "team_id": record.team_id,
                "previous_team_id": record.previous_team_id,
                "agent_id": record.agent_id,
                "created_at": now,
            }
            for index, record in enumerate(records)
        ],
    )
