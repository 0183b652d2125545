"""What the desktop app remembers between starts: every ``QSettings`` key, in one place."""

from __future__ import annotations

from PySide6.QtCore import QSettings

SERVER_URL = "server_url"
EMAIL = "email"
REMEMBER = "remember"
PLAIN_FILE = "plain_file"

DEFAULT_SERVER_URL = "http://127.0.0.1:8000"


class DesktopSettings:
    """Typed reads and writes of the remembered sign-in form, over the app's ``QSettings``."""

    def __init__(self, store: QSettings) -> None:
        self.store = store

    def server_url(self, default: str = "") -> str:
        """The server signed in to last (``default`` when there was none)."""
        return str(self.store.value(SERVER_URL, default) or default)

    def set_server_url(self, url: str) -> None:
        self.store.setValue(SERVER_URL, url)

    def email(self) -> str:
        return str(self.store.value(EMAIL, "") or "")

    def set_email(self, email: str) -> None:
        self.store.setValue(EMAIL, email)

    def remember(self) -> bool:
        """Whether "keep me signed in" was ticked (it is, the first time)."""
        return bool(self.store.value(REMEMBER, True, type=bool))

    def plain_file(self) -> bool:
        """Whether the user opted into the plain-file store where no keychain exists."""
        return bool(self.store.value(PLAIN_FILE, False, type=bool))

    def remember_sign_in(self, server_url: str, email: str, remember: bool, plain_file: bool) -> None:
        """The sign-in form as it was when a sign-in succeeded."""
        self.set_server_url(server_url)
        self.set_email(email)
        self.store.setValue(REMEMBER, remember)
        self.store.setValue(PLAIN_FILE, plain_file)
