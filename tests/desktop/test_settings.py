"""What the app remembers between starts, read back through the one module that knows the keys."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from desktop.settings import DEFAULT_SERVER_URL, DesktopSettings


def settings_in(path: Path) -> DesktopSettings:
    return DesktopSettings(QSettings(str(path), QSettings.Format.IniFormat))


def test_a_first_start_has_the_defaults(tmp_path: Path) -> None:
    first = settings_in(tmp_path / "settings.ini")
    assert first.server_url() == "" and first.server_url(DEFAULT_SERVER_URL) == DEFAULT_SERVER_URL
    assert first.email() == ""
    assert first.remember() is True and first.plain_file() is False


def test_a_remembered_sign_in_reads_back_after_a_restart(tmp_path: Path) -> None:
    first = settings_in(tmp_path / "settings.ini")
    first.remember_sign_in("https://hub.example", "ada@example.com", remember=False, plain_file=True)
    again = settings_in(tmp_path / "settings.ini")
    assert (again.server_url(), again.email(), again.remember(), again.plain_file()) == (
        "https://hub.example",
        "ada@example.com",
        False,
        True,
    )
