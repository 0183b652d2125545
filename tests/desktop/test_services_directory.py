"""The directory: agents and KPI definitions in one request each online, from the cache offline."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop.services import Offline, Services
from tests.desktop.conftest import Run, SwitchableTransport


def test_online_one_request_per_list(
    synced_services: Services, network: SwitchableTransport, run: Run[Any]
) -> None:
    services = synced_services
    before = len(network.requests)
    agents = run(services.directory.agents())
    kpis = run(services.directory.kpis())
    assert [request.url.path for request in network.requests[before:]] == ["/api/v1/agents", "/api/v1/kpis"]
    assert agents == run(services.api.agents()).items
    assert len(agents) > 0 and all(agent.team_id for agent in agents)
    assert {kpi.code for kpi in kpis} == {"aht", "csat", "fcr", "qa", "adherence"}


def test_offline_the_agents_and_kpis_come_from_the_cache(
    synced_services: Services, network: SwitchableTransport, run: Run[Any], qtbot: QtBot
) -> None:
    services = synced_services
    online_agents = run(services.directory.agents())
    online_kpis = run(services.directory.kpis())
    team_id = online_agents[0].team_id
    assert team_id is not None
    online_team = run(services.directory.agents(team_id))

    network.online = False
    with qtbot.waitSignal(services.sync.sig_status, check_params_cb=lambda status: not status.online):
        cached_agents = run(services.directory.agents())
    assert cached_agents == online_agents
    assert run(services.directory.kpis()) == online_kpis
    assert run(services.directory.agents(team_id)) == online_team
    assert run(services.directory.agents("not-a-team-in-scope")) == []


def test_offline_before_any_sync_says_so(
    leader_services: Services, network: SwitchableTransport, run: Run[Any]
) -> None:
    network.online = False
    with pytest.raises(Offline, match="Nothing has been synced yet"):
        run(leader_services.directory.agents())
    assert not leader_services.sync.status.online
