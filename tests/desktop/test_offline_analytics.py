"""Dashboards and scorecards assembled from the synced cache equal the server's, field for field."""

from __future__ import annotations

from typing import Any

from desktop.offline import LocalAnalytics
from desktop.services import Services
from shared.auth import Role
from shared.types import period_add, utcnow
from tests.desktop.conftest import InProcessServer, Run
from tests.desktop.test_services_offline import without_as_of

PERIOD = utcnow().strftime("%Y-%m")


def test_cached_dashboard_and_scorecards_equal_the_servers(synced_services: Services, run: Run[Any]) -> None:
    me = synced_services.auth.me
    assert me is not None
    analytics = LocalAnalytics(synced_services.cache)
    for period in (PERIOD, period_add(PERIOD, -1)):
        online = run(synced_services.api.team_dashboard(period))
        cached = analytics.team_dashboard(me.id, me.role, period)
        assert without_as_of(cached) == without_as_of(online)
        assert any(row.score is not None for row in online.agents)
        for row in online.agents:
            card = run(synced_services.api.scorecard(row.agent.id, period))
            assert without_as_of(analytics.scorecard(row.agent.id, period)) == without_as_of(card)
    assert cached.as_of == synced_services.cache.last_sync()


def test_cached_manager_dashboard_equals_the_servers(
    services: Services, server: InProcessServer, run: Run[Any]
) -> None:
    login = server.login(Role.MANAGER)
    me = run(services.auth.sign_in(server.base_url, login.email, login.password, remember=False))
    run(services.sync.sync_now())
    online = run(services.api.manager_dashboard(PERIOD))
    assert len(online.teams) >= 2
    cached = LocalAnalytics(services.cache).manager_dashboard(me.id, me.role, PERIOD)
    assert without_as_of(cached) == without_as_of(online)
    first = online.teams[0].team.id
    assert without_as_of(LocalAnalytics(services.cache).team_dashboard(me.id, me.role, PERIOD, first)) == (
        without_as_of(run(services.api.team_dashboard(PERIOD, first)))
    )
