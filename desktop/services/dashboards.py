"""``DashboardService``: dashboards and scorecards from the server, or from the cache offline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import ClassVar, TypeVar

from pydantic import BaseModel
from PySide6.QtCore import Signal

from desktop.services.account import AccountService
from desktop.sync import LocalAnalytics
from shared.analytics import ManagerDashboard, Scorecard, TeamDashboard

M = TypeVar("M", bound=BaseModel)


class OfflineTeamDashboard(TeamDashboard):
    """A team dashboard computed from the cache; ``as_of`` is the last sync."""

    offline: ClassVar[bool] = True


class OfflineManagerDashboard(ManagerDashboard):
    """A manager dashboard computed from the cache; ``as_of`` is the last sync."""

    offline: ClassVar[bool] = True


class OfflineScorecard(Scorecard):
    """A scorecard computed from the cache; ``as_of`` is the last sync."""

    offline: ClassVar[bool] = True


def is_offline(answer: object) -> bool:
    """Whether an answer came from the local cache instead of the server."""
    return bool(getattr(answer, "offline", False))


class DashboardService(AccountService):
    """Asks the server first; when it cannot answer, the cache does, with the same scores."""

    sig_offline = Signal(bool)  # whether the last answer came from the cache

    def _set_up(self) -> None:
        self.analytics = LocalAnalytics(self.cache)
        self.offline = False

    async def team_dashboard(self, period: str, team_id: str | None = None) -> TeamDashboard:
        me = self._me()
        return await self._answer(
            partial(self.api.team_dashboard, period, team_id),
            partial(self.analytics.team_dashboard, me.id, me.role, period, team_id),
            OfflineTeamDashboard,
        )

    async def manager_dashboard(self, period: str) -> ManagerDashboard:
        me = self._me()
        return await self._answer(
            partial(self.api.manager_dashboard, period),
            partial(self.analytics.manager_dashboard, me.id, me.role, period),
            OfflineManagerDashboard,
        )

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
