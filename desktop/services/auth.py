"""``AuthService``: sign in, remember the sign-in in the keychain, restore it, sign out."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from PySide6.QtCore import QObject, Signal

from desktop.credentials import CredentialStore, CredentialStoreError, NoKeyringBackend
from desktop.net import ApiClient, ApiError, ServerUnreachable
from desktop.services.errors import speaks_service_errors
from desktop.services.runner import BlockingRunner
from desktop.storage import LocalCache
from desktop.sync import SyncEngine
from shared.auth import Me, TokenPair
from shared.version import ServerVersion

ME_META = "me"
NO_KEYCHAIN_WARNING = (
    "No system keychain is available, so your sign-in is not remembered: you will be asked to sign "
    "in again next time. You can choose to keep it in a plain file readable only by you instead."
)
PLAIN_FILE_WARNING = (
    "No system keychain is available; your sign-in is kept in a plain file readable only by you."
)


class AuthService(QObject):
    """Who is signed in, to which server. Remembers only the refresh token, never the password."""

    sig_signed_in = Signal(object)  # Me
    sig_signed_out = Signal()
    sig_credential_warning = Signal(str)

    def __init__(
        self,
        api: ApiClient,
        cache: LocalCache,
        credentials: CredentialStore,
        engine: SyncEngine,
        runner: BlockingRunner,
        plain_file_store: CredentialStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api = api
        self.cache = cache
        self.credentials = credentials
        self.engine = engine
        self.run = runner
        # Used only after the user opted in (``allow_plain_file``) and only without a keychain.
        self.plain_file_store = plain_file_store
        self.plain_file_allowed = False
        self.me: Me | None = None
        self.server_url: str | None = None
        # What the server said of itself at the last online sign-in (None offline): Help -> About.
        self.server_version: ServerVersion | None = None
        self.email: str | None = None
        self.remember = False
        self._saves: set[asyncio.Task[None]] = set()
        api.on_tokens = self._on_tokens

    # -- public ------------------------------------------------------------------------------

    def keychain_available(self) -> bool:
        """Whether the system keychain can remember a sign-in here (asked before the user ticks)."""
        return self.credentials.available()

    def allow_plain_file(self, allowed: bool) -> None:
        """The user's opt-in to the plain-file store where no keychain exists."""
        self.plain_file_allowed = allowed

    @speaks_service_errors
    async def sign_in(self, server_url: str, email: str, password: str, remember: bool) -> Me:
        """Sign in online; with ``remember`` the refresh token goes to the credential store."""
        self.api.base_url = server_url
        self.server_url, self.email, self.remember = server_url, email, False
        self.server_version = await self.api.check_server()
        pair = await self.api.login(email, password)
        me = await self.api.me()
        self.remember = remember  # from now on every rotated token replaces the stored one
        if remember:
            await self._remember(server_url, email, pair.refresh_token)
        else:
            await self._forget(server_url)
        await self._start(server_url, me)
        return me

    @speaks_service_errors
    async def restore_session(self, server_url: str) -> Me | None:
        """Sign in again from the remembered refresh token; offline, from the cached account."""
        entry = await self._load(server_url)
        if entry is None:
            return None
        email, token = entry
        self.api.base_url = server_url
        self.server_url, self.email, self.remember = server_url, email, True
        self.server_version = None
        try:
            self.server_version = await self.api.check_server()
            await self.api.refresh(token)
            me = await self.api.me()
        except ServerUnreachable:
            cached = await self._cached_me(server_url)
            if cached is None:
                raise
            me = cached
            # Keep the token: the first call once online refreshes it.
            self.api.set_tokens(None, token)
        except ApiError:
            await self._forget(server_url)
            return None
        await self._start(server_url, me)
        return me

    @speaks_service_errors
    async def sign_out(self) -> None:
        """End the login on the server (if reachable) and forget the remembered token."""
        server_url = self.server_url
        # Unreachable or refused: the token dies with its TTL; locally it is gone either way.
        with contextlib.suppress(ServerUnreachable, ApiError):
            await self.api.logout()
        if server_url is not None:
            await self._forget(server_url)
        self.me = None
        self.engine.user_id = None
        self.sig_signed_out.emit()

    @speaks_service_errors
    async def request_password_reset(self, server_url: str, email: str) -> None:
        self.api.base_url = server_url
        await self.api.request_password_reset(email)

    @speaks_service_errors
    async def confirm_password_reset(self, server_url: str, token: str, new_password: str) -> None:
        self.api.base_url = server_url
        await self.api.confirm_password_reset(token, new_password)

    # -- internals ---------------------------------------------------------------------------

    async def _start(self, server_url: str, me: Me) -> None:
        await self.run(partial(self.cache.bind_account, server_url, me.id))
        await self.run(partial(self.cache.set_meta, ME_META, me.model_dump_json()))
        self.me = me
        self.engine.user_id = me.id
        self.sig_signed_in.emit(me)

    async def _cached_me(self, server_url: str) -> Me | None:
        account = await self.run(self.cache.account)
        raw = await self.run(partial(self.cache.meta, ME_META))
        if account is None or account[0] != server_url or raw is None:
            return None
        me = Me.model_validate_json(raw)
        return me if me.id == account[1] else None

    def _on_tokens(self, pair: TokenPair) -> None:
        # Refresh tokens rotate: every new one must replace the remembered one.
        if self.remember and self.server_url and self.email:
            task = asyncio.ensure_future(self._remember(self.server_url, self.email, pair.refresh_token))
            self._saves.add(task)
            task.add_done_callback(self._saves.discard)

    async def _remember(self, server_url: str, email: str, token: str) -> None:
        try:
            await self.run.keychain(partial(self.credentials.save, server_url, email, token))
        except NoKeyringBackend:
            if self.plain_file_allowed and self.plain_file_store is not None:
                store = self.plain_file_store
                await self.run.keychain(partial(store.save, server_url, email, token))
                self.sig_credential_warning.emit(PLAIN_FILE_WARNING)
            else:
                self.sig_credential_warning.emit(NO_KEYCHAIN_WARNING)
        except CredentialStoreError as exc:
            self.sig_credential_warning.emit(str(exc))

    async def _load(self, server_url: str) -> tuple[str, str] | None:
        stores = [self.credentials]
        if self.plain_file_allowed and self.plain_file_store is not None:
            stores.append(self.plain_file_store)
        for store in stores:
            try:
                entry = await self.run.keychain(partial(store.load, server_url))
            except CredentialStoreError as exc:
                self.sig_credential_warning.emit(str(exc))
                continue
            if entry is not None:
                return entry
        return None

    async def _forget(self, server_url: str) -> None:
        stores = [self.credentials]
        if self.plain_file_store is not None:
            stores.append(self.plain_file_store)
        for store in stores:
            try:
                await self.run.keychain(partial(store.clear, server_url))
            except CredentialStoreError as exc:
                self.sig_credential_warning.emit(str(exc))

    async def wait_for_saves(self) -> None:
        """Wait until every rotated refresh token has been stored (tests, shutdown)."""
        if self._saves:
            await asyncio.gather(*self._saves)
