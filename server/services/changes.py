"""Recording writes in the sync change log, in commit order.

Call ``record_changes`` inside the write transaction that made the changes, as its last step.
It takes a block of sequence numbers by updating the counter row, which holds that row's lock
until commit: a second writer waits there, so it gets later numbers *and* commits later. A reader
that has seen sequence N has therefore seen every change numbered below N.

What a change row means (``server/services/sync.py`` reads them):

- ``team_id`` is the team whose scope the row is in after the write, ``previous_team_id`` the
  team it was in before a move, ``agent_id`` the agent the row belongs to.
- A change row only says *that* an entity changed; the feed always sends the entity's current
  row, or a ``delete`` when it no longer exists or has left the reader's scope.
- The write also pokes the live-update subscribers it concerns (``poke_for``), by a message that
  leaves only when the transaction commits.
- Moving an agent moves their metrics and sessions too. A user change with a
  ``previous_team_id`` other than its ``team_id`` is expanded here, at write time, into a change
  for each of the agent's metrics and sessions (``record_agent_move`` does the same explicitly,
  also for an agent who had no team before). The feed then sends them as deletes to the old
  team's readers and as upserts to the new team's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Change, CoachingSession, Metric, SyncCounter
from server.live.poke import Poke
from server.live.publish import send_on_commit
from shared.types import utcnow

ChangeEntity = Literal["team", "user", "kpi", "metric", "session"]
CHANGES_COUNTER = "changes"


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One write to a synced entity, as the writer reports it."""

    entity: ChangeEntity
    entity_id: str
    version: int
    op: Literal["upsert", "delete"] = "upsert"
    team_id: str | None = None
    previous_team_id: str | None = None
    agent_id: str | None = None


def metric_entity_id(agent_id: str, period: str, kpi_code: str) -> str:
    return f"{agent_id}:{period}:{kpi_code}"


def split_metric_entity_id(entity_id: str) -> tuple[str, str, str]:
    """``agent_id:period:kpi_code`` back into its parts (ids and codes hold no colon)."""
    agent_id, period, kpi_code = entity_id.rsplit(":", 2)
    return agent_id, period, kpi_code


async def next_sequence_block(session: AsyncSession, count: int) -> int:
    """Reserve ``count`` sequence numbers; returns the last one. Serialises writers until commit."""
    last = await session.scalar(
        update(SyncCounter)
        .where(SyncCounter.name == CHANGES_COUNTER)
        .values(value=SyncCounter.value + count)
        .returning(SyncCounter.value)
    )
    if last is None:
        raise RuntimeError("the sync counter row is missing; run migrations")
    return int(last)


async def agent_rows_changes(
    session: AsyncSession, agent_id: str, team_id: str | None, previous_team_id: str | None
) -> list[ChangeRecord]:
    """A change for each metric and session of ``agent_id``, as moved between the two teams."""
    metrics = await session.execute(
        select(Metric.period, Metric.kpi_code, Metric.version).where(Metric.agent_id == agent_id)
    )
    sessions = await session.execute(
        select(CoachingSession.id, CoachingSession.version).where(CoachingSession.agent_id == agent_id)
    )

    def moved(entity: ChangeEntity, entity_id: str, version: int) -> ChangeRecord:
        return ChangeRecord(
            entity, entity_id, version, team_id=team_id, previous_team_id=previous_team_id, agent_id=agent_id
        )

    records = [
        moved("metric", metric_entity_id(agent_id, period, kpi_code), version)
        for period, kpi_code, version in metrics
    ]
    records.extend(moved("session", session_id, version) for session_id, version in sessions)
    return records


def _is_move(record: ChangeRecord) -> bool:
    return (
        record.entity == "user"
        and record.previous_team_id is not None
        and record.previous_team_id != record.team_id
    )


async def record_changes(session: AsyncSession, records: Sequence[ChangeRecord]) -> None:
    """Append ``records`` to the change log; call last in the write transaction that made them."""
    expanded: list[ChangeRecord] = []
    for record in records:
        expanded.append(record)
        if _is_move(record):
            expanded.extend(
                await agent_rows_changes(session, record.entity_id, record.team_id, record.previous_team_id)
            )
    await _append(session, expanded)


async def record_agent_move(
    session: AsyncSession,
    agent_id: str,
    version: int,
    old_team_id: str | None,
    new_team_id: str | None,
) -> None:
    """Record that an agent (now at ``version``) moved teams, with all their metrics and sessions.

    Use instead of a plain user change when the move may start from no team at all, which a
    ``ChangeRecord`` cannot tell apart from "not moved".
    """
    user = ChangeRecord(
        "user", agent_id, version, team_id=new_team_id, previous_team_id=old_team_id, agent_id=agent_id
    )
    if old_team_id == new_team_id:
        await _append(session, [user])
        return
    await _append(session, [user, *await agent_rows_changes(session, agent_id, new_team_id, old_team_id)])


async def _append(session: AsyncSession, records: Sequence[ChangeRecord]) -> None:
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
    await send_on_commit(session, await poke_for(session, records, last))


async def poke_for(session: AsyncSession, records: Sequence[ChangeRecord], seq: int) -> Poke:
    """The poke announcing ``records`` (the feed now at ``seq``) to the readers they may concern.

    It names the teams the rows are in before and after the write, their agents, and the coaches
    of the sessions (a leader sees the sessions they coach, whatever the team). A team or user
    change may change who sees what, and a row without a team cannot be placed: both poke all.
    """
    teams: set[str] = set()
    people: set[str] = set()
    everyone = False
    for record in records:
        teams.update(team for team in (record.team_id, record.previous_team_id) if team is not None)
        if record.agent_id is not None:
            people.add(record.agent_id)
        if record.entity in ("team", "user", "kpi") or record.team_id is None:
            everyone = True
    session_ids = [record.entity_id for record in records if record.entity == "session"]
    if session_ids and not everyone:
        coaches = await session.scalars(
            select(CoachingSession.coach_id).where(CoachingSession.id.in_(session_ids))
        )
        people.update(coaches)
    rescope = any(record.entity in ("team", "user") for record in records)
    return Poke(seq, frozenset(teams), frozenset(people), everyone, rescope)
