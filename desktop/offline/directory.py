"""Agents and KPI definitions from the local cache, for when the server is out of reach.

The same answers as ``GET /agents`` and ``GET /kpis`` over the synced snapshot: agents of the teams
in the user's scope (an admin sees every agent, an agent only themself) by name, KPIs by code.
Blocking (SQLite reads in one snapshot): call through an executor.
"""

from __future__ import annotations

from desktop.offline.analytics import NotInCache, teams_in_scope
from desktop.storage import LocalCache
from shared.auth import Role
from shared.directory import Agent, Kpi


class LocalDirectory:
    """The directory endpoints, answered from the cache for one signed-in user."""

    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache

    def _check_synced(self) -> None:
        if self.cache.last_sync() is None:
            raise NotInCache("Nothing has been synced yet.")

    def agents(self, me_id: str, role: Role, team_id: str | None = None) -> list[Agent]:
        self._check_synced()
        with self.cache.read() as reader:
            if role in (Role.ADMIN, Role.AGENT):
                scope: list[str] | None = None if team_id is None else [team_id]
            else:
                visible = [team["id"] for team in teams_in_scope(reader, me_id, role)]
                scope = [t for t in visible if team_id is None or t == team_id]
            rows = reader.agents(scope)
        agents = [Agent.model_validate(row) for row in rows]
        if role is Role.AGENT:
            return [agent for agent in agents if agent.id == me_id]
        return agents

    def kpis(self) -> list[Kpi]:
        self._check_synced()
        with self.cache.read() as reader:
            return [Kpi.model_validate(row) for row in reader.kpis()]
