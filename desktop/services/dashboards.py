"""``DashboardService``: dashboards and scorecards from the server, or from the cache offline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from pydantic import BaseModel
from PySide6.QtCore import Signal

from desktop.offline import LocalAnalytics
from desktop.services.account import AccountService
from desktop.services.errors import speaks_service_errors
from shared.analytics import ManagerDashboard, Scorecard, TeamDashboard

M = TypeVar("M", bound=BaseModel)


Answer = TeamDashboard | ManagerDashboard | Scorecard
"""What the dashboard service answers; each carries the ``as_of`` time of its data."""


class FromCache:
    """Marks an answer computed from the cache while the server was out of reach."""


class OfflineTeamDashboard(TeamDashboard, FromCache):
    """A team dashboard computed from the cache; ``as_of`` is the last sync."""


class OfflineManagerDashboard(ManagerDashboard, FromCache):
    """A manager dashboard computed from the cache; ``as_of`` is the last sync."""


class OfflineScorecard(Scorecard, FromCache):
    """A scorecard computed from the cache; ``as_of`` is the last sync."""


def is_offline(answer: Answer) -> bool:
    """Whether an answer came from the local cache instead of the server."""
    return isinstance(answer, FromCache)


class DashboardService(AccountService):
    """Asks the server first; when it cannot answer, the cache does, with the same scores."""

    sig_offline = Signal(bool)  # whether the last answer came from the cache

    def _set_up(self) -> None:
        self.analytics = LocalAnalytics(self.cache)
        self.offline = False

    @speaks_service_errors
    async def team_dashboard(self, period: str, team_id: str | None = None) -> TeamDashboard:
        me = self._me()
        return await self._answer(
            partial(self.api.team_dashboard, period, team_id),
            partial(self.analytics.team_dashboard, me.id, me.role, period, team_id),
            OfflineTeamDashboard,
        )

    @speaks_service_errors
    async def manager_dashboard(self, period: str) -> ManagerDashboard:
        me = self._me()
        return await self._answer(
            partial(self.api.manager_dashboard, period),
            partial(self.analytics.manager_dashboard, me.id, me.role, period),
            OfflineManagerDashboard,
        )

    @speaks_service_errors
    async def scorecard(self, agent_id: str, period: str) -> Scorecard:
        self._me()
        return await self._answer(
            partial(self.api.scorecard, agent_id, period),
            partial(self.analytics.scorecard, agent_id, period),
            OfflineScorecard,
        )

    async def _answer(
        self, online: Callable[[], Awaitable[M]], from_cache: Callable[[], M], offline_type: type[M]
    ) -> M:
        answer, cached = await self._online_or_cached(online, from_cache)
        self._set_offline(cached)
        return offline_type.model_validate(answer, from_attributes=True) if cached else answer

    def _set_offline(self, offline: bool) -> None:
        if offline != self.offline:
            self.offline = offline
            self.sig_offline.emit(offline)
