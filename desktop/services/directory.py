"""``DirectoryService``: the agents and KPI definitions the signed-in user may see."""

from __future__ import annotations

from functools import partial

from desktop.offline import LocalDirectory
from desktop.services.account import AccountService
from desktop.services.errors import speaks_service_errors
from shared.directory import Agent, Kpi


class DirectoryService(AccountService):
    """One request per list, however many teams are in scope; the cache answers when offline.

    The pickers (scorecard agent, booking dialog) and the conflict panel's names come from here,
    never from one dashboard per team.
    """

    def _set_up(self) -> None:
        self.local = LocalDirectory(self.cache)

    @speaks_service_errors
    async def agents(self, team_id: str | None = None) -> list[Agent]:
        """Agents (of one team, or of every team in scope) by name, inactive ones included."""
        me = self._me()

        async def online() -> list[Agent]:
            return (await self.api.agents(team_id)).items

        agents, _cached = await self._online_or_cached(
            online, partial(self.local.agents, me.id, me.role, team_id)
        )
        return agents

    @speaks_service_errors
    async def kpis(self) -> list[Kpi]:
        """KPI definitions by code."""
        self._me()

        async def online() -> list[Kpi]:
            return (await self.api.kpis()).items

        kpis, _cached = await self._online_or_cached(online, self.local.kpis)
        return kpis
