"""The desktop app's lifecycle: one qasync loop, sign-in (or a restored session), the main window."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx
import qasync
from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QApplication

from desktop.credentials import CredentialStore, KeyringStore
from desktop.net import ApiClient
from desktop.services import AppServices, ServiceError, Services, WrongServer
from desktop.settings import DEFAULT_SERVER_URL, DesktopSettings
from desktop.storage import LocalCache
from desktop.ui.async_slot import async_slot
from desktop.ui.main_window import MainWindow
from desktop.ui.sign_in import SignInDialog
from desktop.ui.theme import apply_theme
from shared.auth import Me

SIGN_IN_EXPIRED = (
    "Your sign-in has expired. Sign in again to keep syncing; changes waiting to sync are kept."
)
ORGANISATION = "coachhub"
APPLICATION = "Coaching Hub"
SYNC_INTERVAL_S = 60.0


def build_services(
    server_url: str,
    cache_dir: Path | None,
    credentials: CredentialStore,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Services:
    """The app's services over one API client and one local cache (the sign-in sets the URL)."""
    api = ApiClient(server_url, transport=transport)
    return Services.build(api, LocalCache.in_dir(cache_dir), credentials)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The one ``QApplication``, named (for ``QSettings``) and themed."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    apply_theme(app)
    return app


class DesktopApp(QObject):
    """Sign in → main window → sign out → sign in again, over one set of services."""

    def __init__(
        self,
        context: AppServices,
        settings: QSettings,
        sync_interval_s: float = SYNC_INTERVAL_S,
        live_updates: bool = True,
    ) -> None:
        super().__init__()
        self.context = context
        self.settings = settings
        self.remembered = DesktopSettings(settings)
        self.sync_interval_s = sync_interval_s
        # Off only over a transport that cannot stream (httpx's in-process ASGI transport).
        self.live_updates = live_updates
        self.window: MainWindow | None = None
        self.sign_in_dialog: SignInDialog | None = None
        context.sync.sig_sign_in_expired.connect(self.sign_in_expired)

    async def start(self, server_url: str | None = None) -> None:
        """Restore the remembered sign-in for the server if there is one, else ask."""
        url = server_url or self.remembered.server_url()
        if server_url:
            self.remembered.set_server_url(server_url)
        me: Me | None = None
        refusal: str | None = None
        # The user's earlier opt-in: without a keychain the sign-in was kept in the plain file.
        self.context.auth.allow_plain_file(self.remembered.plain_file())
        if url:
            try:
                me = await self.context.auth.restore_session(url)
            except WrongServer as refused:
                refusal = refused.detail
            except ServiceError:  # unreachable and nothing cached: sign in by hand
                me = None
        if me is None:
            dialog = self.show_sign_in()
            if refusal:
                dialog.banner.show_message(refusal, "error")
        else:
            self.open_main_window(me)

    def show_sign_in(self) -> SignInDialog:
        dialog = SignInDialog(self.context.auth, self.settings)
        dialog.sig_signed_in.connect(self.open_main_window)
        dialog.show()
        self.sign_in_dialog = dialog
        return dialog

    def open_main_window(self, me: Me) -> MainWindow:
        window = MainWindow(self.context, me)
        window.sig_sign_out_requested.connect(self.sign_out)
        window.show()
        window.start()
        self.window = window
        self.context.sync.start(self.sync_interval_s)
        if self.live_updates:
            self.context.live.start()
        return window

    @async_slot()
    async def sign_out(self) -> None:
        await self._end_session()

    @async_slot()
    async def sign_in_expired(self) -> None:
        """The server no longer takes this login: ask for a fresh sign-in instead of failing quietly."""
        if self.window is not None:
            await self._end_session(SIGN_IN_EXPIRED)

    async def _end_session(self, message: str | None = None) -> None:
        self.context.live.stop()
        self.context.sync.stop()
        await self.context.auth.sign_out()
        dialog = self.show_sign_in()
        if message:
            dialog.banner.show_message(message, "warning")
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None


def run_app(server_url: str | None = None, cache_dir: Path | None = None) -> int:
    """``coachhub``: the app against a real server."""
    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    context = build_services(DEFAULT_SERVER_URL, cache_dir, KeyringStore())
    desktop = DesktopApp(context, QSettings())
    return run_until_quit(app, loop, desktop.start(server_url), context)


def run_until_quit(
    app: QApplication, loop: qasync.QEventLoop, first: Coroutine[Any, Any, None], context: AppServices
) -> int:
    """Run ``first`` and then the Qt/asyncio loop until the last window closes."""
    quit_event = asyncio.Event()
    app.aboutToQuit.connect(quit_event.set)
    app.lastWindowClosed.connect(quit_event.set)

    async def main() -> None:
        await first
        await quit_event.wait()

    with loop:
        loop.run_until_complete(main())
        loop.run_until_complete(context.aclose())
    return 0
