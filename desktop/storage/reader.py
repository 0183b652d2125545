"""Reading the snapshot: every query of one ``CacheReader`` sees the same committed state."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from desktop.storage import schema
from desktop.storage.rows import canonical_time

MetricValues = dict[tuple[str, str], dict[str, float]]
"""(agent_id, period) → {kpi_code: value}."""


class CacheReader:
    """Typed reads over one read transaction of the cache."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def meta(self, key: str) -> str | None:
        value: str | None = self.conn.scalar(select(schema.meta.c.value).where(schema.meta.c.key == key))
        return value

    def teams(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(schema.teams.c.data).order_by(schema.teams.c.name, schema.teams.c.id))
        return [row.data for row in rows]

    def team(self, team_id: str) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self.conn.scalar(
            select(schema.teams.c.data).where(schema.teams.c.id == team_id)
        )
        return data

    def user(self, user_id: str) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self.conn.scalar(
            select(schema.users.c.data).where(schema.users.c.id == user_id)
        )
        return data

    def users(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.conn.execute(select(schema.users.c.data).where(schema.users.c.id.in_(list(ids))))
        return {row.data["id"]: row.data for row in rows}

    def agents(self, team_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Agents (of the given teams), ordered by name."""
        query = select(schema.users.c.data).where(schema.users.c.role == "agent")
        if team_ids is not None:
            query = query.where(schema.users.c.team_id.in_(list(team_ids)))
        rows = self.conn.execute(query.order_by(schema.users.c.name, schema.users.c.id))
        return [row.data for row in rows]

    def kpis(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(schema.kpis.c.data).order_by(schema.kpis.c.code))
        return [row.data for row in rows]

    def metric_values(
        self, periods: Collection[str], agent_ids: Collection[str] | None = None
    ) -> MetricValues:
        m = schema.metrics
        query = select(m.c.agent_id, m.c.period, m.c.kpi_code, m.c.value).where(m.c.period.in_(list(periods)))
        if agent_ids is not None:
            query = query.where(m.c.agent_id.in_(list(agent_ids)))
        values: MetricValues = {}
        for agent_id, period, code, value in self.conn.execute(query):
            values.setdefault((agent_id, period), {})[code] = value
        return values

    def session(self, session_id: str) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self.conn.scalar(
            select(schema.sessions.c.data).where(schema.sessions.c.id == session_id)
        )
        return data

    def sessions_between(
        self, start: datetime, end: datetime, *, team_id: str | None = None, agent_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Sessions overlapping ``[start, end)``, ordered by start time then id."""
        s = schema.sessions
        query = select(s.c.data).where(
            and_(s.c.starts_at < canonical_time(end), s.c.ends_at > canonical_time(start))
        )
        if agent_id is not None:
            query = query.where(s.c.agent_id == agent_id)
        if team_id is not None:
            members = select(schema.users.c.id).where(schema.users.c.team_id == team_id)
            query = query.where(s.c.agent_id.in_(members))
        rows = self.conn.execute(query.order_by(s.c.starts_at, s.c.id))
        return [row.data for row in rows]

    def sessions_in_status(self, status: str) -> list[dict[str, Any]]:
        s = schema.sessions
        rows = self.conn.execute(select(s.c.data).where(s.c.status == status).order_by(s.c.starts_at, s.c.id))
        return [row.data for row in rows]

    def clashes_with(self, session: dict[str, Any]) -> list[dict[str, Any]]:
        """Scheduled sessions of the same coach or agent overlapping ``session``."""
        s = schema.sessions
        query = select(s.c.data).where(
            s.c.id != session["id"],
            s.c.status == "scheduled",
            s.c.starts_at < canonical_time(session["ends_at"]),
            s.c.ends_at > canonical_time(session["starts_at"]),
            (s.c.agent_id == session["agent_id"]) | (s.c.coach_id == session["coach_id"]),
        )
        return [row.data for row in self.conn.execute(query.order_by(s.c.starts_at, s.c.id))]

    def local_session_ids(self) -> set[str]:
        return set(self.conn.scalars(select(schema.sessions.c.id).where(schema.sessions.c.local)))

    def counts(self) -> dict[str, int]:
        return {
            table.name: int(self.conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in schema.SNAPSHOT_TABLES
        }
