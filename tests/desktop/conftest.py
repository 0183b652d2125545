"""Desktop fixtures: a qasync loop, the REAL server app in-process on a seeded SQLite database,
an ``ApiClient`` over ``httpx.ASGITransport`` that can be cut off, a temporary cache, an in-memory
credential store, and the app's ``Services`` built from them.

Desktop tests are plain (sync) test functions: they drive coroutines with ``run(...)`` on the
qasync loop, so Qt timers and signals keep working while a coroutine runs.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import keyring
import keyring.backends.fail
import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from starlette.applications import Starlette

from desktop.credentials import MemoryStore, PlainFileStore
from desktop.net import ApiClient
from desktop.services import Services
from desktop.storage import LocalCache
from desktop.ui.main_window import MainWindow
from server.app import create_app
from server.db.engine import Database
from server.services.demo_data import DemoLogin, seed_demo
from server.services.passwords import Passwords
from server.settings import Settings
from shared.auth import Role
from tests.factories import TEST_HASH_MEMORY_KIB

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]

SERVER_URL = "http://coachhub.test"
DEMO_TEAMS = 2
DEMO_AGENTS_PER_TEAM = 4
DEMO_MONTHS = 14


def run_private(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a throw-away loop, leaving the thread's current loop alone."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


@dataclass(frozen=True)
class SeededTemplate:
    path: Path
    logins: list[DemoLogin]


async def seed_database(url: str, **sizes: int) -> list[DemoLogin]:
    """The demo organisation in the migrated server database at ``url``, of the given size."""
    db = Database(Settings(database_url=url))
    try:
        return await seed_demo(db, Passwords(TEST_HASH_MEMORY_KIB), **sizes)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> SeededTemplate:
    """A migrated SQLite server database with the demo organisation, made once per run."""
    path = tmp_path_factory.mktemp("desktop-demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    logins = run_private(
        seed_database(
            f"sqlite+aiosqlite:///{path}",
            teams=DEMO_TEAMS,
            agents_per_team=DEMO_AGENTS_PER_TEAM,
            months=DEMO_MONTHS,
        )
    )
    return SeededTemplate(path, logins)


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """asyncio on Qt's event loop (qasync), the way the app runs."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def run(qloop: asyncio.AbstractEventLoop) -> Run[Any]:
    """``run(coro)`` → its result, with the Qt event loop turning meanwhile."""

    def _run(coroutine: Coroutine[Any, Any, T]) -> T:
        return qloop.run_until_complete(coroutine)

    return _run


async def next_emission(
    signal: Any, predicate: Callable[..., bool] = lambda *_args: True, within_s: float = 10.0
) -> Any:
    """Await the next emission of a Qt ``signal`` whose arguments satisfy ``predicate``.

    ``qtbot.waitSignal`` spins a nested Qt loop in which asyncio tasks cannot run; inside
    ``run(...)`` use this instead. Returns the first argument (or ``None``).
    """
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def receive(*args: Any) -> None:
        if not future.done() and predicate(*args):
            future.set_result(args[0] if args else None)

    signal.connect(receive)
    try:
        return await asyncio.wait_for(future, within_s)
    finally:
        signal.disconnect(receive)


async def settled() -> None:
    """Until every other task has finished: the window's async slots and all they started.

    A test that leaves loads in flight would have them stepped while pytest-qt closes its
    widgets, outside the running loop; end such a test with ``run(settled())``.
    """
    this = asyncio.current_task()
    while pending := [task for task in asyncio.all_tasks() if task is not this and not task.done()]:
        await asyncio.wait(pending)


class SwitchableTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; with ``online = False`` every request fails as if the network were gone."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.online = True
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.online:
            raise httpx.ConnectError("network is unreachable", request=request)
        return await self.inner.handle_async_request(request)


@dataclass
class InProcessServer:
    """The real server app on its own seeded SQLite file, reached through ``httpx.ASGITransport``."""

    app: Starlette
    db: Database
    settings: Settings
    logins: list[DemoLogin]
    base_url: str = SERVER_URL

    def login(self, role: Role) -> DemoLogin:
        """The first demo login with that role."""
        return next(login for login in self.logins if login.role is role)


def in_process_server(path: Path, logins: list[DemoLogin]) -> InProcessServer:
    """The server app over the SQLite file at ``path`` (dispose ``.db`` when done)."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{path}",
        mail_dir=path.parent / "mail",
        password_hash_memory_kib=TEST_HASH_MEMORY_KIB,
    )
    db = Database(settings)
    return InProcessServer(create_app(settings, db), db, settings, logins)


@pytest.fixture
def server(demo_template: SeededTemplate, tmp_path: Path, run: Run[Any]) -> Iterator[InProcessServer]:
    path = tmp_path / "server.sqlite3"
    shutil.copyfile(demo_template.path, path)
    in_process = in_process_server(path, demo_template.logins)
    yield in_process
    run(in_process.db.dispose())


@pytest.fixture
def network(server: InProcessServer) -> SwitchableTransport:
    """The client's way to the in-process server; set ``network.online = False`` to cut it."""
    return SwitchableTransport(httpx.ASGITransport(app=server.app))


@pytest.fixture
def api(server: InProcessServer, network: SwitchableTransport, run: Run[Any]) -> Iterator[ApiClient]:
    client = ApiClient(server.base_url, transport=network)
    yield client
    run(client.aclose())


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def cache(cache_dir: Path) -> Iterator[LocalCache]:
    local = LocalCache.in_dir(cache_dir)
    yield local
    local.close()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A machine without a system keychain: keyring falls back to its fail backend."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def credentials() -> MemoryStore:
    return MemoryStore()


def dispose_services(services: Services, run: Run[Any]) -> None:
    """Stop everything and delete the QObjects here, on the GUI thread (not wherever GC runs)."""
    services.sync.stop()
    run(services.auth.wait_for_saves())
    services.runner.shutdown()
    services.delete_qobjects()


ServicesFactory = Callable[..., Services]


@pytest.fixture
def make_services(
    server: InProcessServer, network: SwitchableTransport, tmp_path: Path, run: Run[Any]
) -> Iterator[ServicesFactory]:
    """``make_services(cache_dir, store, transport=network)``: another start of the app, e.g. from
    the same cache directory; closed at teardown."""
    built: list[Services] = []

    def make(cache_dir: Path, store: Any, transport: httpx.AsyncBaseTransport | None = None) -> Services:
        client = ApiClient(server.base_url, transport=transport or network)
        services = Services.build(
            client,
            LocalCache.in_dir(cache_dir),
            store,
            plain_file_store=PlainFileStore(cache_dir / "plain.json"),
        )
        built.append(services)
        return services

    yield make
    for services in built:
        dispose_services(services, run)
        run(services.api.aclose())
        services.cache.close()


@pytest.fixture
def services(
    api: ApiClient, cache: LocalCache, credentials: MemoryStore, tmp_path: Path, run: Run[Any]
) -> Iterator[Services]:
    """The app's services over the in-process server, the temp cache and the memory store."""
    built = Services.build(api, cache, credentials, plain_file_store=PlainFileStore(tmp_path / "plain.json"))
    yield built
    dispose_services(built, run)


@pytest.fixture
def leader_services(services: Services, server: InProcessServer, run: Run[Any]) -> Services:
    """Services signed in as the first demo team leader (not remembered)."""
    login = server.login(Role.TEAM_LEADER)
    run(services.auth.sign_in(server.base_url, login.email, login.password, remember=False))
    return services


@pytest.fixture
def synced_services(leader_services: Services, run: Run[Any]) -> Services:
    """Signed in as a team leader, with a full sync into the cache done."""
    report = run(leader_services.sync.sync_now())
    assert report is not None and report.rows > 0
    return leader_services


def started_window(qtbot: QtBot, run: Run[Any], services: Services) -> MainWindow:
    """The signed-in user's main window with every screen's first load done."""
    me = services.auth.me
    assert me is not None
    window = MainWindow(services, me)
    qtbot.addWidget(window)

    async def start() -> None:
        window.start()
        await settled()

    run(start())
    return window


@pytest.fixture
def window(qtbot: QtBot, run: Run[Any], synced_services: Services) -> MainWindow:
    """The started main window shown at 1280x720 (a laptop's screen)."""
    shown = started_window(qtbot, run, synced_services)
    shown.resize(1280, 720)
    shown.show()
    qtbot.waitExposed(shown)
    return shown
