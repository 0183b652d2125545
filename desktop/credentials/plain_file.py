"""An opt-in plain-file store (mode 0600) for machines without a keychain."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from desktop.credentials.base import CredentialStoreError

FILE_MODE = 0o600


def default_path() -> Path:
    return Path(user_config_dir("coachhub", appauthor=False)) / "credentials.json"


class PlainFileStore:
    """Refresh tokens in a JSON file only its owner can read; used only when the user opts in."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CredentialStoreError(f"{self.path} could not be read: {exc}") from exc
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        # Created with 0600 from the start, so the token is never readable by others, even briefly.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, self.path)
        except OSError as exc:
            raise CredentialStoreError(f"{self.path} could not be written: {exc}") from exc

    def available(self) -> bool:
        return True

    def save(self, server_url: str, email: str, token: str) -> None:
        data = self._read()
        data[server_url] = {"email": email, "token": token}
        self._write(data)

    def load(self, server_url: str) -> tuple[str, str] | None:
        entry = self._read().get(server_url)
        if not isinstance(entry, dict) or "email" not in entry or "token" not in entry:
            return None
        return str(entry["email"]), str(entry["token"])

    def clear(self, server_url: str) -> None:
        data = self._read()
        if data.pop(server_url, None) is not None:
            self._write(data)
