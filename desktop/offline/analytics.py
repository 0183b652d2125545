"""Dashboards and scorecards computed from the local cache, for when the server is out of reach.

They are assembled by ``shared.reports``, as on the server, over the same rows (active agents by
name, teams by name), so an offline score equals the server's. ``as_of`` is the last sync time: the
data is exactly as fresh as that.
Blocking (SQLite reads in one snapshot): call through an executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desktop.storage import CacheReader, LocalCache
from shared import reports
from shared.analytics import ManagerDashboard, Scorecard, TeamDashboard, UserRef
from shared.auth import Role
from shared.directory import Agent, Kpi, Team
from shared.types import period_add, periods_ending


class NotInCache(LookupError):
    """The team or agent is not in the cached snapshot (not synced yet, or out of scope)."""


def teams_in_scope(reader: CacheReader, me_id: str, role: Role) -> list[dict[str, Any]]:
    """Teams the user may see, ordered by name then id (the cache holds only the synced scope)."""
    teams = sorted(reader.teams(), key=lambda team: (team["name"], team["id"]))
    if role is Role.TEAM_LEADER:
        return [team for team in teams if team.get("leader_id") == me_id]
    if role is Role.MANAGER:
        return [team for team in teams if team.get("manager_id") == me_id]
    if role is Role.ADMIN:
        return teams
    return []


def _active_agents(reader: CacheReader, team_ids: Sequence[str]) -> list[dict[str, Any]]:
    return [agent for agent in reader.agents(team_ids) if agent.get("active", True)]


def _kpis(reader: CacheReader) -> list[Kpi]:
    return [Kpi.model_validate(row) for row in reader.kpis()]


class LocalAnalytics:
    """The analytics endpoints, answered from the cache for one signed-in user."""

    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache

    def _as_of(self) -> datetime:
        last = self.cache.last_sync()
        if last is None:
            raise NotInCache("Nothing has been synced yet.")
        return last

    def team_dashboard(
        self, me_id: str, role: Role, period: str, team_id: str | None = None
    ) -> TeamDashboard:
        as_of = self._as_of()
        with self.cache.read() as reader:
            teams = teams_in_scope(reader, me_id, role)
            team = next((t for t in teams if team_id is None or t["id"] == team_id), None)
            if team is None:
                raise NotInCache("No such team in the cache.")
            agents = [Agent.model_validate(a) for a in _active_agents(reader, [team["id"]])]
            kpis = _kpis(reader)
            values = reader.metric_values([period, period_add(period, -1)], [a.id for a in agents])
        return reports.team_dashboard(Team.model_validate(team), agents, kpis, values, period, as_of)

    def manager_dashboard(self, me_id: str, role: Role, period: str) -> ManagerDashboard:
        as_of = self._as_of()
        with self.cache.read() as reader:
            teams = teams_in_scope(reader, me_id, role)
            agents = _active_agents(reader, [t["id"] for t in teams])
            leaders = reader.users([t["leader_id"] for t in teams if t.get("leader_id")])
            kpis = _kpis(reader)
            values = reader.metric_values([period], [a["id"] for a in agents])
        agent_ids: dict[str, list[str]] = {team["id"]: [] for team in teams}
        for agent in agents:
            agent_ids[agent["team_id"]].append(agent["id"])
        members = []
        for team in teams:
            leader = leaders.get(team.get("leader_id") or "")
            members.append(
                reports.TeamMembers(
                    team=Team.model_validate(team),
                    leader=UserRef(id=leader["id"], name=leader["name"]) if leader else None,
                    agent_ids=agent_ids[team["id"]],
                )
            )
        return reports.manager_dashboard(members, kpis, values, period, as_of)

    def scorecard(self, agent_id: str, period: str) -> Scorecard:
        as_of = self._as_of()
        with self.cache.read() as reader:
            agent = reader.user(agent_id)
            if agent is None or agent.get("role") != Role.AGENT.value:
                raise NotInCache("No such agent in the cache.")
            kpis = _kpis(reader)
            values = reader.metric_values(periods_ending(period, reports.HISTORY_MONTHS), [agent_id])
        return reports.scorecard(Agent.model_validate(agent), kpis, values, period, as_of)
