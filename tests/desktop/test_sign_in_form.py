"""The sign-in dialog as a person uses it: typing, Enter, clicks; a machine without a keychain that
still starts offline the next time; addresses typed without a scheme; other web servers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.app import DesktopApp
from desktop.credentials import KeyringStore, MemoryStore
from desktop.services import Services
from desktop.services.address import BadAddress, server_url
from desktop.ui.sign_in import RESET_CONFIRM_PAGE, SIGN_IN_PAGE, SignInDialog, reset_token
from shared.auth import Role
from tests.desktop.conftest import InProcessServer, Run, ServicesFactory, SwitchableTransport, settled
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning


def settings_in(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def open_dialog(qtbot: QtBot, services: Services, settings: QSettings) -> SignInDialog:
    dialog = SignInDialog(services.auth, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def type_into(qtbot: QtBot, field: Any, text: str) -> None:
    """Replace a line edit's text the way a person does: select all, type."""
    field.setFocus()
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)


def fill(qtbot: QtBot, dialog: SignInDialog, server: str, email: str, password: str) -> None:
    type_into(qtbot, dialog.server_url, server)
    type_into(qtbot, dialog.email, email)
    type_into(qtbot, dialog.password, password)


def test_without_a_keychain_the_dialog_says_so_before_anything_is_ticked(
    qtbot: QtBot, make_services: ServicesFactory, cache_dir: Path, tmp_path: Path, no_keyring: None
) -> None:
    dialog = open_dialog(qtbot, make_services(cache_dir, KeyringStore()), settings_in(tmp_path))
    assert dialog.keychain_note.isVisible()
    assert "no system keychain" in dialog.keychain_note.text()
    assert dialog.plain_file.isVisible()


def test_with_a_keychain_there_is_nothing_to_warn_about(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, services, settings_in(tmp_path))
    assert not dialog.keychain_note.isVisible()
    assert not dialog.plain_file.isVisible(), "the file is only for machines without a keychain"


def test_kept_in_a_file_without_a_keychain_the_next_start_opens_offline(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    run: Run[Any],
    make_services: ServicesFactory,
    server: InProcessServer,
    network: SwitchableTransport,
    cache_dir: Path,
    tmp_path: Path,
    no_keyring: None,
) -> None:
    settings = settings_in(tmp_path)
    services = make_services(cache_dir, KeyringStore())
    dialog = open_dialog(qtbot, services, settings)
    login = server.login(Role.TEAM_LEADER)
    fill(qtbot, dialog, server.base_url, login.email, login.password)
    assert dialog.remember.isChecked()
    qtbot.mouseClick(dialog.plain_file, Qt.MouseButton.LeftButton)
    assert dialog.plain_file.isChecked()
    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_signed_in, timeout=TIMEOUT_MS):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)
    run(services.sync.sync_now())
    run(services.auth.wait_for_saves())

    # The next start: no keychain, no server; the sign-in kept in the file opens the cached app.
    network.online = False
    restarted = make_services(cache_dir, KeyringStore())
    app = DesktopApp(restarted, settings, sync_interval_s=3600, live_updates=False)  # in-process: no stream
    run(app.start())
    window = app.window
    assert window is not None, "the sign-in kept in the file opens the app from the cache"
    qtbot.addWidget(window)
    assert app.sign_in_dialog is None
    with loop_turning(qloop):
        qtbot.waitUntil(lambda: window.dashboard.team_model.rowCount() > 0, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: "Offline" in window.status.connection.text(), timeout=TIMEOUT_MS)
    run(settled())  # the screens' first loads
    window.close()


def test_enter_in_the_password_field_signs_in(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    services: Services,
    server: InProcessServer,
    tmp_path: Path,
) -> None:
    dialog = open_dialog(qtbot, services, settings_in(tmp_path))
    login = server.login(Role.TEAM_LEADER)
    fill(qtbot, dialog, server.base_url, login.email, login.password)
    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_signed_in, timeout=TIMEOUT_MS):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)


def test_after_a_wrong_password_the_focus_is_on_the_password(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    services: Services,
    server: InProcessServer,
    tmp_path: Path,
) -> None:
    dialog = open_dialog(qtbot, services, settings_in(tmp_path))
    login = server.login(Role.TEAM_LEADER)
    fill(qtbot, dialog, server.base_url, login.email, "not the password")
    with loop_turning(qloop):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Wrong email or password" in dialog.banner.text.text(), timeout=TIMEOUT_MS)
        qtbot.waitUntil(dialog.sign_in_button.isEnabled, timeout=TIMEOUT_MS)
    assert dialog.focusWidget() is dialog.password
    assert dialog.password.selectedText() == "not the password"
    assert not dialog.server_url.hasSelectedText()


def test_an_address_without_a_scheme_signs_in_over_http(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    services: Services,
    server: InProcessServer,
    tmp_path: Path,
) -> None:
    settings = settings_in(tmp_path)
    dialog = open_dialog(qtbot, services, settings)
    login = server.login(Role.TEAM_LEADER)
    bare = server.base_url.removeprefix("http://")
    fill(qtbot, dialog, bare, login.email, login.password)
    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_signed_in, timeout=TIMEOUT_MS):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)
    assert settings.value("server_url") == server.base_url


def test_an_address_that_cannot_be_a_server_says_what_is_wrong(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, services: Services, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, services, settings_in(tmp_path))
    fill(qtbot, dialog, "ftp://coachhub.example.com", "leader@example.com", "a-password")
    with loop_turning(qloop):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.banner.isVisibleTo(dialog), timeout=TIMEOUT_MS)
    assert "must start with http:// or https://" in dialog.banner.text.text()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("127.0.0.1:8765", "http://127.0.0.1:8765"),
        (" https://coachhub.example.com/ ", "https://coachhub.example.com"),
        ("HTTP://host:80/base", "HTTP://host:80/base"),
    ],
)
def test_server_url_adds_the_scheme_it_needs(typed: str, expected: str) -> None:
    assert server_url(typed) == expected


@pytest.mark.parametrize("typed", ["", "ftp://host", "http://", "host:port", "two words"])
def test_server_url_refuses_what_is_no_address(typed: str) -> None:
    with pytest.raises(BadAddress):
        server_url(typed)


class OtherWebServer(httpx.MockTransport):
    """A web server that is not Coaching Hub: the same page (or refusal) for every path."""

    def __init__(self, status: int) -> None:
        page = "<html><body><h1>Welcome to nginx!</h1></body></html>"
        html = {"content-type": "text/html"}
        super().__init__(lambda _request: httpx.Response(status, text=page, headers=html))


@pytest.mark.parametrize("status", [200, 403, 404])
def test_some_other_web_server_is_said_not_to_be_a_coaching_hub_server(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_services: ServicesFactory,
    tmp_path: Path,
    status: int,
) -> None:
    services = make_services(tmp_path / "cache", MemoryStore(), transport=OtherWebServer(status))
    dialog = open_dialog(qtbot, services, settings_in(tmp_path))
    fill(qtbot, dialog, "http://intranet.example.com", "leader@example.com", "a-password")
    with loop_turning(qloop):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.banner.isVisibleTo(dialog), timeout=TIMEOUT_MS)
        qtbot.waitUntil(dialog.sign_in_button.isEnabled, timeout=TIMEOUT_MS)
    assert "not a Coaching Hub server" in dialog.banner.text.text()


def reset_mail_link(server: InProcessServer) -> str:
    """The whole ``coachhub://reset-password?token=…`` line of the newest reset mail."""
    mail_dir = server.settings.mail_dir
    assert mail_dir is not None
    mails = sorted(mail_dir.glob("*.eml"))
    assert mails, "the reset mail was written"
    return next(
        line.strip()
        for line in mails[-1].read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("coachhub://reset-password?token=")
    )


def test_the_whole_reset_link_resets_and_a_short_password_is_said_in_plain_words(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    services: Services,
    server: InProcessServer,
    tmp_path: Path,
) -> None:
    dialog = open_dialog(qtbot, services, settings_in(tmp_path))
    login = server.login(Role.TEAM_LEADER)
    type_into(qtbot, dialog.server_url, server.base_url)
    type_into(qtbot, dialog.email, login.email)
    qtbot.mouseClick(dialog.forgot_button, Qt.MouseButton.LeftButton)
    assert "Sign in" not in dialog.subtitle.text(), "the reset pages speak of the reset"
    with loop_turning(qloop):
        QTest.keyClick(dialog.reset_email, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.pages.currentIndex() == RESET_CONFIRM_PAGE, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: any(server.settings.mail_dir.glob("*.eml")), timeout=TIMEOUT_MS)  # type: ignore[union-attr]
    assert "new password" in dialog.subtitle.text()
    link = reset_mail_link(server)

    # Too short: the server's rule in plain words under the new password, nothing technical.
    type_into(qtbot, dialog.reset_token, link)
    type_into(qtbot, dialog.new_password, "short")
    type_into(qtbot, dialog.repeat_password, "short")
    with loop_turning(qloop):
        QTest.keyClick(dialog.repeat_password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.reset_notes["new_password"].isVisible(), timeout=TIMEOUT_MS)
    assert dialog.reset_notes["new_password"].text() == "Use at least 8 characters."
    shown = dialog.banner.text.text() + dialog.reset_notes["new_password"].text()
    for raw in ("String should", "http", "pydantic", "validation_error", "not valid"):
        assert raw not in shown

    type_into(qtbot, dialog.new_password, "a brand new secret")
    type_into(qtbot, dialog.repeat_password, "a brand new secret")
    with loop_turning(qloop):
        QTest.keyClick(dialog.repeat_password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SIGN_IN_PAGE, timeout=TIMEOUT_MS)
    assert "Password changed" in dialog.banner.text.text()
    assert not dialog.reset_notes["new_password"].isVisible()
    assert dialog.subtitle.text().startswith("Sign in")
    type_into(qtbot, dialog.password, login.password)
    with loop_turning(qloop):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "Wrong email or password" in dialog.banner.text.text(), timeout=TIMEOUT_MS)
    type_into(qtbot, dialog.password, "a brand new secret")
    with loop_turning(qloop), qtbot.waitSignal(dialog.sig_signed_in, timeout=TIMEOUT_MS):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)


@pytest.mark.parametrize(
    ("pasted", "token"),
    [
        ("coachhub://reset-password?token=abc_DEF-123", "abc_DEF-123"),
        ("  abc_DEF-123 ", "abc_DEF-123"),
        ("https://example.com/reset?x=1&token=t0k", "t0k"),
    ],
)
def test_reset_token_takes_the_link_or_the_token(pasted: str, token: str) -> None:
    assert reset_token(pasted) == token
