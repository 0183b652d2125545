"""Stored scores: each agent's KPI values and score per month, kept up to date where they change.

Scores change only when metrics or KPI settings do, and are read all day. Every write that changes
either calls ``refresh_scores`` inside its own transaction; it recomputes the affected rows of
``agent_scores`` with the one ``shared.scoring`` code the desktop also scores with offline, so the
dashboards only read a few stored rows and both sides still agree.

Concurrent writers on PostgreSQL (READ COMMITTED) cannot leave a stale score: a refresh first takes
a transaction advisory lock (shared for an import's months, exclusive for a KPI change, which rescores
everything), then locks its score rows in key order, and only then reads KPI settings and metrics,
so it sees every write committed before it, and two refreshes of one row take turns. SQLite writers
are serialised by ``BEGIN IMMEDIATE`` already.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AgentScore, Kpi, Metric
from shared import scoring
from shared.scoring import KpiRule, kpi_sort_key

Key = tuple[str, str]
"""A stored score's key: ``(agent_id, period)``."""

Stored = tuple[dict[str, float], float | None]

# Any constant will do, as long as nothing else in the database takes this advisory lock.
SCORES_LOCK_KEY = 0x53434F5245  # "SCORE"
CHUNK = 1000


async def refresh_scores(session: AsyncSession, keys: Iterable[Key] | None = None) -> int:
    """Recompute the stored scores of ``keys``; ``None`` means every agent and month (KPI change).

    Returns how many stored rows changed. Call it after the metrics or KPI settings are written,
    in the same transaction.
    """
    everything = keys is None
    wanted = [] if keys is None else sorted(set(keys))
    if not everything and not wanted:
        return 0
    await _take_turn(session, exclusive=everything)
    if everything:
        wanted = await _scored_keys(session)
    stored = await _lock_rows(session, wanted)
    rules = await kpi_rules(session)
    values = await _metric_values(session, wanted, everything)
    changes = []
    for key in wanted:
        kpi_values = values.get(key, {})
        score = scoring.score(kpi_values, rules)
        current, version = stored[key]
        if current != (kpi_values, score):
            changes.append(
                {
                    "agent_id": key[0],
                    "period": key[1],
                    "kpi_values": kpi_values,
                    "score": score,
                    "version": version + 1,
                }
            )
    if changes:
        await session.execute(update(AgentScore), changes)
    return len(changes)


async def kpi_rules(session: AsyncSession) -> list[KpiRule]:
    """The scoring rules in display order, the order ``shared.reports`` scores in."""
    rows = (await session.execute(select(Kpi.code, Kpi.target, Kpi.weight, Kpi.higher_is_better))).all()
    return [KpiRule(*row) for row in sorted(rows, key=lambda row: kpi_sort_key(row[0]))]


async def _take_turn(session: AsyncSession, exclusive: bool) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    await session.execute(select(lock(SCORES_LOCK_KEY)))


async def _scored_keys(session: AsyncSession) -> list[Key]:
    """Every (agent, month) with metrics or a stored score."""
    with_metrics = select(Metric.agent_id, Metric.period).distinct()
    with_scores = select(AgentScore.agent_id, AgentScore.period)
    rows = await session.execute(with_metrics.union(with_scores))
    return sorted((agent_id, period) for agent_id, period in rows)


async def _lock_rows(session: AsyncSession, keys: Sequence[Key]) -> dict[Key, tuple[Stored, int]]:
    """Insert the missing rows and lock all of them, in key order; returns what each holds."""
    dialect_insert: Any = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    stored: dict[Key, tuple[Stored, int]] = {}
    for start in range(0, len(keys), CHUNK):
        statement = dialect_insert(AgentScore).values(
            [
                {"agent_id": a, "period": p, "kpi_values": {}, "score": None, "version": 0}
                for a, p in keys[start : start + CHUNK]
            ]
        )
        # A no-op update, so that existing rows are locked (and returned) too.
        statement = statement.on_conflict_do_update(
            index_elements=[AgentScore.agent_id, AgentScore.period], set_={"version": AgentScore.version}
        ).returning(
            AgentScore.agent_id,
            AgentScore.period,
            AgentScore.kpi_values,
            AgentScore.score,
            AgentScore.version,
        )
        for agent_id, period, kpi_values, score, version in await session.execute(statement):
            stored[(agent_id, period)] = ((kpi_values, score), version)
    return stored


async def _metric_values(
    session: AsyncSession, keys: Sequence[Key], everything: bool
) -> dict[Key, dict[str, float]]:
    columns = (Metric.agent_id, Metric.period, Metric.kpi_code, Metric.value)
    if everything:
        statements = [select(*columns)]
    else:
        statements = []
        periods = sorted({period for _, period in keys})
        agents = sorted({agent_id for agent_id, _ in keys})
        for start in range(0, len(agents), CHUNK):
            chunk = agents[start : start + CHUNK]
            statements.append(select(*columns).where(Metric.agent_id.in_(chunk), Metric.period.in_(periods)))
    wanted = set(keys)
    values: dict[Key, dict[str, float]] = {}
    for statement in statements:
        for agent_id, period, code, value in await session.execute(statement):
            if (agent_id, period) in wanted:
                values.setdefault((agent_id, period), {})[code] = value
    return values
