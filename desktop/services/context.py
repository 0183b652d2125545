"""``Services``: every desktop service, built from an API client, a cache and a credential store.

The UI receives this object (no globals): a test builds it over an in-process server, a temporary
cache directory and a ``MemoryStore``.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6

from desktop.credentials import CredentialStore, PlainFileStore
from desktop.net import ApiClient
from desktop.services.auth import AuthService
from desktop.services.conflicts import ConflictService
from desktop.services.dashboards import DashboardService
from desktop.services.directory import DirectoryService
from desktop.services.live import LiveService
from desktop.services.runner import BlockingRunner, freeze_startup_objects
from desktop.services.sessions import SessionService
from desktop.services.sync import SyncService
from desktop.storage import LocalCache
from desktop.sync import Backoff, SyncEngine


@dataclass
class Services:
    """The app's services; the UI talks to these and to nothing below them."""

    api: ApiClient
    cache: LocalCache
    credentials: CredentialStore
    runner: BlockingRunner
    engine: SyncEngine
    auth: AuthService
    sync: SyncService
    dashboards: DashboardService
    directory: DirectoryService
    sessions: SessionService
    conflicts: ConflictService
    live: LiveService

    @classmethod
    def build(
        cls,
        api: ApiClient,
        cache: LocalCache,
        credentials: CredentialStore,
        *,
        plain_file_store: CredentialStore | None = None,
        backoff: Backoff | None = None,
        live_backoff: Backoff | None = None,
    ) -> Services:
        freeze_startup_objects()
        runner = BlockingRunner()
        engine = SyncEngine(api, cache, run_blocking=runner)
        auth = AuthService(api, cache, credentials, engine, runner, plain_file_store or PlainFileStore())
        sync = SyncService(engine, cache, runner, backoff)
        return cls(
            api=api,
            cache=cache,
            credentials=credentials,
            runner=runner,
            engine=engine,
            auth=auth,
            sync=sync,
            dashboards=DashboardService(api, cache, auth, sync, runner),
            directory=DirectoryService(api, cache, auth, sync, runner),
            sessions=SessionService(api, cache, auth, sync, runner),
            conflicts=ConflictService(api, cache, auth, sync, runner),
            live=LiveService(api, sync, live_backoff),
        )

    def delete_qobjects(self) -> None:
        """Delete the services' QObjects now, on this (the GUI) thread.

        Left to the garbage collector they are finalised on whichever thread happens to run it —
        a runner worker, the demo's server thread — and Qt aborts the process for that.
        """
        for qobject in (self.auth, self.sync, self.dashboards, self.directory, self.sessions, self.conflicts):
            shiboken6.delete(qobject)

    async def aclose(self) -> None:
        """Stop syncing, close the connection, finish cache work and close the cache."""
        await self.live.aclose()
        self.sync.stop()
        await self.auth.wait_for_saves()
        await self.api.aclose()
        self.runner.shutdown()
        self.cache.close()

