"""Offline: dashboards and scorecards from the cache with the server's scores, the status says so,
offline edits wait in the outbox, and a restart from the same cache directory works offline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from desktop.credentials import MemoryStore
from desktop.services import Changes, Entity, Services, SlotConflict, SyncStatus, is_offline
from shared.auth import Role
from shared.types import utcnow
from tests.desktop.conftest import InProcessServer, Run, ServicesFactory, SwitchableTransport

PERIOD = utcnow().strftime("%Y-%m")


def without_as_of(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    data.pop("as_of")
    return data


def test_dashboards_come_from_the_cache_when_the_server_is_unreachable(
    synced_services: Services, network: SwitchableTransport, run: Run[Any], qtbot: QtBot
) -> None:
    services = synced_services
    online = run(services.dashboards.team_dashboard(PERIOD))
    agent_id = online.agents[0].agent.id
    online_card = run(services.dashboards.scorecard(agent_id, PERIOD))
    assert not is_offline(online) and services.sync.status.online

    network.online = False
    with qtbot.waitSignal(services.sync.sig_status, check_params_cb=lambda s: not s.online):
        cached = run(services.dashboards.team_dashboard(PERIOD))
    assert is_offline(cached) and services.dashboards.offline
    assert without_as_of(cached) == without_as_of(online)
    assert cached.as_of == services.cache.last_sync()
    card = run(services.dashboards.scorecard(agent_id, PERIOD))
    assert is_offline(card) and without_as_of(card) == without_as_of(online_card)

    status = services.sync.status
    assert status == SyncStatus(online=False, last_sync=services.cache.last_sync(), pending=0, syncing=False)

    # A sync attempt while offline fails softly and keeps the status offline.
    assert run(services.sync.sync_now()) is None
    assert not services.sync.status.online


def test_a_restart_from_the_same_cache_works_offline(
    services: Services,
    credentials: MemoryStore,
    server: InProcessServer,
    cache_dir: Path,
    network: SwitchableTransport,
    make_services: ServicesFactory,
    run: Run[Any],
) -> None:
    login = server.login(Role.TEAM_LEADER)
    run(services.auth.sign_in(server.base_url, login.email, login.password, remember=True))
    run(services.sync.sync_now())
    online = run(services.dashboards.team_dashboard(PERIOD))
    run(services.auth.wait_for_saves())
    services.cache.close()

    unreachable = SwitchableTransport(network.inner)
    unreachable.online = False
    restarted = make_services(cache_dir, credentials, transport=unreachable)
    me = run(restarted.auth.restore_session(server.base_url))
    assert me is not None and me.email == login.email
    cached = run(restarted.dashboards.team_dashboard(PERIOD))
    assert is_offline(cached) and without_as_of(cached) == without_as_of(online)
    assert not restarted.sync.status.online
    # The remembered token is kept for when the server is back.
    assert credentials.load(server.base_url) is not None


def test_an_offline_booking_waits_in_the_outbox_and_goes_out_on_reconnect(
    synced_services: Services, network: SwitchableTransport, run: Run[Any], qtbot: QtBot
) -> None:
    services = synced_services
    dashboard = run(services.dashboards.team_dashboard(PERIOD))
    agent_id = dashboard.agents[-1].agent.id
    starts = (utcnow() + timedelta(days=2)).replace(hour=6, minute=0, second=0, microsecond=0)
    network.online = False
    run(services.dashboards.team_dashboard(PERIOD))  # learns it is offline
    with qtbot.waitSignal(services.sync.sig_changed) as notice:
        booked = run(services.sessions.book(agent_id, starts, starts.replace(hour=7), "Offline booking"))
    assert notice.args == [Changes.of(Entity.SESSIONS)]
    assert services.sync.status.pending == 1
    listed = run(services.sessions.list_range(starts, starts.replace(hour=8)))
    assert booked.id in {s.id for s in listed}

    network.online = True
    with qtbot.waitSignal(services.sync.sig_status, check_params_cb=lambda s: s.online and s.pending == 0):
        run(services.sync.sync_now())
    assert run(services.api.get_session(booked.id)).topic == "Offline booking"


def test_an_online_booking_into_a_taken_slot_raises_with_suggestions(
    synced_services: Services, run: Run[Any]
) -> None:
    services = synced_services
    now = utcnow()
    taken = next(
        s
        for s in run(services.sessions.list_range(now, now.replace(year=now.year + 1)))
        if s.status == "scheduled"
    )
    try:
        run(services.sessions.book(taken.agent_id, taken.starts_at, taken.ends_at, "Clash"))
    except SlotConflict as exc:
        assert taken.id in {s.id for s in exc.clashes}
        assert exc.suggestions
    else:
        raise AssertionError("a booking into a taken slot must raise SlotConflict")
    assert services.cache.outbox.pending_count(services.auth.me.id) == 0  # type: ignore[union-attr]


def test_the_conflict_badge_counts_what_waits_for_the_user(
    synced_services: Services, network: SwitchableTransport, run: Run[Any], qtbot: QtBot
) -> None:
    services = synced_services
    now = utcnow()
    taken = next(
        s
        for s in run(services.sessions.list_range(now, now.replace(year=now.year + 1)))
        if s.status == "scheduled"
    )
    network.online = False
    run(services.dashboards.team_dashboard(PERIOD))
    run(services.sessions.book(taken.agent_id, taken.starts_at, taken.ends_at, "Clash offline"))
    network.online = True
    with qtbot.waitSignal(services.conflicts.sig_count, check_params_cb=lambda count: count >= 1):
        run(services.sync.sync_now())
    [conflict] = [
        c for c in run(services.conflicts.booking_conflicts()) if c.session.topic == "Clash offline"
    ]
    assert taken.id in {s.id for s in conflict.clashes_with}
    assert conflict.suggestions
