"""The sync engine against the REAL server app in-process: full sync, local analytics equal to the
server's, the outbox pushed in order, merges, conflicts, refusals and an expired cursor."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.credentials import MemoryStore
from desktop.net import ApiClient
from desktop.services import Services
from desktop.sync import SyncEngine
from shared.auth import Role
from shared.sessions import Session, SessionPatch, SessionStatus
from shared.types import utcnow
from tests.desktop.conftest import InProcessServer, Run, ServicesFactory, SwitchableTransport

PERIOD = utcnow().strftime("%Y-%m")


@pytest.fixture
def other_client(server: InProcessServer, network: SwitchableTransport, run: Run[Any]) -> Iterator[ApiClient]:
    """A second desktop (same team leader) editing on the server while ours is offline."""
    client = ApiClient(server.base_url, transport=SwitchableTransport(network.inner))
    login = server.login(Role.TEAM_LEADER)
    run(client.login(login.email, login.password))
    yield client
    run(client.aclose())


def scheduled_session(services: Services) -> Session:
    """A scheduled session ahead, from the synced cache."""
    now = utcnow()
    sessions = _run_list(services, now, now + timedelta(days=30))
    return next(s for s in sessions if s.status is SessionStatus.SCHEDULED)


def _run_list(services: Services, start: Any, end: Any) -> list[Session]:
    with services.cache.read() as reader:
        return [Session.model_validate(d) for d in reader.sessions_between(start, end)]


def test_an_offline_booking_is_pushed_and_applied(
    synced_services: Services, network: SwitchableTransport, run: Run[Any]
) -> None:
    services = synced_services
    me = services.auth.me
    assert me is not None
    target = scheduled_session(services)
    starts = (target.starts_at + timedelta(days=21)).replace(hour=7)
    network.online = False
    booked = run(
        services.sessions.book(target.agent_id, starts, starts + timedelta(minutes=30), "Offline QA")
    )
    assert booked.version == 0
    [entry] = services.cache.outbox.entries(me.id)
    assert entry.type == "create_session" and entry.session_id == booked.id
    assert services.cache.session(booked.id) is not None

    network.online = True
    report = run(services.engine.sync())
    assert report.applied == 1
    assert services.cache.outbox.entries(me.id) == []
    on_server = run(services.api.get_session(booked.id))
    assert (on_server.topic, on_server.version, on_server.status) == (
        "Offline QA",
        1,
        SessionStatus.SCHEDULED,
    )
    assert services.cache.session(booked.id)["version"] == 1  # type: ignore[index]


def test_a_stale_edit_merges_with_the_servers_change(
    synced_services: Services, network: SwitchableTransport, other_client: ApiClient, run: Run[Any]
) -> None:
    services = synced_services
    target = scheduled_session(services)
    run(other_client.update_session(target.id, target.version, SessionPatch(topic="Changed elsewhere")))
    network.online = False
    run(services.sessions.edit_notes(target.id, "Bring two recorded calls"))
    network.online = True
    report = run(services.engine.sync())
    assert (report.merged, report.applied, report.merge_conflicts) == (1, 1, 0)
    on_server = run(services.api.get_session(target.id))
    assert (on_server.topic, on_server.notes) == ("Changed elsewhere", "Bring two recorded calls")
    assert on_server.version == target.version + 2
    cached = services.cache.session(target.id)
    assert cached is not None and cached["notes"] == "Bring two recorded calls"


def test_a_field_changed_on_both_sides_is_kept_for_the_user(
    synced_services: Services, network: SwitchableTransport, other_client: ApiClient, run: Run[Any]
) -> None:
    services = synced_services
    me = services.auth.me
    assert me is not None
    target = scheduled_session(services)
    run(other_client.update_session(target.id, target.version, SessionPatch(notes="theirs", topic="T2")))
    network.online = False
    run(services.sessions.update(target.id, SessionPatch(notes="mine", status=SessionStatus.SCHEDULED)))
    network.online = True
    report = run(services.engine.sync())
    assert report.merge_conflicts == 1
    [conflict] = services.cache.outbox.merge_conflicts(me.id)
    assert conflict.fields == ["notes"]
    assert (conflict.base["notes"], conflict.mine["notes"], conflict.theirs["notes"]) == (
        "",
        "mine",
        "theirs",
    )
    assert run(services.api.get_session(target.id)).notes == "theirs"  # nothing applied silently
    assert services.cache.outbox.entries(me.id) == []

    # The user keeps their own words; the push applies it on the server's version.
    run(services.conflicts.resolve_merge(conflict.id, {"notes": "mine"}))
    on_server = run(services.api.get_session(target.id))
    assert (on_server.notes, on_server.topic) == ("mine", "T2")
    assert services.cache.outbox.merge_conflicts(me.id) == []


def test_an_offline_booking_into_a_taken_slot_becomes_a_booking_conflict(
    synced_services: Services, network: SwitchableTransport, run: Run[Any]
) -> None:
    services = synced_services
    me = services.auth.me
    assert me is not None
    target = scheduled_session(services)
    network.online = False
    clash = run(services.sessions.book(target.agent_id, target.starts_at, target.ends_at, "Double booked"))
    network.online = True
    report = run(services.engine.sync())
    assert report.booking_conflicts == 1
    [record] = services.cache.outbox.booking_conflicts(me.id)
    assert record.session_id == clash.id and record.session is not None
    assert record.session["status"] == "conflict"
    listed = run(services.conflicts.booking_conflicts())
    assert clash.id in {item.session.id for item in listed}
    assert run(services.conflicts.refresh_count()) >= 1


def test_a_refused_change_stays_visible_as_failed(
    synced_services: Services, network: SwitchableTransport, run: Run[Any]
) -> None:
    services = synced_services
    me = services.auth.me
    assert me is not None
    target = scheduled_session(services)
    run(services.sessions.set_status(target.id, SessionStatus.CANCELLED))
    network.online = False
    # cancelled → completed is not an allowed move: the server refuses it on push.
    run(services.sessions.set_status(target.id, SessionStatus.COMPLETED))
    network.online = True
    report = run(services.engine.sync())
    assert report.failed == 1
    [failed] = services.cache.outbox.entries(me.id, "failed")
    assert failed.code == "invalid_transition"
    assert [c.mutation_id for c in run(services.conflicts.failed_changes())] == [failed.mutation_id]


def test_an_expired_cursor_takes_a_fresh_snapshot(synced_services: Services, run: Run[Any]) -> None:
    services = synced_services
    before = services.cache.row_counts()
    services.cache.set_meta("cursor", "not-a-cursor")
    report = run(services.engine.sync())
    assert report.snapshot and report.rows > 0
    assert services.cache.row_counts() == before
    assert services.cache.cursor() not in (None, "not-a-cursor")


def test_incremental_pull_brings_only_what_changed(
    synced_services: Services, other_client: ApiClient, run: Run[Any]
) -> None:
    services = synced_services
    target = scheduled_session(services)
    run(other_client.update_session(target.id, target.version, SessionPatch(topic="Moved on")))
    report = run(services.engine.sync())
    assert not report.snapshot and report.rows == 1
    assert services.cache.session(target.id)["topic"] == "Moved on"  # type: ignore[index]


class EditDuringPush(httpx.AsyncBaseTransport):
    """Runs ``during_push`` once, while a ``/sync/push`` request is on its way to the server."""

    def __init__(self, inner: httpx.AsyncBaseTransport, during_push: Callable[[], None]) -> None:
        self.inner = inner
        self.during_push: Callable[[], None] | None = during_push

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sync/push") and self.during_push is not None:
            self.during_push()
            self.during_push = None
        return await self.inner.handle_async_request(request)


def test_an_edit_made_while_its_session_is_being_pushed_is_not_lost(
    synced_services: Services, network: SwitchableTransport, server: InProcessServer, run: Run[Any]
) -> None:
    services = synced_services
    me = services.auth.me
    assert me is not None
    target = scheduled_session(services)
    network.online = False
    run(services.sessions.edit_notes(target.id, "first"))

    def second_edit() -> None:
        services.cache.outbox.queue_update(me.id, target.id, {"notes": "second"})

    client = ApiClient(server.base_url, transport=EditDuringPush(network.inner, second_edit))
    client.set_tokens(None, services.api.refresh_token)
    engine = SyncEngine(client, services.cache)
    engine.user_id = me.id
    try:
        run(engine.sync())
        run(engine.sync())
        on_server = run(client.get_session(target.id))
    finally:
        run(client.aclose())
    assert on_server.notes == "second"
    assert services.cache.outbox.entries(me.id, None) == []
    assert services.cache.session(target.id)["notes"] == "second"  # type: ignore[index]


class RefuseNextPush(httpx.AsyncBaseTransport):
    """Once armed, the next push reaches the server without base versions, so the server refuses
    (and remembers) those mutation ids: a refusal whose cause is gone when the user retries."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.armed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sync/push") and self.armed:
            self.armed = False
            body = json.loads(await request.aread())
            for mutation in body["mutations"]:
                mutation["base_version"] = None
            headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
            request = httpx.Request(request.method, request.url, headers=headers, json=body)
        return await self.inner.handle_async_request(request)


def test_a_retried_change_is_applied_not_answered_with_its_old_refusal(
    make_services: ServicesFactory,
    network: SwitchableTransport,
    server: InProcessServer,
    tmp_path: Path,
    run: Run[Any],
) -> None:
    refusing = RefuseNextPush(network)
    services = make_services(tmp_path / "refused", MemoryStore(), refusing)
    login = server.login(Role.TEAM_LEADER)
    me = run(services.auth.sign_in(server.base_url, login.email, login.password, remember=False))
    run(services.sync.sync_now())
    target = scheduled_session(services)
    network.online = False
    run(services.sessions.edit_notes(target.id, "Listen to two calls first"))
    network.online = True
    refusing.armed = True
    assert run(services.engine.sync()).failed == 1
    [failed] = services.cache.outbox.entries(me.id, "failed")
    assert failed.code == "precondition_required"

    run(services.conflicts.retry_failed(failed.mutation_id))
    assert services.cache.outbox.entries(me.id, None) == []
    assert run(services.api.get_session(target.id)).notes == "Listen to two calls first"
