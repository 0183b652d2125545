"""``SyncService``: the timer, backoff while the server is away, and the status it publishes."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from desktop.services import Changes, Entity, Services, SyncStatus
from desktop.sync import Backoff
from tests.desktop.conftest import Run, SwitchableTransport, next_emission


def test_the_timer_retries_with_backoff_and_catches_up_when_the_server_is_back(
    leader_services: Services, network: SwitchableTransport, run: Run[Any]
) -> None:
    sync = leader_services.sync
    sync.backoff = Backoff(first=0.02, factor=2, cap=0.05, jitter=0)
    network.online = False

    async def scenario() -> SyncStatus:
        sync.start(interval_s=3600)  # the next regular sync is an hour away: only backoff retries
        await next_emission(sync.sig_status, lambda s: not s.online and not s.syncing)
        failures_seen = sync.backoff.failures
        await next_emission(sync.sig_status, lambda s: not s.online and not s.syncing)
        assert sync.backoff.failures > failures_seen  # it kept trying, on its own
        network.online = True
        back: SyncStatus = await next_emission(sync.sig_status, lambda s: s.online and s.last_sync)
        return back

    status = run(scenario())
    assert status.pending == 0 and sync.backoff.failures == 0
    assert leader_services.cache.has_snapshot()
    sync.stop()


def test_a_sync_while_one_runs_joins_it(leader_services: Services, run: Run[Any]) -> None:
    async def twice() -> list[Any]:
        return await asyncio.gather(leader_services.sync.sync_now(), leader_services.sync.sync_now())

    first, second = run(twice())
    assert first is second and first is not None and first.snapshot


def test_a_change_notice_goes_out_once_per_sync_that_changed_something(
    leader_services: Services, run: Run[Any]
) -> None:
    seen: list[Changes] = []
    leader_services.sync.sig_changed.connect(seen.append)
    starter = object()
    run(leader_services.sync.sync_now(starter))
    assert seen == [Changes(frozenset(Entity), starter)]  # the first sync is a whole snapshot
    run(leader_services.sync.sync_now())  # nothing new
    assert len(seen) == 1


def test_cache_writes_of_a_sync_run_off_the_gui_thread(
    leader_services: Services, run: Run[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = leader_services.cache
    threads: list[threading.Thread] = []
    apply_pull = cache.apply_pull

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return apply_pull(*args, **kwargs)

    monkeypatch.setattr(cache, "apply_pull", spy)
    run(leader_services.sync.sync_now())
    assert threads and threading.main_thread() not in threads
