"""``AuthService``: remembered sign-ins in the credential store, never a password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from desktop.credentials import KeyringStore, MemoryStore, PlainFileStore
from desktop.services import Services
from shared.auth import Role
from tests.desktop.conftest import InProcessServer, Run, ServicesFactory


def test_remember_me_keeps_the_refresh_token_and_restores_the_session(
    services: Services,
    credentials: MemoryStore,
    server: InProcessServer,
    make_services: ServicesFactory,
    cache_dir: Path,
    run: Run[Any],
    qtbot: QtBot,
) -> None:
    login = server.login(Role.TEAM_LEADER)
    with qtbot.waitSignal(services.auth.sig_signed_in) as signed_in:
        me = run(services.auth.sign_in(server.base_url, login.email, login.password, remember=True))
    assert signed_in.args == [me]
    stored = credentials.load(server.base_url)
    assert stored is not None and stored[0] == login.email
    assert stored[1] == services.api.refresh_token and login.password not in stored

    second = make_services(cache_dir / "second", credentials)
    restored = run(second.auth.restore_session(server.base_url))
    run(second.auth.wait_for_saves())
    assert restored is not None and restored.id == me.id
    # The refresh token rotated: the store holds the new one, the old one is spent.
    assert credentials.load(server.base_url) == (login.email, second.api.refresh_token)
    assert second.api.refresh_token != stored[1]

    with qtbot.waitSignal(second.auth.sig_signed_out):
        run(second.auth.sign_out())
    assert credentials.load(server.base_url) is None


def test_without_remember_nothing_is_stored(
    services: Services, credentials: MemoryStore, server: InProcessServer, run: Run[Any]
) -> None:
    login = server.login(Role.TEAM_LEADER)
    credentials.save(server.base_url, login.email, "chr_old")
    run(services.auth.sign_in(server.base_url, login.email, login.password, remember=False))
    assert credentials.load(server.base_url) is None
    assert run(services.auth.restore_session(server.base_url)) is None


def test_no_keyring_backend_warns_and_stores_nothing(
    make_services: ServicesFactory,
    cache_dir: Path,
    server: InProcessServer,
    no_keyring: None,
    run: Run[Any],
    qtbot: QtBot,
) -> None:
    services = make_services(cache_dir, KeyringStore())
    plain = services.auth.plain_file_store
    assert isinstance(plain, PlainFileStore)
    login = server.login(Role.TEAM_LEADER)
    with qtbot.waitSignal(services.auth.sig_credential_warning) as warning:
        run(services.auth.sign_in(server.base_url, login.email, login.password, remember=True))
    assert "keychain" in warning.args[0]
    assert not plain.path.exists()
    assert run(services.auth.restore_session(server.base_url)) is None

    # Opting in to the plain file keeps the sign-in there (0600), still never the password.
    services.auth.allow_plain_file(True)
    with qtbot.waitSignal(services.auth.sig_credential_warning):
        run(services.auth.sign_in(server.base_url, login.email, login.password, remember=True))
    assert plain.load(server.base_url) is not None
    assert login.password not in plain.path.read_text()
