"""The app and the server know each other: sign-in refuses a server of another API major (before any
password is sent), and Help → About shows both releases and API versions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from desktop.app import DesktopApp
from desktop.credentials import MemoryStore
from desktop.ui.about_dialog import NOT_ASKED, AboutDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.sign_in import SignInDialog
from shared.version import API_VERSION, ServerVersion, package_version
from tests.desktop.conftest import Run, ServicesFactory, settled
from tests.desktop.test_ui_acceptance import TIMEOUT_MS, loop_turning

FAKE_URL = "http://other-release.test"


class FakeServer(httpx.MockTransport):
    """Answers ``/api/v1/version`` with the given API version (or 404 without one); records paths."""

    def __init__(self, api_version: str | None) -> None:
        self.paths: list[str] = []
        self.api_version = api_version
        super().__init__(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == "/api/v1/version" and self.api_version is not None:
            return httpx.Response(200, json={"server_version": "7.1.0", "api_version": self.api_version})
        problem = {"type": "about:blank", "title": "Not found", "status": 404, "code": "not_found"}
        return httpx.Response(404, json=problem, headers={"content-type": "application/problem+json"})


def refused_sign_in(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_services: ServicesFactory,
    tmp_path: Path,
    fake: FakeServer,
) -> SignInDialog:
    services = make_services(tmp_path / "cache", MemoryStore(), transport=fake)
    dialog = SignInDialog(
        services.auth, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(dialog)
    dialog.server_url.setText(FAKE_URL)
    dialog.email.setText("leader@example.com")
    dialog.password.setText("a-secret-password")
    with loop_turning(qloop):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.banner.isVisibleTo(dialog), timeout=TIMEOUT_MS)
        qtbot.waitUntil(dialog.sign_in_button.isEnabled, timeout=TIMEOUT_MS)
    assert services.auth.me is None
    assert fake.paths == ["/api/v1/version"], "no password goes to a server the app cannot talk to"
    return dialog


def test_sign_in_refuses_a_server_of_another_api_major(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_services: ServicesFactory, tmp_path: Path
) -> None:
    dialog = refused_sign_in(qtbot, qloop, make_services, tmp_path, FakeServer("2.0"))
    message = dialog.banner.text.text()
    assert f"The server at {FAKE_URL} (Coaching Hub 7.1.0) speaks API 2.0" in message
    assert f"this app (Coaching Hub {package_version()}) speaks API 1.x" in message
    assert "Install the release of the app that matches the server" in message


def test_sign_in_refuses_a_server_that_does_not_say_its_api_version(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_services: ServicesFactory, tmp_path: Path
) -> None:
    dialog = refused_sign_in(qtbot, qloop, make_services, tmp_path, FakeServer(None))
    assert "does not say which API version it speaks" in dialog.banner.text.text()


def test_a_newer_minor_of_the_same_major_is_spoken(
    make_services: ServicesFactory, tmp_path: Path, run: Run[Any]
) -> None:
    fake = FakeServer("1.9")
    services = make_services(tmp_path / "cache", MemoryStore(), transport=fake)
    services.api.base_url = FAKE_URL
    assert run(services.api.check_server()) == ServerVersion(server_version="7.1.0", api_version="1.9")


def test_a_remembered_sign_in_to_a_server_of_another_major_asks_again_and_says_why(
    make_services: ServicesFactory, tmp_path: Path, run: Run[Any], qtbot: QtBot
) -> None:
    store = MemoryStore()
    store.save(FAKE_URL, "leader@example.com", "remembered-refresh-token")
    fake = FakeServer("2.0")
    services = make_services(tmp_path / "cache", store, transport=fake)
    app = DesktopApp(services, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    run(app.start(FAKE_URL))
    dialog = app.sign_in_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert "speaks API 2.0" in dialog.banner.text.text()
    assert fake.paths == ["/api/v1/version"], "the refresh token is not sent either"
    assert store.load(FAKE_URL) is not None, "kept for when the matching app is installed"


def test_about_shows_the_app_and_the_server_it_signed_in_to(
    leader_services: Any, qtbot: QtBot, run: Run[Any]
) -> None:
    auth = leader_services.auth
    assert auth.me is not None
    window = MainWindow(leader_services, auth.me)
    qtbot.addWidget(window)
    window.about_action.trigger()
    about = window.about_dialog
    assert about is not None and about.isVisible()
    assert about.app_version.text() == package_version()
    assert about.app_api_version.text() == API_VERSION
    assert about.server_url.text() == auth.server_url
    assert about.server_version.text() == package_version()  # the in-process server is this release
    assert about.server_api_version.text() == API_VERSION
    run(settled())


def test_about_after_an_offline_start_says_the_server_was_not_asked(qtbot: QtBot) -> None:
    about = AboutDialog("https://coachhub.example.com", None)
    qtbot.addWidget(about)
    assert about.server_version.text() == NOT_ASKED
    assert about.server_api_version.text() == NOT_ASKED
    other = AboutDialog(
        "https://coachhub.example.com", ServerVersion(server_version="1.4.2", api_version="1.3")
    )
    qtbot.addWidget(other)
    assert (other.server_version.text(), other.server_api_version.text()) == ("1.4.2", "1.3")
